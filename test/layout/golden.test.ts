/**
 * A layout written by hand per the image spec (test/fixtures/layouts/handwritten) opens,
 * resolves and fetches verified content; its missing blob and extra file are tolerated.
 */
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { fetchAll } from '../../src/content/verify.js'
import { NotFoundError } from '../../src/errors.js'
import { parseDigest } from '../../src/oci/digest.js'
import { parseManifest } from '../../src/oci/manifest.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { OciLayoutStore } from '../../src/layout/layout-store.js'

const FIXTURE = fileURLToPath(new URL('../fixtures/layouts/handwritten/', import.meta.url))
const MANIFEST_DIGEST = 'sha256:0a9e20fcef062610ece338177f66a378522e0d37bde6d6be1a87c5b58458fa91'
const LAYER_DIGEST = 'sha256:e191bfbdf5d9814092ea62cc73645212ba3a8593186be2d69804b2d5353cca3a'
const EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'

describe('handwritten golden layout', () => {
  test('opens read-only, resolves "v1" and fetches its manifest, config and layer verified', async () => {
    const before = (await readdir(FIXTURE)).sort()
    const store = await OciLayoutStore.open(FIXTURE)
    const desc = await store.resolve('v1')
    assert.deepEqual(desc, {
      mediaType: MediaTypes.OciManifest,
      digest: MANIFEST_DIGEST,
      size: 577,
      artifactType: 'application/vnd.example.greeting',
      annotations: { 'com.example.written-by': 'hand' },
    })
    const parsed = parseManifest(await fetchAll(store, desc), desc.mediaType)
    assert.ok(parsed.kind === 'manifest')
    assert.equal(parsed.manifest.config.digest, EMPTY_DIGEST)
    assert.deepEqual(await fetchAll(store, parsed.manifest.config), Buffer.from('{}'))
    const layer = parsed.manifest.layers![0]!
    assert.equal(layer.digest, LAYER_DIGEST)
    assert.equal((await fetchAll(store, layer)).toString(), 'hello from a handwritten layout\n')
    assert.deepEqual((await readdir(FIXTURE)).sort(), before, 'opening and reading wrote nothing')
  })

  test('lists both tags and indexes the graph of the manifest that is present', async () => {
    const store = await OciLayoutStore.open(FIXTURE)
    const tags: string[] = []
    for await (const t of store.listTags()) tags.push(t)
    assert.deepEqual(tags, ['blob-missing', 'v1'])
    const preds = await store.predecessors({ mediaType: 'text/plain', digest: parseDigest(LAYER_DIGEST), size: 32 })
    assert.deepEqual(
      preds.map((p) => p.digest),
      [MANIFEST_DIGEST],
    )
  })

  test('a tag whose manifest blob is missing resolves, and fetching it throws NotFoundError', async () => {
    const store = await OciLayoutStore.open(FIXTURE)
    const desc = await store.resolve('blob-missing')
    assert.equal(await store.exists(desc), false)
    await assert.rejects(store.fetch(desc), NotFoundError)
  })
})
