/**
 * The rules of publish, pull and the platform filter that need no registry, on in-memory stores:
 * what is validated and refused before anything is pushed, which bytes become the config blob,
 * the invocation digest check on pull, and reduced indexes.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { canonicalBytes } from '../../src/cnab/canonical.js'
import { InvocationImageMismatchError } from '../../src/cnab/oci/index.js'
import {
  BundleValidationError,
  filterPlatforms,
  fixupBundle,
  layoutImageSource,
  publishBundle,
  pullBundle,
  type ImageSource,
} from '../../src/publish/index.js'
import { MemoryStore } from '../../src/content/memory-store.js'
import { fetchAll } from '../../src/content/verify.js'
import { InvalidReferenceError, NotFoundError } from '../../src/errors.js'
import type { OciLayoutStore } from '../../src/layout/layout-store.js'
import { descriptorFromBytes, type Descriptor, type Platform } from '../../src/oci/descriptor.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { image } from '../helpers/content.js'
import { indexOf, seed } from '../helpers/graphs.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'
import { API, exampleBundle, exampleImages, INSTALLER } from './helpers.js'

let dir: TempDir
let layout: OciLayoutStore
let made: Map<string, Descriptor>
let shop: Record<string, unknown>

before(async () => {
  dir = await makeTempDir('publish-rules-')
  ;[{ store: layout, images: made }, shop] = await Promise.all([exampleImages(join(dir.path, 'images')), exampleBundle('shop')])
})
after(() => dir?.cleanup())

/** The shop bundle fixed up into a new MemoryStore. */
async function fixedShop(): Promise<{ store: MemoryStore; bundle: unknown }> {
  const store = new MemoryStore()
  const fixed = await fixupBundle(shop, { target: store }, { source: layoutImageSource(layout), autoUpdate: true })
  return { store, bundle: fixed.bundle }
}

describe('publish refuses before pushing', () => {
  test('a bundle without image digests fails publish-mode validation, every error listed', async () => {
    const store = new MemoryStore()
    const err = await publishBundle(shop, { target: store }).catch((e: unknown) => e)
    assert.ok(err instanceof BundleValidationError, String(err))
    const pointers = err.issues.filter((i) => i.severity === 'error' && i.rule === 'image-content-digest').map((i) => i.pointer)
    assert.deepEqual(pointers, ['/images/api', '/images/db', '/images/web', '/invocationImages/0'])
    assert.deepEqual(await collect(store.listTags()), [], 'nothing was tagged')
  })

  test('an image missing from the destination is named, and the bundle is not tagged', async () => {
    const { bundle } = await fixedShop()
    const empty = new MemoryStore()
    await assert.rejects(publishBundle(bundle, { target: empty }), (err: unknown) => {
      assert.ok(err instanceof NotFoundError)
      assert.match(err.message, /the destination lacks the images "example\.com\/ocibundle\/shop-installer:2\.3\.1" \(sha256:/)
      return true
    })
    assert.deepEqual(await collect(empty.listTags()), [])
  })

  test('a digest is not a tag', async () => {
    const { store, bundle } = await fixedShop()
    await assert.rejects(publishBundle(bundle, { target: store, reference: made.get(API)!.digest }), InvalidReferenceError)
  })
})

describe('the config blob', () => {
  test('canonical bytes are stored as given; a parsed value and reformatted bytes give the same blob and bundle digest', async () => {
    const { store, bundle } = await fixedShop()
    const canonical = canonicalBytes(bundle)
    const fromBytes = await publishBundle(canonical, { target: store, reference: 'bytes' })
    assert.deepEqual(await fetchAll(store, fromBytes.configBlob), canonical)
    const fromValue = await publishBundle(bundle, { target: store, reference: 'value' })
    const pretty = Buffer.from(JSON.stringify(bundle, null, 2))
    const fromPretty = await publishBundle(pretty, { target: store, reference: 'pretty' })
    assert.equal(fromValue.digest, fromBytes.digest)
    assert.equal(fromPretty.digest, fromBytes.digest)
    const again = await fixedShop()
    assert.equal((await publishBundle(again.bundle, { target: again.store })).digest, fromBytes.digest, 'another store, same bytes')
  })
})

describe('pull', () => {
  test('an index pointing at another invocation image than bundle.json pins is refused', async () => {
    const { store, bundle } = await fixedShop()
    const published = await publishBundle(bundle, { target: store })
    const index = JSON.parse((await fetchAll(store, published.index)).toString('utf8')) as { manifests: Descriptor[] }
    const invocation = index.manifests[1]!
    assert.equal(invocation.digest, made.get(INSTALLER)!.digest)
    index.manifests[1] = { ...made.get(API)!, annotations: invocation.annotations! }
    const bytes = Buffer.from(JSON.stringify(index))
    const forged = descriptorFromBytes(MediaTypes.OciIndex, bytes)
    await store.push(forged, bytes)
    await store.tag(forged, 'forged')
    await assert.rejects(pullBundle(store, 'forged'), InvocationImageMismatchError)
  })
})

describe('platform filter', () => {
  const amd64: Platform = { os: 'linux', architecture: 'amd64' }
  const arm64: Platform = { os: 'linux', architecture: 'arm64' }
  const s390x: Platform = { os: 'linux', architecture: 's390x' }

  async function threePlatforms(): Promise<{ store: MemoryStore; root: Descriptor; children: Descriptor[] }> {
    const images = [amd64, arm64, s390x].map((p) => ({ platform: p, ...image(p.architecture) }))
    const idx = indexOf(
      images.map((i) => ({ content: i.manifest, extra: { platform: i.platform } })),
      { annotations: { 'org.example.kept': 'yes' } },
    )
    const store = new MemoryStore()
    await seed(store, [...images.flatMap((i) => [i.config, i.layer, i.manifest]), idx])
    return { store, root: idx.desc, children: images.map((i) => ({ ...i.manifest.desc, platform: i.platform })) }
  }

  test('two of three platforms give a reduced index with those entries, other fields kept, the same bytes every time', async () => {
    const { store, root, children } = await threePlatforms()
    const filtered = await filterPlatforms(store, root, [s390x, amd64])
    assert.ok(filtered.created !== undefined)
    const doc = JSON.parse(filtered.created.bytes.toString('utf8')) as { manifests: Descriptor[]; annotations: unknown }
    assert.deepEqual(doc.manifests, [children[0], children[2]], 'index order, not filter order')
    assert.deepEqual(doc.annotations, { 'org.example.kept': 'yes' })
    assert.deepEqual(filtered.copyRoots, [children[0], children[2]])
    assert.equal((await filterPlatforms(store, root, [amd64, s390x])).descriptor.digest, filtered.descriptor.digest)
  })

  test('fixup records a reduced index and pushes it, after its entries, into the destination', async () => {
    const { store, root, children } = await threePlatforms()
    const ref = 'example.com/multi:1'
    const source: ImageSource = { locate: async () => ({ target: store, selector: root.digest, origin: 'memory' }) }
    const target = new MemoryStore()
    const hello = { ...(await exampleBundle('hello-world')), invocationImages: [{ imageType: 'oci', image: ref }] }
    const result = await fixupBundle(hello, { target }, { source, autoUpdate: true, platforms: [amd64, arm64] })
    const recorded = result.images.get(ref)!
    assert.notEqual(recorded.digest, root.digest)
    const doc = JSON.parse((await fetchAll(target, recorded)).toString('utf8')) as { manifests: Descriptor[] }
    assert.deepEqual(doc.manifests, children.slice(0, 2))
    assert.deepEqual(await Promise.all(children.map((c) => target.exists(c))), [true, true, false])
    assert.equal(await target.exists(root), false)
  })

  test('every platform keeps the original index; none matching lists what there is', async () => {
    const { store, root } = await threePlatforms()
    assert.deepEqual((await filterPlatforms(store, root, [amd64, arm64, s390x])).descriptor, root)
    await assert.rejects(filterPlatforms(store, root, [{ os: 'windows', architecture: 'amd64' }]), (err: unknown) => {
      assert.ok(err instanceof NotFoundError)
      assert.match(err.message, /matches windows\/amd64; it has: linux\/amd64, linux\/arm64, linux\/s390x$/)
      return true
    })
  })
})

async function collect(tags: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = []
  for await (const t of tags) out.push(t)
  return out
}
