/**
 * The layering of the library is part of the lint configuration (eslint.config.js), so an
 * import that goes up a layer, or library code that imports oclif, fails `npm run lint` (and so
 * `npm test`). These lint the same text at different places of the tree.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ESLint } from 'eslint'

const eslint = new ESLint()

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`)
}

describe('the layers in the lint configuration', () => {
  test('an upward import fails: util may not import publish, registry may not import copy', async () => {
    const fromUtil = await problems('src/util/upward.ts', "import { publish } from '../publish/publish.js'\nexport const p = publish\n")
    assert.equal(fromUtil.length, 1, fromUtil.join('\n'))
    assert.match(fromUtil[0]!, /^import-x\/no-restricted-paths: .*util is below publish/)
    const fromRegistry = await problems('src/registry/upward.ts', "import { copy } from '../copy/copy.js'\nexport const c = copy\n")
    assert.match(fromRegistry.join('\n'), /registry is below copy/)
  })

  test('layout and registry, on one level, may not import each other', async () => {
    const found = await problems(
      'src/layout/sideways.ts',
      "import { RegistryRepository } from '../registry/repository.js'\nexport const r = RegistryRepository\n",
    )
    assert.match(found.join('\n'), /layout is below registry/)
  })

  test('the same import downwards passes: publish may import util, commands may import publish', async () => {
    assert.deepEqual(
      await problems('src/publish/downward.ts', "import { writeFileAtomic } from '../util/files.js'\nexport const w = writeFileAtomic\n"),
      [],
    )
    assert.deepEqual(
      await problems('src/commands/downward.ts', "import { publish } from '../publish/publish.js'\nexport const p = publish\n"),
      [],
    )
  })

  test('the library never imports oclif; the CLI may', async () => {
    const code = "import { Command } from '@oclif/core/command'\nexport const C = Command\n"
    assert.match((await problems('src/publish/oclif.ts', code)).join('\n'), /the library never imports oclif/)
    assert.deepEqual(await problems('src/cli/oclif.ts', code), [])
  })

  test('the package surface exports no CLI code', async () => {
    const found = await problems('src/index.ts', "export { renderPublish } from './cli/render-publish.js'\n")
    assert.match(found.join('\n'), /the library does not export CLI code/)
  })
})
