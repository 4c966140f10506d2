import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { copyFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { json, runCli } from '../helpers/cli.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const GOLDEN = 'test/fixtures/bundles/upstream/cnab-to-oci__remotes__pull_test.go__ExamplePull_output.canonical-bundle.json'
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

describe('ocibundle fmt', () => {
  let dir: TempDir
  before(async () => {
    dir = await makeTempDir('fmt')
  })
  after(() => dir.cleanup())

  test('--check passes on the golden canonical bundle and leaves its bytes alone', async () => {
    const r = await runCli(['fmt', '--check', GOLDEN])
    assert.equal(r.code, 0)
    assert.equal(sha256(await readFile(GOLDEN)), 'dbe3480b9cb300f389e8d02e4a682f9107772468feb6845f912dc8deed6d76fd')
  })

  test('--stdout prints exactly the golden bytes for a pretty-printed copy of the golden bundle', async () => {
    const pretty = join(dir.path, 'pretty.json')
    await writeFile(pretty, JSON.stringify(JSON.parse(await readFile(GOLDEN, 'utf8')), null, 2))
    const r = await runCli(['fmt', '--stdout', pretty])
    assert.equal(r.code, 0)
    assert.equal(sha256(Buffer.from(r.stdout)), 'dbe3480b9cb300f389e8d02e4a682f9107772468feb6845f912dc8deed6d76fd')
  })

  test('--check exits 3 on a non-canonical file; fmt rewrites it; then validate sees it canonical', async () => {
    const file = join(dir.path, 'shop.json')
    await copyFile('bundles/shop/bundle.json', file)
    const check = await runCli(['fmt', '--check', file])
    assert.equal(check.code, 3)
    assert.match(check.stdout, /not canonical \(run: ocibundle fmt /)
    const fmt = await runCli(['fmt', '--json', file])
    assert.equal(fmt.code, 0)
    assert.deepEqual(
      json<{ files: Array<{ changed: boolean }> }>(fmt).result.files.map((f) => f.changed),
      [true],
    )
    const v = await runCli(['validate', '--json', file])
    assert.equal(json<{ files: Array<{ canonical: boolean }> }>(v).result.files[0]!.canonical, true)
    const again = await runCli(['fmt', '--check', file])
    assert.equal(again.code, 0)
  })

  test('a file with duplicate keys is refused and left untouched', async () => {
    const file = join(dir.path, 'dup.json')
    await copyFile('test/fixtures/bundles/invalid/json-duplicate-key.json', file)
    const before = await readFile(file)
    const r = await runCli(['fmt', file])
    assert.equal(r.code, 3)
    assert.match(r.stderr, /cannot format: \/name: /)
    assert.deepEqual(await readFile(file), before)
  })
})

describe('CLI frame', () => {
  test('--version prints the package version', async () => {
    const r = await runCli(['--version'])
    const pkg = JSON.parse(await readFile('package.json', 'utf8'))
    assert.equal(r.code, 0)
    assert.match(r.stdout, new RegExp(`^ocibundle/${pkg.version.replaceAll('.', '\\.')} `))
  })

  for (const command of ['validate', 'fmt']) {
    test(`${command} --help shows a real example`, async () => {
      const r = await runCli([command, '--help'])
      assert.equal(r.code, 0)
      assert.match(r.stdout, new RegExp(`EXAMPLES[\\s\\S]*\\$ ocibundle ${command} `))
    })
  }

  test('an unknown command is a usage error', async () => {
    const r = await runCli(['frobnicate'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /"frobnicate" is not an ocibundle command/)
    assert.match(r.stderr, /see every command with: ocibundle help/)
  })
})
