/**
 * Several writers on one layout lose no index.json entry: separate processes, and separate
 * store instances in one process, all updating index.json at the same time.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { parseIndexDocument, refNameOf, tagsOf } from '../../src/layout/index-document.js'
import { OciLayoutStore } from '../../src/layout/layout-store.js'
import { image } from '../helpers/content.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'
import { runWorker } from '../helpers/worker-process.js'

describe('concurrent writers of one layout', () => {
  let dir: TempDir
  beforeEach(async () => {
    dir = await makeTempDir('ocibundle-concurrency-')
  })
  afterEach(async () => {
    await dir.cleanup()
  })

  test('3 processes each pushing and tagging 15 images leave all 45 tagged entries in a valid index.json', async () => {
    const workers = ['p0', 'p1', 'p2']
    const perWorker = 15
    await Promise.all(workers.map((id) => runWorker(['push-images', dir.path, id, String(perWorker)])))

    const doc = parseIndexDocument(await readFile(join(dir.path, 'index.json')), 'index.json')
    const expected = workers.flatMap((id) => Array.from({ length: perWorker }, (_, i) => `${id}-${i}`))
    assert.deepEqual(tagsOf(doc), [...expected].sort())
    assert.equal(doc.manifests.length, expected.length, 'no duplicate and no leftover digest-only entry')
    const store = await OciLayoutStore.open(dir.path)
    for (const tag of expected) {
      const want = image(tag).manifest
      const got = await store.resolve(tag)
      assert.equal(got.digest, want.desc.digest, `tag ${tag}`)
      assert.equal(refNameOf(got), undefined)
    }
  })

  test('two store instances in one process tagging concurrently lose no tag', async () => {
    const a = await OciLayoutStore.open(dir.path, { create: true })
    const b = await OciLayoutStore.open(dir.path)
    const images = Array.from({ length: 20 }, (_, i) => image(`same-process-${i}`))
    await Promise.all(
      images.map(async (img, i) => {
        const store = i % 2 === 0 ? a : b
        for (const c of [img.config, img.layer, img.manifest]) await store.push(c.desc, c.bytes)
        await store.tag(img.manifest.desc, `t${i}`)
      }),
    )
    const tags: string[] = []
    for await (const t of a.listTags()) tags.push(t)
    assert.deepEqual(tags, images.map((_, i) => `t${i}`).sort())
  })
})
