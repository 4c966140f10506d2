/**
 * copy(): resolving the source reference, tagging the destination (one request when the
 * destination can push with a tag), platform selection and referrers.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, test } from 'node:test'
import { MemoryStore } from '../../src/content/memory-store.js'
import { canListTags, type Fetcher, type TagLister } from '../../src/content/storage.js'
import { fetchAll } from '../../src/content/verify.js'
import { copy } from '../../src/copy/copy.js'
import { CopyError } from '../../src/copy/copy-error.js'
import { InvalidReferenceError, NotFoundError } from '../../src/errors.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { blob, type Content } from '../helpers/content.js'
import { multiPlatformGraph, seed } from '../helpers/graphs.js'
import { ReferencePushingStore, ReferrerListingStore, TrackingStore } from '../helpers/tracking-store.js'
import { cleanupStores, openStore } from './stores.js'

afterEach(cleanupStores)

const SIGNATURE = 'application/vnd.example.signature'
const EMPTY = blob('{}', MediaTypes.OciEmpty)

/** A signature artifact: a manifest with an empty config, one signature layer and `subject`. */
function signatureOf(subject: Content, label: string): { layer: Content; manifest: Content; all: Content[] } {
  const layer = blob(`signature ${label}`, SIGNATURE)
  const doc = {
    schemaVersion: 2,
    mediaType: MediaTypes.OciManifest,
    artifactType: SIGNATURE,
    config: EMPTY.desc,
    layers: [layer.desc],
    subject: subject.desc,
  }
  const manifest = blob(JSON.stringify(doc), MediaTypes.OciManifest)
  return { layer, manifest, all: [EMPTY, layer, manifest] }
}

async function tags(store: TagLister): Promise<string[]> {
  const out: string[] = []
  for await (const t of store.listTags()) out.push(t)
  return out
}

/** Asserts that `store` serves every content with the exact bytes (fetchAll also verifies digest and size). */
async function assertHolds(store: Fetcher, contents: readonly Content[]): Promise<void> {
  for (const c of contents) assert.deepEqual(await fetchAll(store, c.desc), c.bytes, c.desc.digest)
}

async function multiPlatformSource(): Promise<{ g: ReturnType<typeof multiPlatformGraph>; src: MemoryStore }> {
  const g = multiPlatformGraph()
  const src = new MemoryStore()
  await seed(src, g.all, 'multi')
  return { g, src }
}

describe('copy', () => {
  test('resolves the source tag, copies the graph and tags the root in the destination', async () => {
    const { g, src } = await multiPlatformSource()
    const dst = await openStore('layout')

    const result = await copy(src, 'multi', dst, 'v1')

    assert.equal(result.descriptor.digest, g.index.desc.digest)
    assert.equal(result.tag, 'v1')
    assert.equal(result.referrers, undefined)
    assert.equal(result.stats.copied, g.all.length)
    assert.equal((await dst.resolve('v1')).digest, g.index.desc.digest)
    await assertHolds(dst, g.all)
  })

  test('resolves a source digest as well as a tag', async () => {
    const { g, src } = await multiPlatformSource()
    const result = await copy(src, g.arm64.manifest.desc.digest, new MemoryStore(), undefined)
    assert.equal(result.descriptor.digest, g.arm64.manifest.desc.digest)
    assert.equal(result.stats.copied, 4)
  })

  test('with no destination reference writes no tag, and a layout still lists the root by digest', async () => {
    const { g, src } = await multiPlatformSource()
    const dst = await openStore('layout')

    const result = await copy(src, 'multi', dst, undefined)

    assert.equal(result.tag, undefined)
    assert.ok(canListTags(dst))
    assert.deepEqual(await tags(dst), [])
    // Resolving a digest the layout's index.json lists gives its media type; an unlisted blob would be application/octet-stream.
    assert.equal((await dst.resolve(g.index.desc.digest)).mediaType, MediaTypes.OciIndex)
  })

  test("a destination digest must be the root's: the same digest writes no tag, another is refused before anything is copied", async () => {
    const { g, src } = await multiPlatformSource()
    const same = new TrackingStore(new MemoryStore())
    const result = await copy(src, 'multi', same, g.index.desc.digest)
    assert.equal(result.tag, undefined)
    assert.equal(same.count('tag'), 0)

    const other = new TrackingStore(new MemoryStore())
    await assert.rejects(copy(src, 'multi', other, g.amd64.manifest.desc.digest), InvalidReferenceError)
    assert.deepEqual(other.calls, [])
  })

  test('an unknown source tag fails with CopyError (resolve, source) naming the reference', async () => {
    const { src } = await multiPlatformSource()
    await assert.rejects(copy(src, 'missing', new MemoryStore(), 'v1'), (err: unknown) => {
      assert.ok(err instanceof CopyError)
      assert.deepEqual([err.op, err.origin, err.reference], ['resolve', 'source', 'missing'])
      assert.ok(err.cause instanceof NotFoundError)
      return true
    })
  })

  test('pushes the root together with its tag in one request when the destination can, with no separate tag call', async () => {
    const { g, src } = await multiPlatformSource()
    const dst = new ReferencePushingStore(new MemoryStore())

    await copy(src, 'multi', dst, 'v1')

    assert.deepEqual(
      dst.calls.filter((c) => c.op === 'pushReference' || c.op === 'tag'),
      [{ op: 'pushReference', target: g.index.desc.digest, detail: 'v1' }],
    )
    assert.equal(dst.count('push', g.index.desc.digest), 0)
    assert.equal((await dst.inner.resolve('v1')).digest, g.index.desc.digest)
  })

  test('tags a root the destination already has with a tag call, as pushing it again is skipped', async () => {
    const { g, src } = await multiPlatformSource()
    const inner = new MemoryStore()
    await copy(src, 'multi', inner, 'v1')
    const dst = new ReferencePushingStore(inner)

    const result = await copy(src, 'multi', dst, 'v2')

    assert.deepEqual(dst.calls, [
      { op: 'exists', target: g.index.desc.digest },
      { op: 'tag', target: g.index.desc.digest, detail: 'v2' },
    ])
    assert.deepEqual([result.stats.nodes, result.stats.skipped], [1, 1])
  })

  test("a platform filter makes the root that platform's manifest and leaves the other platform's blobs behind", async () => {
    const { g, src } = await multiPlatformSource()
    const dst = await openStore('layout')

    const result = await copy(src, 'multi', dst, 'arm', { platform: { os: 'linux', architecture: 'arm64' } })

    assert.equal(result.descriptor.digest, g.arm64.manifest.desc.digest)
    assert.deepEqual(result.descriptor.platform, g.arm64.platform)
    assert.equal((await dst.resolve('arm')).digest, g.arm64.manifest.desc.digest)
    await assertHolds(dst, [g.shared, g.arm64.config, g.arm64.layer, g.arm64.manifest])
    for (const c of [g.index, g.amd64.manifest, g.amd64.config, g.amd64.layer]) assert.equal(await dst.exists(c.desc), false, c.desc.digest)
    assert.equal(result.stats.copied, 4)
  })

  test('a platform no child matches fails with NotFoundError listing the platforms there are, before anything is copied', async () => {
    const { src } = await multiPlatformSource()
    const dst = new TrackingStore(new MemoryStore())
    await assert.rejects(copy(src, 'multi', dst, 'x', { platform: { os: 'windows', architecture: 'amd64' } }), (err: unknown) => {
      assert.ok(err instanceof NotFoundError)
      assert.match(err.message, /windows\/amd64.*linux\/amd64, linux\/arm64\/v8/)
      return true
    })
    assert.deepEqual(dst.calls, [])
  })

  test("a platform filter on a single image is checked against the image's config", async () => {
    const { g, src } = await multiPlatformSource()
    await src.tag(g.amd64.manifest.desc, 'amd')
    await assert.rejects(
      copy(src, 'amd', new MemoryStore(), 'x', { platform: { os: 'linux', architecture: 'arm64' } }),
      /it has: linux\/amd64/,
    )
    const result = await copy(src, 'amd', new MemoryStore(), 'x', { platform: { os: 'linux', architecture: 'amd64' } })
    assert.equal(result.descriptor.digest, g.amd64.manifest.desc.digest)
  })

  describe('referrers', () => {
    async function signedSource(): Promise<{
      g: ReturnType<typeof multiPlatformGraph>
      src: ReferrerListingStore
      sigIndex: ReturnType<typeof signatureOf>
      sigAmd: ReturnType<typeof signatureOf>
      sigOfSig: ReturnType<typeof signatureOf>
    }> {
      const { g, src } = await multiPlatformSource()
      const sigIndex = signatureOf(g.index, 'of the index')
      const sigAmd = signatureOf(g.amd64.manifest, 'of the amd64 image')
      const sigOfSig = signatureOf(sigIndex.manifest, 'of the index signature')
      await seed(src, [...sigIndex.all, ...sigAmd.all, ...sigOfSig.all])
      return { g, src: new ReferrerListingStore(src), sigIndex, sigAmd, sigOfSig }
    }

    test('copies the referrers of every copied manifest and theirs in turn, each after its subject', async () => {
      const { g, src, sigIndex, sigAmd, sigOfSig } = await signedSource()
      const dst = new TrackingStore(new MemoryStore())

      const result = await copy(src, 'multi', dst, 'v1', { referrers: true })

      const referrers = [sigIndex, sigAmd, sigOfSig].map((s) => s.manifest.desc.digest)
      assert.deepEqual(result.referrers?.map((d) => d.digest).sort(), [...referrers].sort())
      await assertHolds(dst, [...g.all, ...sigIndex.all, ...sigAmd.all, ...sigOfSig.all])
      for (const [sig, subject] of [
        [sigIndex, g.index],
        [sigAmd, g.amd64.manifest],
        [sigOfSig, sigIndex.manifest],
      ] as const) {
        assert.ok(dst.pushTimes.get(sig.manifest.desc.digest)!.start > dst.pushTimes.get(subject.desc.digest)!.end)
      }
      assert.equal((await dst.inner.resolve('v1')).digest, g.index.desc.digest)
    })

    test('are not copied unless asked for', async () => {
      const { src, sigIndex } = await signedSource()
      const dst = new MemoryStore()
      await copy(src, 'multi', dst, 'v1')
      assert.equal(await dst.exists(sigIndex.manifest.desc), false)
      assert.equal(src.count('listReferrers'), 0)
    })

    test('added to the source since an earlier copy are copied by the next one, though the subject is skipped', async () => {
      const { g, src } = await signedSource()
      const dst = new MemoryStore()
      await copy(src, 'multi', dst, 'v1', { referrers: true })
      const late = signatureOf(g.index, 'added later')
      await seed(src.inner, late.all)

      const result = await copy(src, 'multi', dst, 'v1', { referrers: true })

      await assertHolds(dst, late.all)
      assert.equal(result.stats.copied, 2, 'the new signature manifest and its layer; the empty config is present')
    })

    test('asked for from a source that cannot list them: the graph is copied and the result has no referrers field', async () => {
      const { src } = await multiPlatformSource()
      // A TrackingStore offers only the required surface: no listReferrers.
      const result = await copy(new TrackingStore(src), 'multi', new MemoryStore(), 'v1', { referrers: true })
      assert.equal(result.referrers, undefined)
      assert.equal(result.stats.copied, 8)
    })
  })
})
