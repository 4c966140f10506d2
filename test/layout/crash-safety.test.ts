/**
 * A layout never holds a partial or wrong blob, nor a torn index.json: failed, wrong and aborted
 * writes in this process, and writer processes killed with SIGKILL midway.
 */
import assert from 'node:assert/strict'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Body } from '../../src/content/storage.js'
import { DigestMismatchError, SizeMismatchError } from '../../src/errors.js'
import { digestStream } from '../../src/oci/digest.js'
import { blobPath } from '../../src/layout/blob-path.js'
import { INGEST_DIR } from '../../src/layout/blob-path.js'
import { parseIndexDocument, tagsOf } from '../../src/layout/index-document.js'
import { OciLayoutStore } from '../../src/layout/layout-store.js'
import { blob, failingAfter, pattern, patternDescriptor, patternStream } from '../helpers/content.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'
import { killHard, startWorker } from '../helpers/worker-process.js'

/** Temporary files in `.ingest`; the writer's lease of a store open for writing is not one. */
async function ingestFiles(root: string): Promise<string[]> {
  return (await readdir(join(root, INGEST_DIR)).catch(() => [])).filter((f) => !f.startsWith('.writer-'))
}

async function fileExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

describe('layout crash safety', () => {
  let dir: TempDir
  beforeEach(async () => {
    dir = await makeTempDir('ocibundle-crash-')
  })
  afterEach(async () => {
    await dir.cleanup()
  })

  const size = 2 * 1024 * 1024
  const failures: Array<{ name: string; run: () => { body: Body; signal?: AbortSignal }; error: RegExp | object }> = [
    {
      name: 'a source stream that errors after 1 MiB',
      run: () => ({ body: failingAfter(Buffer.alloc(size, 1), 1024 * 1024, new Error('connection reset')) }),
      error: /connection reset/,
    },
    {
      name: 'a stream whose bytes do not match the digest',
      run: () => ({ body: patternStream(size, { seed: 99 }) }),
      error: DigestMismatchError,
    },
    {
      name: 'a stream longer than the descriptor size',
      run: () => ({ body: patternStream(size + 1, { seed: 1 }) }),
      error: SizeMismatchError,
    },
    {
      name: 'an AbortSignal that aborts at 1 MiB',
      run: () => {
        const controller = new AbortController()
        const body = pattern(size, { seed: 1, onProgress: (n) => void (n >= 1024 * 1024 && controller.abort()) })
        return { body, signal: controller.signal }
      },
      error: { name: 'AbortError' },
    },
  ]
  for (const f of failures) {
    test(`${f.name} leaves no blob at the final path and no temporary file`, async () => {
      const store = await OciLayoutStore.open(dir.path, { create: true })
      const desc = await patternDescriptor(size, { seed: 1 })
      const { body, signal } = f.run()
      await assert.rejects(store.push(desc, body, { signal }), f.error)
      assert.equal(await fileExists(blobPath(dir.path, desc.digest)), false)
      assert.deepEqual(await ingestFiles(dir.path), [])
      assert.equal(await store.exists(desc), false)
      // The failure left nothing in the way of a correct push.
      await store.push(desc, patternStream(size, { seed: 1 }))
      assert.deepEqual(await digestStream(await store.fetch(desc)), { digest: desc.digest, size })
    })
  }

  test('a successful push leaves no temporary file and a 0644 blob', async () => {
    const store = await OciLayoutStore.open(dir.path, { create: true })
    const b = blob('permissions')
    await store.push(b.desc, b.bytes)
    assert.deepEqual(await ingestFiles(dir.path), [])
    const mode = (await stat(blobPath(dir.path, b.desc.digest))).mode & 0o777
    assert.equal(mode & 0o600, 0o600, 'the owner can write and remove it (tools like umoci gc do)')
    assert.equal(mode & 0o022, 0, 'nobody else can write it')
  })

  test('a process killed with SIGKILL while writing a blob leaves the layout usable and the blob absent', async () => {
    const total = 16 * 1024 * 1024
    await OciLayoutStore.open(dir.path, { create: true })
    const worker = startWorker(['slow-blob', dir.path, String(total)])
    await worker.waitFor('progress')
    await killHard(worker)

    const desc = await patternDescriptor(total, { seed: 42 })
    const leftovers = await ingestFiles(dir.path)
    assert.equal(leftovers.length, 1, 'the killed writer had a temporary file open')
    const partial = (await stat(join(dir.path, INGEST_DIR, leftovers[0]!))).size
    assert.ok(partial > 0 && partial < total, `the kill happened mid-write (${partial} of ${total} bytes on disk)`)
    assert.equal(await fileExists(blobPath(dir.path, desc.digest)), false)

    const store = await OciLayoutStore.open(dir.path)
    assert.equal(await store.exists(desc), false)
    await store.push(desc, patternStream(total, { seed: 42 }))
    assert.deepEqual(await digestStream(await store.fetch(desc)), { digest: desc.digest, size: total })
  })

  test('processes killed with SIGKILL while rewriting index.json never leave it torn or lose a tag', async () => {
    const tags = 100
    const expectedTags = Array.from({ length: tags }, (_, i) => `tag-${i}`).sort()
    for (const delayMs of [30, 90, 170]) {
      const worker = startWorker(['tag-loop', dir.path, String(tags)])
      await worker.waitFor('looping', 30_000)
      await sleep(delayMs)
      await killHard(worker)

      const doc = parseIndexDocument(await readFile(join(dir.path, 'index.json')), 'index.json')
      assert.deepEqual(tagsOf(doc), expectedTags, 'every tag is present after the kill')
      const store = await OciLayoutStore.open(dir.path, { lock: { timeoutMs: 5_000 } })
      // A lock left by the killed process belongs to a dead pid and must not block writers.
      const started = Date.now()
      await store.tag(await store.resolve('tag-0'), 'after-kill')
      assert.ok(Date.now() - started < 5_000)
      await store.untag('after-kill')
    }
  })
})
