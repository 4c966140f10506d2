/**
 * The storage contract of src/content/storage.ts as one suite, run against every back end
 * (memory, layout, and later registry). Each case gets a fresh, empty target from the factory.
 */
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, test } from 'node:test'
import type { GraphTarget } from '../../src/content/storage.js'
import { AlreadyExistsError, DigestMismatchError, NotFoundError, SizeMismatchError } from '../../src/errors.js'
import { digestOf, digestStream } from '../../src/oci/digest.js'
import type { Descriptor } from '../../src/oci/descriptor.js'
import {
  blob,
  config,
  digests,
  image,
  index,
  manifest,
  pattern,
  patternDescriptor,
  patternStream,
  readAll,
  type Content,
} from '../helpers/content.js'

export interface TargetFixture {
  target: GraphTarget
  /** Releases whatever the factory created (directories, servers). */
  cleanup(): Promise<void>
}

/** Pushes content that may already be present: contract rule 2 allows AlreadyExistsError. */
async function pushIdempotent(target: GraphTarget, c: Content): Promise<void> {
  try {
    await target.push(c.desc, c.bytes)
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err
  }
}

async function pushAll(target: GraphTarget, ...contents: Content[]): Promise<void> {
  for (const c of contents) await target.push(c.desc, c.bytes)
}

async function fetchBytes(target: GraphTarget, desc: Descriptor): Promise<Buffer> {
  return readAll(await target.fetch(desc))
}

export interface ConformanceOptions {
  /**
   * 'subject-only': the target finds predecessors through `subject` links only (a registry lists
   * referrers, but cannot say which manifests or indexes name a node as config, layer or child),
   * so the cases for config, layer and index parents are not registered. Undefined → 'all'.
   */
  predecessors?: 'all' | 'subject-only'
}

/** Registers the conformance cases for the target that `factory` creates. */
export function describeTargetConformance(name: string, factory: () => Promise<TargetFixture>, options: ConformanceOptions = {}): void {
  const allPredecessors = (options.predecessors ?? 'all') === 'all'

  describe(`GraphTarget conformance: ${name}`, () => {
    let fx: TargetFixture
    let t: GraphTarget
    beforeEach(async () => {
      fx = await factory()
      t = fx.target
    })
    afterEach(async () => {
      await fx.cleanup()
    })

    test('push then fetch returns the same bytes for a blob and a manifest', async () => {
      const img = image('roundtrip')
      await pushAll(t, img.config, img.layer, img.manifest)
      for (const c of [img.config, img.layer, img.manifest]) {
        const got = await fetchBytes(t, c.desc)
        assert.deepEqual(got, c.bytes)
        assert.equal(digestOf(got), c.desc.digest)
      }
    })

    test('exists is false before a push and true after it', async () => {
      const b = blob('exists')
      assert.equal(await t.exists(b.desc), false)
      await t.push(b.desc, b.bytes)
      assert.equal(await t.exists(b.desc), true)
    })

    test('push with bytes that do not match the digest throws DigestMismatchError and stores nothing', async () => {
      const promised = blob('the promised bytes')
      const delivered = Buffer.from('the other bytes!!!')
      assert.equal(delivered.length, promised.bytes.length)
      await assert.rejects(t.push(promised.desc, delivered), DigestMismatchError)
      await assert.rejects(t.push(promised.desc, Readable.from([delivered])), DigestMismatchError)
      assert.equal(await t.exists(promised.desc), false)
      assert.equal(await t.exists({ ...promised.desc, digest: digestOf(delivered) }), false)
      await assert.rejects(t.fetch(promised.desc), NotFoundError)
    })

    test('push of a body shorter than the descriptor size throws SizeMismatchError and stores nothing', async () => {
      const promised = blob('hello world')
      const short = promised.bytes.subarray(0, 5)
      await assert.rejects(t.push(promised.desc, short), SizeMismatchError)
      await assert.rejects(t.push(promised.desc, Readable.from([short])), SizeMismatchError)
      assert.equal(await t.exists(promised.desc), false)
    })

    test('push of a body longer than the descriptor size throws SizeMismatchError and stores nothing', async () => {
      const promised = blob('hello')
      const long = Buffer.from('hello world')
      await assert.rejects(t.push(promised.desc, long), SizeMismatchError)
      await assert.rejects(t.push(promised.desc, Readable.from([Buffer.from('hello'), Buffer.from(' world')])), SizeMismatchError)
      assert.equal(await t.exists(promised.desc), false)
    })

    test('pushing content that is already present succeeds and leaves it unchanged', async () => {
      const img = image('twice')
      await pushAll(t, img.config, img.layer, img.manifest)
      for (const c of [img.config, img.layer, img.manifest]) await pushIdempotent(t, c)
      assert.deepEqual(await fetchBytes(t, img.manifest.desc), img.manifest.bytes)
      assert.deepEqual(await fetchBytes(t, img.layer.desc), img.layer.bytes)
    })

    test('fetch of absent content throws NotFoundError and exists says false', async () => {
      const b = blob('never pushed')
      await assert.rejects(t.fetch(b.desc), NotFoundError)
      assert.equal(await t.exists(b.desc), false)
    })

    test('tag of absent content throws NotFoundError and creates no tag', async () => {
      const img = image('absent')
      await assert.rejects(t.tag(img.manifest.desc, 'v1'), NotFoundError)
      await assert.rejects(t.resolve('v1'), NotFoundError)
    })

    test('tag then resolve returns the tagged manifest descriptor', async () => {
      const img = image('tagged')
      await pushAll(t, img.config, img.layer, img.manifest)
      await t.tag(img.manifest.desc, 'v1')
      const got = await t.resolve('v1')
      assert.equal(got.digest, img.manifest.desc.digest)
      assert.equal(got.size, img.manifest.desc.size)
      assert.equal(got.mediaType, img.manifest.desc.mediaType)
    })

    test('tagging other content with an existing tag moves the tag', async () => {
      const a = image('first')
      const b = image('second')
      await pushAll(t, a.config, a.layer, a.manifest, b.config, b.layer, b.manifest)
      await t.tag(a.manifest.desc, 'latest')
      await t.tag(b.manifest.desc, 'latest')
      assert.equal((await t.resolve('latest')).digest, b.manifest.desc.digest)
      assert.deepEqual(await fetchBytes(t, a.manifest.desc), a.manifest.bytes, 'the previously tagged manifest is still stored')
    })

    test('resolve of a digest returns a descriptor of that content', async () => {
      const img = image('by digest')
      await pushAll(t, img.config, img.layer, img.manifest)
      const got = await t.resolve(img.manifest.desc.digest)
      assert.equal(got.digest, img.manifest.desc.digest)
      assert.equal(got.size, img.manifest.desc.size)
    })

    test('resolve of an unknown tag or digest throws NotFoundError', async () => {
      await assert.rejects(t.resolve('no-such-tag'), NotFoundError)
      await assert.rejects(t.resolve(blob('unknown').desc.digest), NotFoundError)
    })

    if (allPredecessors)
      test('predecessors of a config and a layer are the manifests that reference them', async () => {
        const shared = config('shared')
        const layerA = blob('layer a')
        const layerB = blob('layer b')
        const m1 = manifest(shared, [layerA])
        const m2 = manifest(shared, [layerA, layerB])
        await pushAll(t, shared, layerA, layerB, m1, m2)
        assert.deepEqual(digests(await t.predecessors(shared.desc)), digests([m1.desc, m2.desc]))
        assert.deepEqual(digests(await t.predecessors(layerA.desc)), digests([m1.desc, m2.desc]))
        assert.deepEqual(digests(await t.predecessors(layerB.desc)), [m2.desc.digest])
        assert.deepEqual(await t.predecessors(m1.desc), [])
      })

    if (allPredecessors)
      test('predecessors of manifests are the index that lists them', async () => {
        const a = image('amd64')
        const b = image('arm64')
        const idx = index([a.manifest, b.manifest])
        await pushAll(t, a.config, a.layer, a.manifest, b.config, b.layer, b.manifest, idx)
        assert.deepEqual(digests(await t.predecessors(a.manifest.desc)), [idx.desc.digest])
        assert.deepEqual(digests(await t.predecessors(b.manifest.desc)), [idx.desc.digest])
      })

    test('predecessors of a subject include the manifest that refers to it', async () => {
      const subject = image('subject')
      const sig = blob('signature', 'application/vnd.example.signature')
      const referrerConfig = config('referrer')
      const referrer = manifest(referrerConfig, [sig], subject.manifest.desc)
      await pushAll(t, subject.config, subject.layer, subject.manifest, sig, referrerConfig, referrer)
      assert.deepEqual(digests(await t.predecessors(subject.manifest.desc)), [referrer.desc.digest])
    })

    test('a 17 MiB body streamed in 64 KiB chunks is stored and fetched back intact', async () => {
      const size = 17 * 1024 * 1024
      const desc = await patternDescriptor(size, { seed: 7 })
      await t.push(desc, patternStream(size, { seed: 7 }))
      assert.equal(await t.exists(desc), true)
      // Compared by digest of the fetched stream: neither side ever holds the 17 MiB in the test.
      assert.deepEqual(await digestStream(await t.fetch(desc)), { digest: desc.digest, size })
    })

    test('concurrent pushes of the same blob all succeed and store it once, intact', async () => {
      const size = 1024 * 1024
      const desc = await patternDescriptor(size, { seed: 3, chunkSize: 16 * 1024 })
      const pushes = Array.from({ length: 4 }, () =>
        t.push(desc, patternStream(size, { seed: 3, chunkSize: 16 * 1024, delayMs: 1 })).catch((err: unknown) => {
          if (!(err instanceof AlreadyExistsError)) throw err
        }),
      )
      await Promise.all(pushes)
      assert.deepEqual(await digestStream(await t.fetch(desc)), { digest: desc.digest, size })
    })

    test('a push aborted through its AbortSignal midway rejects and stores nothing', async () => {
      const size = 4 * 1024 * 1024
      const desc = await patternDescriptor(size, { seed: 11 })
      const controller = new AbortController()
      const body = pattern(size, { seed: 11, onProgress: (n) => void (n >= size / 2 && controller.abort()) })
      await assert.rejects(t.push(desc, body, { signal: controller.signal }), { name: 'AbortError' })
      assert.equal(await t.exists(desc), false)
    })
  })
}
