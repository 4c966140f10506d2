/**
 * The library as a program embedding it sees it: everything is imported from the package name
 * `ocibundle` (resolved through package.json `exports` to the built dist/, never a src/ or
 * dist/ path), and one bundle goes through the whole workflow against the real distribution
 * registry with Basic auth: validate → build into a layout → publish to the registry → resolve
 * the tag through openTarget → pull it back → copy registry → layout.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  build,
  canListTags,
  copy,
  fetchAll,
  formatReference,
  inspect,
  listTags,
  openTarget,
  parseReference,
  publish,
  pull,
  validateBundleFiles,
  type OperationOptions,
  type PublishAttempt,
} from 'ocibundle'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const SHOP = 'bundles/shop/bundle.json'
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`

let dir: TempDir
let reg: RunningRegistry
let options: OperationOptions
before(async () => {
  dir = await makeTempDir('package-root-')
  await makeExampleImages(join(dir.path, 'images'))
  reg = await startRegistry('basic')
  // Credentials given in code, no Docker config and no saved reports: nothing from this machine's home is read.
  const home = join(dir.path, 'home')
  options = {
    credentials: { [reg.host]: { username: reg.username!, password: reg.password! } },
    env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache') },
  }
})
after(async () => {
  await reg?.stop()
  await dir?.cleanup()
})

describe('the package root, imported by name', () => {
  test('resolves to the built package through package.json exports', async () => {
    const resolved = import.meta.resolve('ocibundle')
    assert.match(resolved, /\/dist\/index\.js$/)
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { exports: Record<string, unknown> }
    assert.deepEqual(Object.keys(pkg.exports), ['.', './package.json'], 'deep imports stay closed')
  })

  test('validate → build → publish → resolve → pull → copy, every byte and digest the same', async () => {
    const validated = await validateBundleFiles([SHOP])
    assert.equal(validated.valid, true)

    const layout = `ocidir://${join(dir.path, 'built')}`
    const built = await build(SHOP, layout, { images: `ocidir://${join(dir.path, 'images')}`, autoUpdate: true, ...options })
    assert.equal(built.kind, 'built')
    assert.equal(built.reference, `${layout}:v2.3.1`)

    const attempts: PublishAttempt[] = []
    const published = await publish(built.reference, `${reg.host}/acme/shop`, { ...options, onAttempt: (a) => attempts.push(a) })
    assert.equal(published.kind, 'copied')
    assert.equal(published.digest, built.digest, 'a built bundle keeps its digest when it is published')
    assert.equal(published.reference, `${reg.host}/acme/shop:v2.3.1`)
    assert.equal(Object.keys(published.relocationMap ?? {}).length, 4)

    const target = await openTarget(`${reg.host}/acme/shop`, options)
    try {
      const index = await target.resolve('v2.3.1')
      assert.equal(index.digest, built.digest)
      assert.ok(canListTags(target))
      const configManifest = JSON.parse((await fetchAll(target, index)).toString('utf8')) as { manifests: Array<{ digest: string }> }
      assert.equal(configManifest.manifests.length, 5, 'config manifest, invocation image and three component images')
    } finally {
      await target.close()
    }
    assert.deepEqual((await listTags(`${reg.host}/acme/shop`, options)).tags, ['v2.3.1'])

    const out = join(dir.path, 'pulled')
    const pulled = await pull(published.reference, out, { ...options, withImages: true })
    assert.equal(pulled.digest, built.digest)
    assert.equal(sha256(await readFile(pulled.bundle)), built.configBlob.digest, 'bundle.json is the published config blob, byte for byte')
    assert.deepEqual(JSON.parse(await readFile(pulled.relocationMapping!, 'utf8')), published.relocationMap)
    assert.equal(Object.keys(pulled.images!.manifests).length, 4)

    const described = await inspect(published.reference, options)
    assert.equal(described.name, 'io.ocibundle.examples.shop')
    assert.equal(described.images.length, 4)

    // The graph-level copy on targets from openTarget: registry → layout, digest kept.
    const from = await openTarget(published.reference, options)
    const to = await openTarget(`ocidir://${join(dir.path, 'copied')}`, { write: true })
    try {
      const copied = await copy(from, 'v2.3.1', to, 'mirrored')
      assert.equal(copied.descriptor.digest, built.digest)
      assert.equal((await to.resolve('mirrored')).digest, built.digest)
      assert.ok(copied.stats.copied > 10)
    } finally {
      await from.close()
      await to.close()
    }
    assert.equal(
      formatReference(parseReference(`ocidir://${join(dir.path, 'copied')}:mirrored`)),
      `ocidir://${join(dir.path, 'copied')}:mirrored`,
    )
  })
})
