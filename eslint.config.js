// Lint: typescript-eslint's recommended rules, no import cycles, and the layers of the library
// (DEVELOPERS' guide, "Layers, enforced"): from the ground up
//   util < oci < content < layout, registry < copy < cnab < compat < publish < cli < commands
// A folder imports only from folders below it (and from itself); `src/errors.ts` is part of the
// ground floor. The library never imports oclif. Formatting is Prettier's (`npm run format`).
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'
import { importX } from 'eslint-plugin-import-x'
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript'

/** Each layer with the layers it may not import (everything at its level or above, except itself). */
const LAYERS = [['util'], ['oci'], ['content'], ['layout', 'registry'], ['copy'], ['cnab'], ['compat'], ['publish'], ['cli'], ['commands']]

function layerZones() {
  const zones = []
  LAYERS.forEach((level, i) => {
    const above = LAYERS.slice(i + 1).flat()
    for (const folder of level) {
      const forbidden = [...above, ...level.filter((f) => f !== folder)]
      for (const from of forbidden) {
        zones.push({
          target: `./src/${folder}`,
          from: `./src/${from}`,
          message: `${folder} is below ${from} in the layers (eslint.config.js)`,
        })
      }
    }
  })
  // The root files: errors.ts is the ground floor, index.ts is the package's surface and imports no CLI code.
  for (const from of LAYERS.flat())
    zones.push({ target: './src/errors.ts', from: `./src/${from}`, message: 'errors.ts is the ground floor' })
  for (const from of ['cli', 'commands'])
    zones.push({ target: './src/index.ts', from: `./src/${from}`, message: 'the library does not export CLI code' })
  return zones
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'docs/**',
      'test/fixtures/**',
      'oclif.manifest.json',
      '.tmp/**',
      'src/cnab/compiled-schemas.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.js'],
    plugins: { 'import-x': importX },
    languageOptions: { globals: globals.node },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.test.json' })] },
    rules: {
      'import-x/no-cycle': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: layerZones() }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/commands/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@oclif/*'], message: 'the library never imports oclif; only src/cli and src/commands do' }] },
      ],
      'no-console': 'error',
    },
  },
)
