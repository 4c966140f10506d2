/**
 * Referrers in the memory and layout stores: the manifests whose `subject` names a digest, found
 * through the graph index, described as the referrers API describes them; a layout finds them
 * again when it is opened later. Every back end can then be the source of `copy --referrers`.
 */
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { MemoryStore } from '../../src/content/memory-store.js'
import type { Descriptor } from '../../src/oci/descriptor.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { OciLayoutStore } from '../../src/layout/layout-store.js'
import { blob, image, index, type Content } from '../helpers/content.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const temps: TempDir[] = []
after(async () => Promise.all(temps.map((t) => t.cleanup())))

function referrer(subject: Descriptor, artifactType: string, label: string): Content {
  const doc = {
    schemaVersion: 2,
    mediaType: MediaTypes.OciManifest,
    artifactType,
    config: { mediaType: MediaTypes.OciEmpty, digest: blob('{}').desc.digest, size: 2 },
    layers: [blob(label).desc],
    subject,
    annotations: { 'org.example.label': label },
  }
  return blob(JSON.stringify(doc), MediaTypes.OciManifest)
}

async function collect(items: AsyncIterable<Descriptor>): Promise<Descriptor[]> {
  const out: Descriptor[] = []
  for await (const d of items) out.push(d)
  return out
}

for (const kind of ['memory', 'layout'] as const) {
  describe(`${kind} store: listReferrers`, () => {
    test('lists the manifests whose subject names the digest, with artifactType and annotations; an index listing it is no referrer', async () => {
      let dir: TempDir | undefined
      const open = async (): Promise<MemoryStore | OciLayoutStore> => {
        if (kind === 'memory') return new MemoryStore()
        dir ??= await makeTempDir()
        temps.push(dir)
        return OciLayoutStore.open(dir.path, { create: true })
      }
      const store = await open()
      const img = image('subject')
      const sig = referrer(img.manifest.desc, 'application/vnd.dev.cosign.artifact.sig.v1+json', 'sig')
      const sbom = referrer(img.manifest.desc, 'application/spdx+json', 'sbom')
      const list = index([img.manifest])
      for (const c of [img.config, img.layer, img.manifest, blob('{}', MediaTypes.OciEmpty), blob('sig'), blob('sbom'), sig, sbom, list])
        await store.push(c.desc, c.bytes)
      const expected = [
        { ...sig.desc, artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', annotations: { 'org.example.label': 'sig' } },
        { ...sbom.desc, artifactType: 'application/spdx+json', annotations: { 'org.example.label': 'sbom' } },
      ]
      assert.deepEqual(await collect(store.listReferrers(img.manifest.desc)), expected)
      assert.deepEqual(await collect(store.listReferrers(img.manifest.desc, { artifactType: 'application/spdx+json' })), [expected[1]])
      assert.deepEqual(await collect(store.listReferrers(sig.desc)), [])
      if (kind === 'layout') {
        const reopened = await OciLayoutStore.open(dir!.path)
        assert.deepEqual(await collect(reopened.listReferrers(img.manifest.desc)), expected, 'found again after reopening')
      }
    })
  })
}

describe('layout store: referrers after reopening', () => {
  test('come in the order of index.json on every open, however the parallel reads of the manifests finish', async () => {
    const dir = await makeTempDir()
    temps.push(dir)
    const store = await OciLayoutStore.open(dir.path, { create: true })
    const img = image('subject of many')
    for (const c of [img.config, img.layer, img.manifest, blob('{}', MediaTypes.OciEmpty)]) await store.push(c.desc, c.bytes)
    const pushed: string[] = []
    for (let i = 0; i < 24; i++) {
      // Sizes that differ widely, so that reads of them finish out of order.
      const label = `sbom-${i}-${'x'.repeat(((i * 7919) % 24) * 4096)}`
      const r = referrer(img.manifest.desc, 'application/spdx+json', label)
      await store.push(blob(label).desc, blob(label).bytes)
      await store.push(r.desc, r.bytes)
      pushed.push(r.desc.digest)
    }
    await store.close()
    for (let open = 0; open < 3; open++) {
      const reopened = await OciLayoutStore.open(dir.path)
      const found = (await collect(reopened.listReferrers(img.manifest.desc))).map((d) => d.digest)
      assert.deepEqual(found, pushed, `open ${open + 1}`)
    }
  })
})
