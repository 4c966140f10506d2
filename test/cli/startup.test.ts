/**
 * What a command loads before it does anything: each module is start-up time on every run.
 * oclif's package index requires semver only to check oclif's own `engines` (~17 ms), and
 * undici's index loads fetch, WebSocket, caches and mocks (~45 ms); the CLI imports neither.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { runCli } from '../helpers/cli.js'

const PROBE = `
import { createRequire } from 'node:module'
const loaded = createRequire(import.meta.url).cache
process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(Object.keys(loaded)) + '\\n'))
`

/** The modules `args` loads, from the list the probe prints at exit. */
async function modulesLoadedBy(dir: string, args: string[]): Promise<{ code: number; modules: string[] }> {
  const probe = join(dir, 'probe.mjs')
  await writeFile(probe, PROBE)
  const r = await runCli(args, { env: { NODE_OPTIONS: `--import ${probe}` } })
  const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '))
  assert.ok(line, r.stderr)
  return { code: r.code, modules: JSON.parse(line.slice('LOADED '.length)) as string[] }
}

describe('CLI start-up', () => {
  test('validate loads no HTTP client, no oclif plugin, and neither the JSON error locator nor the edit distance', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ocibundle-startup-'))
    try {
      const { code, modules } = await modulesLoadedBy(dir, ['validate', 'bundles/hello-world/bundle.json'])
      assert.equal(code, 0)
      assert.deepEqual(
        modules.filter((m) => /[\\/]node_modules[\\/](undici|jsonc-parser|fastest-levenshtein|@oclif[\\/]plugin-[a-z-]+)[\\/]/.test(m)),
        [],
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  test('a registry command loads neither the oclif package index, semver, nor the undici package index', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ocibundle-startup-'))
    try {
      const probe = join(dir, 'probe.mjs')
      await writeFile(probe, PROBE)
      const r = await runCli(['resolve', `ocidir://${join(dir, 'missing')}:v1`], { env: { NODE_OPTIONS: `--import ${probe}` } })
      assert.equal(r.code, 6, r.stderr) // not found: the command ran
      const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '))
      assert.ok(line, r.stderr)
      const modules = JSON.parse(line.slice('LOADED '.length)) as string[]
      assert.ok(
        modules.some((m) => /[\\/]undici[\\/]lib[\\/]/.test(m)),
        'undici is used',
      )
      assert.deepEqual(
        modules.filter((m) => /[\\/]@oclif[\\/]core[\\/]lib[\\/]index\.js$/.test(m)),
        [],
      )
      assert.deepEqual(
        modules.filter((m) => /[\\/]node_modules[\\/]semver[\\/]/.test(m)),
        [],
      )
      assert.deepEqual(
        modules.filter((m) => /[\\/]undici[\\/]index\.js$/.test(m)),
        [],
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
