/**
 * Conversion between the OCI and Docker schema 2 families (src/publish/convert-family.ts):
 * blobs untouched, media types mapped only where they name the same bytes, indexes rewritten
 * over converted children, and a clear refusal of whatever the other family cannot hold.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { ConversionError, convertGraph, familyOf } from '../../src/publish/index.js'
import { MemoryStore } from '../../src/content/memory-store.js'
import { fetchAll } from '../../src/content/verify.js'
import { copyGraph } from '../../src/copy/index.js'
import { descriptorFromBytes, type Descriptor } from '../../src/oci/descriptor.js'
import { parseManifest } from '../../src/oci/manifest.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'
import { exampleImages, WEB } from './helpers.js'

let dir: TempDir
let store: MemoryStore
let web: Descriptor

before(async () => {
  dir = await makeTempDir('convert-family-')
  const { store: layout, images } = await exampleImages(join(dir.path, 'images'))
  store = new MemoryStore()
  web = images.get(WEB)!
  await copyGraph(layout, store, web)
})
after(() => dir?.cleanup())

/** Pushes a JSON manifest into `store` and returns its descriptor. */
async function pushJson(mediaType: string, doc: object): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(doc))
  const desc = descriptorFromBytes(mediaType, bytes)
  await store.push(desc, bytes)
  return desc
}

async function docOf(desc: Descriptor, from: { created: Array<{ desc: Descriptor; bytes: Buffer }> }): Promise<Record<string, unknown>> {
  const made = from.created.find((m) => m.desc.digest === desc.digest)
  return JSON.parse((made?.bytes ?? (await fetchAll(store, desc))).toString('utf8')) as Record<string, unknown>
}

describe('convertGraph', () => {
  test('an OCI image index becomes a Docker manifest list of Docker manifests; blobs and platforms are kept', async () => {
    const conversion = await convertGraph(store, web, 'docker')
    assert.equal(conversion.root.mediaType, MediaTypes.DockerManifestList)
    assert.equal(conversion.created.at(-1)!.desc.digest, conversion.root.digest, 'children are made before their index')
    const list = parseManifest(conversion.created.at(-1)!.bytes, MediaTypes.DockerManifestList)
    assert.equal(list.kind, 'index')
    const original = parseManifest(await fetchAll(store, web), web.mediaType)
    assert.ok(list.kind === 'index' && original.kind === 'index')
    assert.deepEqual(
      list.index.manifests.map((d) => d.platform),
      original.index.manifests.map((d) => d.platform),
    )
    for (const [i, entry] of list.index.manifests.entries()) {
      assert.equal(entry.mediaType, MediaTypes.DockerManifest)
      const manifest = await docOf(entry, conversion)
      const before = await docOf(original.index.manifests[i]!, conversion)
      const config = manifest.config as Descriptor
      assert.deepEqual([config.mediaType, config.digest], [MediaTypes.DockerConfig, (before.config as Descriptor).digest])
      assert.deepEqual(
        (manifest.layers as Descriptor[]).map((l) => [l.mediaType, l.digest, l.size]),
        (before.layers as Descriptor[]).map((l) => [MediaTypes.DockerLayerGzip, l.digest, l.size]),
      )
    }
    // distribution writes Docker documents indented with three spaces, size before digest.
    assert.match(
      conversion.created[0]!.bytes.toString('utf8'),
      /^\{\n {3}"schemaVersion": 2,\n {3}"mediaType": "application\/vnd\.docker\.distribution\.manifest\.v2\+json",\n {3}"config": \{\n {6}"mediaType": "[^"]+",\n {6}"size": \d+,\n {6}"digest"/,
    )
  })

  test('the same input gives the same bytes, and converting back to OCI is lossless for the blobs', async () => {
    const first = await convertGraph(store, web, 'docker')
    const again = await convertGraph(store, web, 'docker')
    assert.deepEqual(again, first)
    for (const m of first.created) await store.push(m.desc, m.bytes)
    const back = await convertGraph(store, first.root, 'oci')
    assert.equal(back.root.mediaType, MediaTypes.OciIndex)
    const manifests = back.created.filter((m) => m.desc.mediaType === MediaTypes.OciManifest)
    assert.equal(manifests.length, 2)
    for (const m of manifests) {
      const doc = JSON.parse(m.bytes.toString('utf8')) as { config: Descriptor; layers: Descriptor[] }
      assert.equal(doc.config.mediaType, MediaTypes.OciConfig)
      assert.ok(doc.layers.every((l) => l.mediaType === MediaTypes.OciLayerGzip))
    }
  })

  test('children only on request: a list over the same manifests when `children` is false', async () => {
    const conversion = await convertGraph(store, web, 'docker', { children: false })
    assert.equal(conversion.created.length, 1)
    const list = JSON.parse(conversion.created[0]!.bytes.toString('utf8')) as { manifests: Descriptor[] }
    assert.ok(list.manifests.every((d) => d.mediaType === MediaTypes.OciManifest))
  })

  test("an OCI index rebuilt over converted children keeps its artifactType, subject and the entries' artifactType and data", async () => {
    const docker = await convertGraph(store, web, 'docker')
    for (const m of docker.created) await store.push(m.desc, m.bytes)
    const dockerChild = parseManifest(docker.created.at(-1)!.bytes, MediaTypes.DockerManifestList)
    assert.ok(dockerChild.kind === 'index')
    const first = dockerChild.index.manifests[0]!
    const bytes = docker.created.find((m) => m.desc.digest === first.digest)!.bytes
    const entry = { ...first, artifactType: 'application/vnd.example.thing', data: bytes.toString('base64') }
    const subject = { mediaType: web.mediaType, digest: web.digest, size: web.size }
    const index = await pushJson(MediaTypes.OciIndex, {
      schemaVersion: 2,
      mediaType: MediaTypes.OciIndex,
      artifactType: 'application/vnd.example.set',
      manifests: [entry],
      subject,
    })
    const conversion = await convertGraph(store, index, 'oci')
    const doc = await docOf(conversion.root, conversion)
    assert.equal(doc.artifactType, 'application/vnd.example.set')
    assert.deepEqual(doc.subject, subject)
    const [converted] = doc.manifests as Descriptor[]
    assert.equal(converted!.mediaType, MediaTypes.OciManifest)
    assert.equal(converted!.artifactType, 'application/vnd.example.thing')
    assert.deepEqual(Buffer.from(converted!.data!, 'base64'), conversion.created.find((m) => m.desc.digest === converted!.digest)!.bytes)
    await assert.rejects(convertGraph(store, index, 'docker'), /has subject, artifactType, which Docker schema 2 cannot hold/)
  })

  test('content already in the family is left alone', async () => {
    assert.deepEqual(await convertGraph(store, web, 'oci'), { root: web, created: [] })
    assert.equal(familyOf(MediaTypes.DockerManifestList), 'docker')
    assert.equal(familyOf(MediaTypes.OciConfig), undefined)
  })

  for (const [what, change, message] of [
    [
      'zstd layers',
      (m: Record<string, unknown>) => ({ ...m, layers: [{ ...(m.layers as Descriptor[])[0]!, mediaType: MediaTypes.OciLayerZstd }] }),
      /its layer sha256:[0-9a-f]{64} is "application\/vnd\.oci\.image\.layer\.v1\.tar\+zstd", which has no Docker schema 2 equivalent/,
    ],
    [
      'annotations',
      (m: Record<string, unknown>) => ({ ...m, annotations: { 'org.opencontainers.image.source': 'https://example.com' } }),
      /has annotations, which Docker schema 2 cannot hold/,
    ],
    [
      'an artifact config',
      (m: Record<string, unknown>) => ({ ...m, config: { ...(m.config as Descriptor), mediaType: 'application/vnd.cnab.config.v1+json' } }),
      /its config sha256:[0-9a-f]{64} is "application\/vnd\.cnab\.config\.v1\+json"/,
    ],
  ] as const) {
    test(`a manifest with ${what} is refused with ConversionError`, async () => {
      const original = parseManifest(await fetchAll(store, web), web.mediaType)
      assert.ok(original.kind === 'index')
      const child = await docOf(original.index.manifests[0]!, { created: [] })
      const changed = await pushJson(MediaTypes.OciManifest, change(child))
      await assert.rejects(convertGraph(store, changed, 'docker'), (err: unknown) => {
        assert.ok(err instanceof ConversionError, String(err))
        assert.match(err.message, message)
        return true
      })
    })
  }
})
