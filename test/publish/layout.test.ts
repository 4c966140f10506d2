/**
 * Publishing to OCI image layouts: the same bundle gives the same bytes in every file, a
 * bundle copied from a layout to a registry is the bundle published there directly, and a pull
 * into a layout makes a thick-bundle image layout that fixup can read again.
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { copyBundle, fixupBundle, layoutImageSource, publishBundle, pullBundle, type PublishResult } from '../../src/publish/index.js'
import { MemoryStore } from '../../src/content/memory-store.js'
import { fetchAll } from '../../src/content/verify.js'
import { OciLayoutStore } from '../../src/layout/layout-store.js'
import type { Descriptor } from '../../src/oci/descriptor.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { RegistryClient } from '../../src/registry/http/client.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'
import { exampleBundle, exampleImages, fastRetry, pushRepository, sha256, SHOP_IMAGES, snapshot } from './helpers.js'

let dir: TempDir
let reg: RunningRegistry
let client: RegistryClient
let images: OciLayoutStore
let made: Map<string, Descriptor>
let shop: Record<string, unknown>

before(async () => {
  dir = await makeTempDir('publish-layout-')
  ;[reg, { store: images, images: made }, shop] = await Promise.all([
    startRegistry('plain'),
    exampleImages(join(dir.path, 'images')),
    exampleBundle('shop'),
  ])
  client = new RegistryClient({ retry: fastRetry() })
})
after(async () => {
  await client?.close()
  await reg?.stop()
  await dir?.cleanup()
})

/** Fixes up and publishes the shop bundle into a new layout at `path`. */
async function publishToLayout(path: string): Promise<{ store: OciLayoutStore; result: PublishResult; relocationMap: unknown }> {
  const store = await OciLayoutStore.open(path, { create: true })
  const fixed = await fixupBundle(shop, { target: store }, { source: layoutImageSource(images), autoUpdate: true })
  return { store, result: await publishBundle(fixed.bundle, { target: store }), relocationMap: fixed.relocationMap }
}

describe('publishing to a layout', () => {
  test('two publishes of the shop bundle, run at the same time, write byte-identical layouts', async () => {
    const [a, b] = await Promise.all([publishToLayout(join(dir.path, 'a')), publishToLayout(join(dir.path, 'b'))])
    assert.equal(a.result.digest, b.result.digest)
    assert.equal(a.relocationMap, undefined, 'a layout has no repository, so fixup makes no relocation map')
    assert.equal(a.result.relocationMap, undefined)
    const [filesA, filesB] = await Promise.all([snapshot(a.store.root), snapshot(b.store.root)])
    assert.deepEqual([...filesA.keys()], [...filesB.keys()])
    for (const [path, bytes] of filesA) assert.ok(bytes.equals(filesB.get(path)!), `${path} differs`)
    const index = JSON.parse(filesA.get('index.json')!.toString('utf8')) as {
      manifests: (Descriptor & { annotations?: Record<string, string> })[]
    }
    const tagged = index.manifests.filter((e) => e.annotations?.['org.opencontainers.image.ref.name'] === 'v2.3.1')
    assert.deepEqual(
      tagged.map((e) => e.digest),
      [a.result.digest],
    )
  })

  test('a bundle published to a layout and copied to a registry has the digest of the bundle published there directly', async () => {
    const { store } = await publishToLayout(join(dir.path, 'to-registry'))
    const direct = pushRepository(reg.host, 'direct/shop', client)
    const fixed = await fixupBundle(shop, { target: direct }, { source: layoutImageSource(images), autoUpdate: true })
    const published = await publishBundle(fixed.bundle, { target: direct })

    const copied = await copyBundle(store, 'v2.3.1', { target: pushRepository(reg.host, 'from-layout/shop', client) }, undefined)
    assert.equal(copied.digest, published.digest)
    assert.equal(copied.tag, 'v2.3.1')
    assert.deepEqual(
      copied.relocationMap,
      Object.fromEntries(SHOP_IMAGES.map((ref) => [ref, `${reg.host}/from-layout/shop@${made.get(ref)!.digest}`])),
    )
  })

  test('a pull into a layout tags every image with its reference, and fixup reads that layout back unchanged', async () => {
    const { store, result } = await publishToLayout(join(dir.path, 'source'))
    const thick = await OciLayoutStore.open(join(dir.path, 'thick'), { create: true })
    const pulled = await pullBundle(store, result.tag, { images: thick })
    assert.equal(pulled.relocationMap, undefined)
    for (const ref of SHOP_IMAGES) assert.equal((await thick.resolve(ref)).digest, made.get(ref)!.digest)
    const again = await fixupBundle(pulled.bundle, { target: new MemoryStore() }, { source: layoutImageSource(thick), autoUpdate: false })
    assert.deepEqual(again.changes, [])
  })

  test('an index with schemaVersion 1 and no mediaType (early cnab-to-oci) pulls back from a layout', async () => {
    const { store, result } = await publishToLayout(join(dir.path, 'legacy'))
    const index = JSON.parse((await fetchAll(store, result.index)).toString('utf8')) as Record<string, unknown>
    delete index.mediaType
    const bytes = Buffer.from(JSON.stringify({ ...index, schemaVersion: 1 }))
    const digest = sha256(bytes)
    // Written by hand: every store refuses to push a schemaVersion 1 document.
    await writeFile(join(store.root, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes)
    const indexJson = JSON.parse(await readFile(join(store.root, 'index.json'), 'utf8')) as { manifests: unknown[] }
    indexJson.manifests.push({
      mediaType: MediaTypes.OciIndex,
      digest,
      size: bytes.length,
      annotations: { 'org.opencontainers.image.ref.name': 'legacy' },
    })
    await writeFile(join(store.root, 'index.json'), JSON.stringify(indexJson))

    const pulled = await pullBundle(store, 'legacy')
    assert.equal(pulled.digest, digest)
    assert.deepEqual(pulled.bundleBytes, (await pullBundle(store, result.tag)).bundleBytes)
    assert.match(pulled.warnings.join('\n'), /schemaVersion 1/)
  })
})
