/**
 * MemoryStore behaviour beyond the shared conformance suite: optional capabilities (list,
 * untag, delete), manifest validation on push, and isolation of stored bytes.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { MemoryStore } from '../../src/content/memory-store.js'
import { canDelete, canListTags, canUntag } from '../../src/content/storage.js'
import { InvalidContentError, InvalidReferenceError, NotFoundError, SizeLimitError } from '../../src/errors.js'
import { MAX_MANIFEST_BYTES } from '../../src/oci/manifest.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { blob, image, readAll } from '../helpers/content.js'

async function storeWith(label: string): Promise<{ store: MemoryStore; img: ReturnType<typeof image> }> {
  const store = new MemoryStore()
  const img = image(label)
  for (const c of [img.config, img.layer, img.manifest]) await store.push(c.desc, c.bytes)
  return { store, img }
}

async function tags(store: MemoryStore, last?: string): Promise<string[]> {
  const out: string[] = []
  for await (const t of store.listTags({ last })) out.push(t)
  return out
}

describe('MemoryStore', () => {
  test('offers the tag listing, untag and delete capabilities', () => {
    const store = new MemoryStore()
    assert.ok(canListTags(store) && canUntag(store) && canDelete(store))
  })

  test('listTags is sorted and honours last', async () => {
    const { store, img } = await storeWith('list')
    for (const t of ['v2', 'latest', 'v1']) await store.tag(img.manifest.desc, t)
    assert.deepEqual(await tags(store), ['latest', 'v1', 'v2'])
    assert.deepEqual(await tags(store, 'v1'), ['v2'])
  })

  test('untag removes the tag, keeps the content, and throws NotFoundError for an unknown tag', async () => {
    const { store, img } = await storeWith('untag')
    await store.tag(img.manifest.desc, 'v1')
    await store.untag('v1')
    await assert.rejects(store.resolve('v1'), NotFoundError)
    assert.equal(await store.exists(img.manifest.desc), true)
    await assert.rejects(store.untag('v1'), NotFoundError)
  })

  test('delete removes the content, its tags and its graph edges', async () => {
    const { store, img } = await storeWith('delete')
    await store.tag(img.manifest.desc, 'v1')
    await store.delete(img.manifest.desc)
    assert.equal(await store.exists(img.manifest.desc), false)
    await assert.rejects(store.resolve('v1'), NotFoundError)
    assert.deepEqual(await store.predecessors(img.layer.desc), [])
    await assert.rejects(store.delete(img.manifest.desc), NotFoundError)
  })

  test('a manifest that does not parse is refused with InvalidContentError and not stored', async () => {
    const store = new MemoryStore()
    const bogus = blob('{"schemaVersion":2,"manifests":"nope"}', MediaTypes.OciIndex)
    await assert.rejects(store.push(bogus.desc, bogus.bytes), InvalidContentError)
    assert.equal(await store.exists(bogus.desc), false)
  })

  test('a manifest descriptor above 4 MiB is refused before its body is read', async () => {
    const store = new MemoryStore()
    const huge = { ...blob('{}', MediaTypes.OciManifest).desc, size: MAX_MANIFEST_BYTES + 1 }
    let pulled = false
    const body = (async function* () {
      pulled = true
      yield Buffer.from('{}')
    })()
    await assert.rejects(store.push(huge, body), SizeLimitError)
    assert.equal(pulled, false)
  })

  test('a digest reference must be the content digest', async () => {
    const { store, img } = await storeWith('digest-ref')
    await store.tag(img.manifest.desc, img.manifest.desc.digest)
    await assert.rejects(store.tag(img.manifest.desc, img.layer.desc.digest), InvalidReferenceError)
    await assert.rejects(store.tag(img.manifest.desc, ''), InvalidReferenceError)
  })

  test('a consumer mutating fetched bytes does not change the stored content', async () => {
    const { store, img } = await storeWith('isolation')
    const first = await readAll(await store.fetch(img.layer.desc))
    for await (const chunk of await store.fetch(img.layer.desc)) (chunk as Buffer).fill(0)
    assert.deepEqual(await readAll(await store.fetch(img.layer.desc)), first)
    assert.deepEqual(first, img.layer.bytes)
  })
})
