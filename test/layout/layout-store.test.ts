/**
 * OciLayoutStore behaviour beyond the shared conformance suite: the files it writes, what it
 * accepts on open, index.json entries, tag grammar, damaged blobs, streaming to disk, and the
 * predecessor index rebuilt on open.
 */
import assert from 'node:assert/strict'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { DigestMismatchError, InvalidContentError, InvalidReferenceError, NotFoundError, SizeMismatchError } from '../../src/errors.js'
import { blobPath } from '../../src/layout/blob-path.js'
import { INGEST_DIR } from '../../src/layout/blob-path.js'
import { OciLayoutStore } from '../../src/layout/layout-store.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { blob, digests, image, index, pattern, patternDescriptor, readAll, type Content } from '../helpers/content.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const REF = 'org.opencontainers.image.ref.name'

async function pushAll(store: OciLayoutStore, ...contents: Content[]): Promise<void> {
  for (const c of contents) await store.push(c.desc, c.bytes)
}

async function indexJson(root: string): Promise<{ manifests: Array<{ digest: string; annotations?: Record<string, string> }> }> {
  return JSON.parse(await readFile(join(root, 'index.json'), 'utf8'))
}

async function tagsOf(store: OciLayoutStore, last?: string): Promise<string[]> {
  const out: string[] = []
  for await (const t of store.listTags({ last })) out.push(t)
  return out
}

describe('OciLayoutStore', () => {
  let dir: TempDir
  beforeEach(async () => {
    dir = await makeTempDir('ocibundle-layout-')
  })
  afterEach(async () => {
    await dir.cleanup()
  })

  describe('open', () => {
    test('with create, writes oci-layout, an empty index.json and blobs/ as the image spec requires', async () => {
      const root = join(dir.path, 'new', 'layout')
      await OciLayoutStore.open(root, { create: true })
      assert.deepEqual(JSON.parse(await readFile(join(root, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' })
      assert.deepEqual(await indexJson(root), { schemaVersion: 2, mediaType: MediaTypes.OciIndex, manifests: [] })
      assert.ok((await stat(join(root, 'blobs'))).isDirectory())
    })

    test('with create, keeps an existing layout as it is', async () => {
      const img = image('kept')
      const first = await OciLayoutStore.open(dir.path, { create: true })
      await pushAll(first, img.config, img.layer, img.manifest)
      await first.tag(img.manifest.desc, 'v1')
      const again = await OciLayoutStore.open(dir.path, { create: true })
      assert.equal((await again.resolve('v1')).digest, img.manifest.desc.digest)
    })

    test('without create, a directory that is not a layout throws NotFoundError', async () => {
      await assert.rejects(OciLayoutStore.open(dir.path), NotFoundError)
      await assert.rejects(OciLayoutStore.open(join(dir.path, 'absent')), NotFoundError)
    })

    const badHeaders: Array<[string, string]> = [
      ['a 2.0.0 version', '{"imageLayoutVersion":"2.0.0"}'],
      ['no version', '{}'],
      ['invalid JSON', '{"imageLayoutVersion":'],
    ]
    for (const [what, content] of badHeaders) {
      test(`an oci-layout file with ${what} throws InvalidContentError`, async () => {
        await writeFile(join(dir.path, 'oci-layout'), content)
        await writeFile(join(dir.path, 'index.json'), '{"schemaVersion":2,"manifests":[]}')
        await assert.rejects(OciLayoutStore.open(dir.path), InvalidContentError)
      })
    }

    test('a layout without index.json or with a malformed one throws InvalidContentError', async () => {
      await writeFile(join(dir.path, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
      await assert.rejects(OciLayoutStore.open(dir.path), InvalidContentError)
      await writeFile(join(dir.path, 'index.json'), '{"schemaVersion":2,"manifests":[],"manifests":[]}')
      await assert.rejects(OciLayoutStore.open(dir.path), /duplicate keys/)
    })

    test('tolerates unknown files and directories (e.g. Docker manifest.json) and index entries without blobs', async () => {
      const img = image('present')
      const absent = image('absent')
      const store = await OciLayoutStore.open(dir.path, { create: true })
      await pushAll(store, img.config, img.layer, img.manifest)
      await store.tag(img.manifest.desc, 'present')
      await writeFile(join(dir.path, 'manifest.json'), '[{"Config":"x"}]')
      await mkdir(join(dir.path, 'blobs', 'sha256', 'unrelated-dir'))
      const doc = await indexJson(dir.path)
      doc.manifests.push({ ...absent.manifest.desc, annotations: { [REF]: 'absent' } })
      await writeFile(join(dir.path, 'index.json'), JSON.stringify(doc))

      const reopened = await OciLayoutStore.open(dir.path)
      assert.equal((await reopened.resolve('absent')).digest, absent.manifest.desc.digest)
      await assert.rejects(reopened.fetch(absent.manifest.desc), NotFoundError)
      assert.deepEqual(await readAll(await reopened.fetch(img.layer.desc)), img.layer.bytes)
      assert.deepEqual(digests(await reopened.predecessors(img.layer.desc)), [img.manifest.desc.digest])
    })
  })

  describe('index.json entries', () => {
    test('a pushed manifest gets one digest-only entry; blobs get none', async () => {
      const img = image('untagged')
      const store = await OciLayoutStore.open(dir.path, { create: true })
      await pushAll(store, img.config, img.layer, img.manifest, img.manifest)
      assert.deepEqual(await indexJson(dir.path), { schemaVersion: 2, mediaType: MediaTypes.OciIndex, manifests: [img.manifest.desc] })
    })

    test('tagging replaces the digest-only entry; retagging leaves the old manifest as a digest-only entry', async () => {
      const a = image('a')
      const b = image('b')
      const store = await OciLayoutStore.open(dir.path, { create: true })
      await pushAll(store, a.config, a.layer, a.manifest, b.config, b.layer, b.manifest)
      await store.tag(a.manifest.desc, 'latest')
      assert.deepEqual((await indexJson(dir.path)).manifests, [{ ...a.manifest.desc, annotations: { [REF]: 'latest' } }, b.manifest.desc])
      await store.tag(b.manifest.desc, 'latest')
      assert.deepEqual((await indexJson(dir.path)).manifests, [a.manifest.desc, { ...b.manifest.desc, annotations: { [REF]: 'latest' } }])
    })

    test('a manifest whose blob is already on disk still gets its entry when pushed', async () => {
      // The state a crash between writing the blob and updating index.json leaves behind.
      const img = image('blob-first')
      const store = await OciLayoutStore.open(dir.path, { create: true })
      await mkdir(join(dir.path, 'blobs', 'sha256'), { recursive: true })
      await writeFile(blobPath(dir.path, img.manifest.desc.digest), img.manifest.bytes)
      await store.push(img.manifest.desc, img.manifest.bytes)
      assert.deepEqual((await indexJson(dir.path)).manifests, [img.manifest.desc])
    })

    test('untag removes the tag but keeps the manifest reachable; an unknown tag throws NotFoundError', async () => {
      const img = image('untag')
      const store = await OciLayoutStore.open(dir.path, { create: true })
      await pushAll(store, img.config, img.layer, img.manifest)
      await store.tag(img.manifest.desc, 'v1')
      await store.untag('v1')
      await assert.rejects(store.resolve('v1'), NotFoundError)
      assert.deepEqual((await indexJson(dir.path)).manifests, [img.manifest.desc])
      await assert.rejects(store.untag('v1'), NotFoundError)
    })

    test('tag by the content digest records a digest-only entry; a different digest is refused', async () => {
      const img = image('by-digest')
      const store = await OciLayoutStore.open(dir.path, { create: true })
      await pushAll(store, img.config, img.layer)
      await store.push(img.manifest.desc, img.manifest.bytes)
      await store.tag(img.config.desc, img.config.desc.digest)
      const listed = (await indexJson(dir.path)).manifests.map((e) => e.digest)
      assert.deepEqual(listed.sort(), digests([img.manifest.desc, img.config.desc]))
      await assert.rejects(store.tag(img.manifest.desc, img.config.desc.digest), InvalidReferenceError)
    })

    test('listTags is sorted and honours last', async () => {
      const img = image('tags')
      const store = await OciLayoutStore.open(dir.path, { create: true })
      await pushAll(store, img.config, img.layer, img.manifest)
      for (const t of ['v2', 'latest', 'v1', 'a/b']) await store.tag(img.manifest.desc, t)
      assert.deepEqual(await tagsOf(store), ['a/b', 'latest', 'v1', 'v2'])
      assert.deepEqual(await tagsOf(store, 'latest'), ['v1', 'v2'])
    })

    test('resolve of a tag keeps the entry fields but not ref.name; of a blob digest reports octet-stream', async () => {
      const img = image('resolve')
      const store = await OciLayoutStore.open(dir.path, { create: true })
      await pushAll(store, img.config, img.layer, img.manifest)
      const annotated = { ...img.manifest.desc, artifactType: 'application/vnd.example', annotations: { note: 'x' } }
      await store.tag(annotated, 'v1')
      assert.deepEqual(await store.resolve('v1'), annotated)
      assert.deepEqual(await store.resolve(img.layer.desc.digest), { ...img.layer.desc, mediaType: 'application/octet-stream' })
      assert.deepEqual(await store.resolve(img.manifest.desc.digest), img.manifest.desc)
    })
  })

  describe('tag grammar', () => {
    const accepted = ['v1', 'latest', '1.0.0', 'V1_final', '_private', 'v1-', 'a'.repeat(128), 'app/web:1.0', 'x--y', 'name@1+b']
    const rejected = ['', '-v1', '.hidden', 'a b', 'v1/', '/v1', 'a//b', 'tag\n', 'ü', 'v1!']
    test(`accepts Docker tags and OCI ref.names: ${accepted.map((t) => JSON.stringify(t.slice(0, 12))).join(' ')}`, async () => {
      const img = image('grammar')
      const store = await OciLayoutStore.open(dir.path, { create: true })
      await pushAll(store, img.config, img.layer, img.manifest)
      for (const t of accepted) {
        await store.tag(img.manifest.desc, t)
        assert.equal((await store.resolve(t)).digest, img.manifest.desc.digest, t)
      }
    })
    test(`rejects with InvalidReferenceError: ${rejected.map((t) => JSON.stringify(t.slice(0, 12))).join(' ')}`, async () => {
      const img = image('grammar')
      const store = await OciLayoutStore.open(dir.path, { create: true })
      await pushAll(store, img.config, img.layer, img.manifest)
      for (const t of rejected) await assert.rejects(store.tag(img.manifest.desc, t), InvalidReferenceError, JSON.stringify(t))
      assert.deepEqual(await tagsOf(store), [])
    })
  })

  describe('damaged and invalid content', () => {
    test('fetch of a blob file whose size differs from the descriptor throws SizeMismatchError', async () => {
      const b = blob('original content')
      const store = await OciLayoutStore.open(dir.path, { create: true })
      await store.push(b.desc, b.bytes)
      await writeFile(blobPath(dir.path, b.desc.digest), 'truncated')
      await assert.rejects(store.fetch(b.desc), SizeMismatchError)
      assert.equal(await store.exists(b.desc), false)
    })

    test('fetch of a blob file altered in place fails while reading with DigestMismatchError', async () => {
      const b = blob('original content')
      const store = await OciLayoutStore.open(dir.path, { create: true })
      await store.push(b.desc, b.bytes)
      await writeFile(blobPath(dir.path, b.desc.digest), 'ORIGINAL CONTENT')
      await assert.rejects(readAll(await store.fetch(b.desc)), DigestMismatchError)
    })

    test('a damaged blob is replaced by the next push of the right content', async () => {
      const b = blob('original content')
      const store = await OciLayoutStore.open(dir.path, { create: true })
      await store.push(b.desc, b.bytes)
      await writeFile(blobPath(dir.path, b.desc.digest), 'truncated')
      await store.push(b.desc, b.bytes)
      assert.deepEqual(await readAll(await store.fetch(b.desc)), b.bytes)
    })

    test('a manifest that does not parse is refused with InvalidContentError and not stored', async () => {
      const bogus = blob('{"schemaVersion":2,"layers":"nope","config":{}}', MediaTypes.OciManifest)
      const store = await OciLayoutStore.open(dir.path, { create: true })
      await assert.rejects(store.push(bogus.desc, bogus.bytes), InvalidContentError)
      assert.equal(await store.exists(bogus.desc), false)
      assert.deepEqual((await indexJson(dir.path)).manifests, [])
    })
  })

  describe('streaming', () => {
    test('bytes reach the temporary file while the body is still streaming (the blob is never buffered whole)', async () => {
      const total = 24 * 1024 * 1024
      const desc = await patternDescriptor(total, { seed: 5 })
      const store = await OciLayoutStore.open(dir.path, { create: true })
      let onDiskMidway = -1
      const body = pattern(total, {
        seed: 5,
        onProgress: async (produced) => {
          if (onDiskMidway >= 0 || produced < 12 * 1024 * 1024) return
          // Pause the source halfway and wait for the writer to catch up on disk.
          const ingest = join(dir.path, INGEST_DIR)
          for (let i = 0; i < 500 && onDiskMidway < produced - 1024 * 1024; i++) {
            const [file] = (await readdir(ingest)).filter((f) => !f.startsWith('.writer-'))
            onDiskMidway = file === undefined ? 0 : (await stat(join(ingest, file))).size
            await sleep(2)
          }
        },
      })
      await store.push(desc, body)
      assert.ok(onDiskMidway >= 11 * 1024 * 1024, `${onDiskMidway} bytes were on disk when 12 MiB had been produced`)
      assert.ok((await stat(blobPath(dir.path, desc.digest))).size === total)
    })

    test('pushing a blob that is present does not read the body and destroys it', async () => {
      const b = blob('present')
      const store = await OciLayoutStore.open(dir.path, { create: true })
      await store.push(b.desc, b.bytes)
      const before = await stat(blobPath(dir.path, b.desc.digest))
      let pulled = false
      const body = new Readable({
        read() {
          pulled = true
          this.push(null)
        },
      })
      await store.push(b.desc, body)
      assert.equal(pulled, false)
      assert.equal(body.destroyed, true)
      const after = await stat(blobPath(dir.path, b.desc.digest))
      assert.equal(after.ino, before.ino, 'the file was not rewritten')
    })
  })

  describe('graph', () => {
    test('predecessors are rebuilt on open from manifests and indexes reachable from index.json', async () => {
      const a = image('amd64')
      const b = image('arm64')
      const idx = index([a.manifest, b.manifest])
      const store = await OciLayoutStore.open(dir.path, { create: true })
      await pushAll(store, a.config, a.layer, a.manifest, b.config, b.layer, b.manifest, idx)
      await store.tag(idx.desc, 'multi')
      // Only the index stays listed, so the children must be found by walking from it.
      const doc = await indexJson(dir.path)
      doc.manifests = doc.manifests.filter((e) => e.digest === idx.desc.digest)
      await writeFile(join(dir.path, 'index.json'), JSON.stringify(doc))

      const reopened = await OciLayoutStore.open(dir.path)
      assert.deepEqual(digests(await reopened.predecessors(a.manifest.desc)), [idx.desc.digest])
      assert.deepEqual(digests(await reopened.predecessors(b.layer.desc)), [b.manifest.desc.digest])
      assert.deepEqual(digests(await reopened.predecessors(a.config.desc)), [a.manifest.desc.digest])
    })

    test('delete removes the index entries, the blob and the graph edges', async () => {
      const img = image('deleted')
      const store = await OciLayoutStore.open(dir.path, { create: true })
      await pushAll(store, img.config, img.layer, img.manifest)
      await store.tag(img.manifest.desc, 'v1')
      await store.tag(img.manifest.desc, 'v2')
      await store.delete(img.manifest.desc)
      assert.deepEqual((await indexJson(dir.path)).manifests, [])
      assert.equal(await store.exists(img.manifest.desc), false)
      assert.deepEqual(await store.predecessors(img.layer.desc), [])
      await assert.rejects(store.delete(img.manifest.desc), NotFoundError)
      await store.delete(img.layer.desc)
      assert.equal(await store.exists(img.layer.desc), false)
    })
  })
})
