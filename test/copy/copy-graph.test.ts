/**
 * copyGraph between real stores (memory and OCI layout), observed through tracking wrappers:
 * identity of what is copied, each node once, skipping, ordering, concurrency, foreign layers,
 * failures on either side, progress, mounting and cancellation.
 */
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { MemoryStore } from '../../src/content/memory-store.js'
import { fetchAll } from '../../src/content/verify.js'
import { CopyError } from '../../src/copy/copy-error.js'
import { copyGraph, DEFAULT_COPY_CONCURRENCY, type CopyProgress } from '../../src/copy/copy-graph.js'
import { DigestMismatchError } from '../../src/errors.js'
import { INGEST_DIR } from '../../src/layout/blob-path.js'
import type { OciLayoutStore } from '../../src/layout/layout-store.js'
import type { Descriptor } from '../../src/oci/descriptor.js'
import { parseManifest, successors } from '../../src/oci/manifest.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { blob, config, manifest, type Content } from '../helpers/content.js'
import { deepIndexGraph, multiPlatformGraph, seed } from '../helpers/graphs.js'
import { INJECTED_PUSH_FAILURE, MountingStore, TrackingStore } from '../helpers/tracking-store.js'
import { cleanupStores, openStore, type StoreKind } from './stores.js'

afterEach(cleanupStores)

const sizeOf = (contents: readonly Content[]): number => contents.reduce((n, c) => n + c.desc.size, 0)

/** Asserts that `dst` serves every content with the exact bytes (fetchAll also verifies digest and size). */
async function assertHolds(dst: TrackingStore, contents: readonly Content[]): Promise<void> {
  for (const c of contents)
    assert.deepEqual(await fetchAll(dst.inner, c.desc, { limit: 1 << 20 }), c.bytes, `${c.desc.mediaType} ${c.desc.digest}`)
}

async function seeded(kind: StoreKind, contents: readonly Content[], o = {}): Promise<TrackingStore> {
  const inner = await openStore(kind)
  await seed(inner, contents)
  return new TrackingStore(inner, o)
}

/** An image whose manifest lists `n` distinct layers. */
function wideImage(n: number): Content[] {
  const layers = Array.from({ length: n }, (_, i) => blob(`wide layer ${i}`))
  const cfg = config('wide')
  return [cfg, ...layers, manifest(cfg, layers)]
}

describe('copyGraph', () => {
  const directions: Array<[StoreKind, StoreKind]> = [
    ['memory', 'layout'],
    ['layout', 'memory'],
    ['layout', 'layout'],
  ]
  for (const [from, to] of directions) {
    test(`copies a multi-platform index ${from} → ${to} with identical digests, the shared layer fetched and pushed once`, async () => {
      const g = multiPlatformGraph()
      const src = await seeded(from, g.all)
      const dst = new TrackingStore(await openStore(to))

      const stats = await copyGraph(src, dst, g.index.desc)

      await assertHolds(dst, g.all)
      assert.equal(src.count('fetch', g.shared.desc.digest), 1)
      assert.equal(dst.count('push', g.shared.desc.digest), 1)
      assert.deepEqual(stats, { nodes: 8, copied: 8, skipped: 0, mounted: 0, bytesCopied: sizeOf(g.all), bytesSkipped: 0 })
    })
  }

  test('a second copy skips everything: one existence check, no fetch, no push', async () => {
    const g = multiPlatformGraph()
    const src = await seeded('memory', g.all)
    const dstStore = await openStore('layout')
    await copyGraph(src, dstStore, g.index.desc)
    const again = new TrackingStore(src.inner)
    const dst = new TrackingStore(dstStore)

    const stats = await copyGraph(again, dst, g.index.desc)

    assert.deepEqual(stats, { nodes: 1, copied: 0, skipped: 1, mounted: 0, bytesCopied: 0, bytesSkipped: g.index.desc.size })
    assert.equal(stats.skipped, stats.nodes)
    assert.equal(dst.count('push'), 0)
    assert.equal(again.count('fetch'), 0)
    assert.deepEqual(dst.calls, [{ op: 'exists', target: g.index.desc.digest }])
  })

  test('skips what the destination already has and counts it, without walking below a present manifest', async () => {
    const g = multiPlatformGraph()
    const src = await seeded('memory', g.all)
    const dst = new TrackingStore(await openStore('memory'))
    await seed(dst.inner, [g.shared, g.amd64.config, g.amd64.layer, g.amd64.manifest])
    const skipped: string[] = []

    const stats = await copyGraph(src, dst, g.index.desc, { onCopySkipped: (d) => void skipped.push(d.digest) })

    assert.deepEqual(skipped.sort(), [g.shared.desc.digest, g.amd64.manifest.desc.digest].sort())
    assert.deepEqual(stats, {
      nodes: 6,
      copied: 4,
      skipped: 2,
      mounted: 0,
      bytesCopied: sizeOf([g.index, g.arm64.manifest, g.arm64.config, g.arm64.layer]),
      bytesSkipped: sizeOf([g.shared, g.amd64.manifest]),
    })
    assert.equal(dst.count('exists', g.amd64.layer.desc.digest), 0)
    await assertHolds(dst, g.all)
  })

  test('pushes every parent only after all of its successors were stored', async () => {
    const g = multiPlatformGraph()
    const src = await seeded('memory', g.all)
    const dst = new TrackingStore(await openStore('layout'), { pushDelayMs: 5 })

    await copyGraph(src, dst, g.index.desc, { concurrency: 8 })

    for (const parent of [g.index, g.amd64.manifest, g.arm64.manifest]) {
      const pushed = dst.pushTimes.get(parent.desc.digest)!
      for (const child of successors(parseManifest(parent.bytes))) {
        const childPushed = dst.pushTimes.get(child.digest)!
        assert.ok(pushed.start > childPushed.end, `${parent.desc.digest} was pushed before its child ${child.digest} was stored`)
      }
    }
  })

  for (const limit of [1, 3]) {
    test(`never has more than concurrency=${limit} pushes in flight, and reaches that limit`, async () => {
      const contents = wideImage(10)
      const src = await seeded('memory', contents)
      const dst = new TrackingStore(await openStore('memory'), { pushDelayMs: 15 })

      await copyGraph(src, dst, contents.at(-1)!.desc, { concurrency: limit })

      assert.equal(dst.maxPushesInFlight, limit)
    })
  }

  test('runs DEFAULT_COPY_CONCURRENCY (8) pushes at once by default', async () => {
    const contents = wideImage(12)
    const src = await seeded('memory', contents)
    const dst = new TrackingStore(await openStore('memory'), { pushDelayMs: 15 })
    await copyGraph(src, dst, contents.at(-1)!.desc)
    assert.equal(DEFAULT_COPY_CONCURRENCY, 8)
    assert.equal(dst.maxPushesInFlight, DEFAULT_COPY_CONCURRENCY)
  })

  test('every call in flight may listen on the copy signal a few times without Node warning of a leak', async () => {
    const contents = wideImage(12)
    const src = await seeded('memory', contents)
    const inner = await openStore('memory')
    // As a registry push does: an HTTP request and a file stream each listen for the abort, for as long as they run.
    const dst = Object.assign(Object.create(inner) as MemoryStore, {
      push: async (expected: Descriptor, body: Parameters<MemoryStore['push']>[1], o: { signal?: AbortSignal } = {}) => {
        const listeners = [1, 2, 3].map(() => () => {})
        for (const l of listeners) o.signal?.addEventListener('abort', l)
        await sleep(10)
        for (const l of listeners) o.signal?.removeEventListener('abort', l)
        return inner.push(expected, body, o)
      },
    })
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(w.name)
    process.on('warning', onWarning)
    try {
      await copyGraph(src, dst, contents.at(-1)!.desc, { signal: new AbortController().signal })
      await sleep(0) // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning)
    }
    assert.deepEqual(warnings, [])
    assert.equal((await fetchAll(dst, contents.at(-1)!.desc)).length, contents.at(-1)!.desc.size)
  })

  test(
    'copies an index of indexes 8 levels deep with concurrency 1 (no slot is held while waiting for children)',
    { timeout: 10_000 },
    async () => {
      const { root, all } = deepIndexGraph(8)
      const src = await seeded('layout', all)
      const dst = new TrackingStore(await openStore('layout'))

      const stats = await copyGraph(src, dst, root.desc, { concurrency: 1 })

      assert.equal(stats.copied, all.length)
      await assertHolds(dst, all)
    },
  )

  test('leaves foreign layers out by default and copies them with includeForeignLayers', async () => {
    const foreignBytes = Buffer.from('windows base layer')
    const foreign = blob(foreignBytes, MediaTypes.OciLayerNondistributableGzip)
    foreign.desc.urls = ['https://example.com/base.tar.gz']
    const own = blob('own layer')
    const cfg = config('foreign')
    const image = manifest(cfg, [foreign, own])
    const src = await seeded('memory', [cfg, foreign, own, image])

    const plain = new TrackingStore(await openStore('layout'))
    const stats = await copyGraph(src, plain, image.desc)
    assert.equal(await plain.exists(foreign.desc), false)
    assert.equal(src.count('fetch', foreign.desc.digest), 0)
    assert.equal(stats.copied, 3)
    await assertHolds(plain, [cfg, own, image])

    const full = new TrackingStore(await openStore('layout'))
    await copyGraph(src, full, image.desc, { includeForeignLayers: true })
    await assertHolds(full, [cfg, foreign, own, image])
  })

  test('a source blob with wrong bytes fails with CopyError from the source and leaves no blob, partial file or parent in the destination', async () => {
    const g = multiPlatformGraph()
    const bad = g.arm64.layer.desc
    const src = await seeded('memory', g.all, { corrupt: (d: Descriptor) => d.digest === bad.digest })
    const dst = new TrackingStore(await openStore('layout'))

    const err: unknown = await copyGraph(src, dst, g.index.desc).then(
      () => assert.fail('the copy should fail'),
      (e: unknown) => e,
    )

    assert.ok(err instanceof CopyError, String(err))
    assert.deepEqual([err.code, err.op, err.origin, err.descriptor?.digest], ['ERR_COPY', 'fetch', 'source', bad.digest])
    assert.ok(err.cause instanceof DigestMismatchError)
    assert.match(err.message, /in the source/)
    assert.ok(err.suggestions.length > 0)
    for (const d of [bad, g.arm64.manifest.desc, g.index.desc]) assert.equal(await dst.exists(d), false, d.digest)
    const ingest = await readdir(join((dst.inner as OciLayoutStore).root, INGEST_DIR)).catch(() => [])
    // The writer's lease of the open store is all there is.
    assert.deepEqual(
      ingest.filter((f) => !f.startsWith('.writer-')),
      [],
    )
  })

  test('a source manifest with wrong bytes fails with CopyError from the source before any of its children is copied', async () => {
    const g = multiPlatformGraph()
    const src = await seeded('memory', g.all, { corrupt: (d: Descriptor) => d.digest === g.arm64.manifest.desc.digest })
    const dst = new TrackingStore(await openStore('memory'))

    await assert.rejects(copyGraph(src, dst, g.index.desc, { concurrency: 1 }), (err: unknown) => {
      assert.ok(err instanceof CopyError)
      assert.deepEqual([err.op, err.origin, err.descriptor?.digest], ['fetch', 'source', g.arm64.manifest.desc.digest])
      return true
    })
    assert.equal(src.count('fetch', g.arm64.layer.desc.digest), 0)
    assert.equal(await dst.exists(g.index.desc), false)
  })

  test('a destination push failing mid-stream is reported with origin destination, not blamed on the source', async () => {
    const g = multiPlatformGraph()
    const failing = g.amd64.layer.desc
    const src = await seeded('layout', g.all)
    const dst = new TrackingStore(await openStore('memory'), { failPush: (d) => d.digest === failing.digest })

    await assert.rejects(copyGraph(src, dst, g.index.desc), (err: unknown) => {
      assert.ok(err instanceof CopyError)
      assert.deepEqual([err.op, err.origin, err.descriptor?.digest], ['push', 'destination', failing.digest])
      assert.equal((err.cause as Error).message, INJECTED_PUSH_FAILURE)
      assert.match(err.message, /in the destination/)
      return true
    })
    assert.equal(await dst.exists(g.amd64.manifest.desc), false)
    assert.equal(await dst.exists(g.index.desc), false)
  })

  test('progress events count each blob cumulatively up to its size and add up to the blob bytes', async () => {
    const big = blob(Buffer.alloc(3 * 1024 * 1024, 7)) // larger than one 1 MiB read of the layout
    const small = blob('small layer')
    const cfg = config('progress')
    const image = manifest(cfg, [big, small])
    const src = await seeded('layout', [cfg, big, small, image])
    const events: CopyProgress[] = []

    await copyGraph(src, await openStore('memory'), image.desc, { onProgress: (p) => void events.push(p) })

    const byBlob = new Map<string, CopyProgress[]>()
    for (const e of events) byBlob.set(e.descriptor.digest, [...(byBlob.get(e.descriptor.digest) ?? []), e])
    assert.deepEqual([...byBlob.keys()].sort(), [cfg, big, small].map((c) => c.desc.digest).sort())
    let added = 0
    for (const [digest, list] of byBlob) {
      const size = list[0]!.descriptor.size
      assert.ok(
        list.every((e) => e.total === size),
        digest,
      )
      assert.ok(
        list.every((e, i) => i === 0 || e.bytes > list[i - 1]!.bytes),
        `${digest} bytes must grow`,
      )
      assert.equal(list.at(-1)!.bytes, size)
      added += list.reduce((sum, e, i) => sum + e.bytes - (i === 0 ? 0 : list[i - 1]!.bytes), 0)
    }
    assert.equal(added, sizeOf([cfg, big, small]))
    assert.ok(byBlob.get(big.desc.digest)!.length > 1, 'a large blob reports progress more than once')
  })

  test('mounts a blob from the first candidate repository that has it instead of fetching and pushing it', async () => {
    const g = multiPlatformGraph()
    const src = await seeded('memory', g.all)
    const base = new MemoryStore()
    await base.push(g.shared.desc, g.shared.bytes)
    const dst = new MountingStore(new MemoryStore(), new Map([['library/base', base]]))
    const mounted: Array<[string, string]> = []

    const stats = await copyGraph(src, dst, g.index.desc, {
      mountFrom: (d) => (d.digest === g.shared.desc.digest ? ['library/absent', 'library/base'] : []),
      onMounted: (d, from) => void mounted.push([d.digest, from]),
    })

    assert.deepEqual(mounted, [[g.shared.desc.digest, 'library/base']])
    assert.deepEqual(
      dst.calls.filter((c) => c.op === 'mount').map((c) => c.detail),
      ['library/absent', 'library/base'],
    )
    assert.equal(src.count('fetch', g.shared.desc.digest), 0)
    assert.equal(dst.count('push', g.shared.desc.digest), 0)
    assert.deepEqual([stats.nodes, stats.copied, stats.mounted], [8, 7, 1])
    await assertHolds(dst, g.all)
  })

  test('falls back to a normal push when every mount fails', async () => {
    const g = multiPlatformGraph()
    const src = await seeded('memory', g.all)
    const dst = new MountingStore(new MemoryStore(), new Map())

    const stats = await copyGraph(src, dst, g.index.desc, { mountFrom: () => ['library/absent'] })

    assert.equal(dst.count('mount', g.shared.desc.digest), 1)
    assert.equal(dst.count('push', g.shared.desc.digest), 1)
    assert.deepEqual([stats.copied, stats.mounted], [8, 0])
    await assertHolds(dst, g.all)
  })

  test('does not ask for mount candidates when the destination cannot mount', async () => {
    const g = multiPlatformGraph()
    const src = await seeded('memory', g.all)
    let asked = 0
    await copyGraph(src, await openStore('memory'), g.index.desc, { mountFrom: () => (asked++, ['library/base']) })
    assert.equal(asked, 0)
  })

  test('a failing mountFrom callback is reported as CopyError (mount, destination) for the blob', async () => {
    const g = multiPlatformGraph()
    const src = await seeded('memory', g.all)
    const dst = new MountingStore(new MemoryStore(), new Map())
    await assert.rejects(
      copyGraph(src, dst, g.index.desc, {
        mountFrom: () => {
          throw new Error('relocation map unreadable')
        },
      }),
      (err: unknown) =>
        err instanceof CopyError && err.op === 'mount' && err.origin === 'destination' && /relocation map unreadable/.test(err.message),
    )
  })

  test('an error thrown by a hook fails the copy unchanged', async () => {
    const g = multiPlatformGraph()
    const src = await seeded('memory', g.all)
    const hookError = new Error('hook failed')
    await assert.rejects(
      copyGraph(src, await openStore('memory'), g.index.desc, {
        onCopied: () => {
          throw hookError
        },
      }),
      (err) => err === hookError,
    )
    await assert.rejects(
      copyGraph(src, await openStore('memory'), g.index.desc, {
        onProgress: () => {
          throw hookError
        },
      }),
      (err) => err === hookError,
    )
  })

  test('an abort stops the copy: it rejects with the abort reason once nothing runs, and no push starts afterwards', async () => {
    const contents = wideImage(12)
    const src = await seeded('memory', contents)
    const dst = new TrackingStore(await openStore('layout'), { pushDelayMs: 20 })
    const controller = new AbortController()

    await assert.rejects(
      copyGraph(src, dst, contents.at(-1)!.desc, { signal: controller.signal, concurrency: 2, onCopied: () => controller.abort() }),
      { name: 'AbortError' },
    )
    const pushes = dst.count('push')
    await sleep(60)
    assert.equal(dst.count('push'), pushes)
    assert.ok(pushes < contents.length)
    assert.equal(await dst.exists(contents.at(-1)!.desc), false)
  })

  test('an already aborted signal rejects with its reason without touching either store', async () => {
    const g = multiPlatformGraph()
    const src = await seeded('memory', g.all)
    const dst = new TrackingStore(await openStore('memory'))
    const reason = new Error('stopped by the user')

    await assert.rejects(copyGraph(src, dst, g.index.desc, { signal: AbortSignal.abort(reason) }), (err) => err === reason)
    assert.deepEqual([src.calls, dst.calls], [[], []])
  })
})
