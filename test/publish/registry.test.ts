/**
 * Fixup, publish, pull and copy of the example shop bundle against the real distribution
 * registry, with its images read from the example layout (the thick-bundle convention).
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { canonicalBytes } from '../../src/cnab/canonical.js'
import {
  copyBundle,
  defaultBundleTag,
  FixupError,
  fixupBundle,
  ImageMismatchError,
  layoutImageSource,
  NotABundleError,
  publishBundle,
  pullBundle,
  TagExistsError,
  type FixupResult,
  type PublishResult,
} from '../../src/publish/index.js'
import { validateRelocationMapping } from '../../src/cnab/schema.js'
import { MemoryStore } from '../../src/content/memory-store.js'
import { fetchAll } from '../../src/content/verify.js'
import { copy, copyGraph } from '../../src/copy/index.js'
import { InputError } from '../../src/errors.js'
import type { OciLayoutStore } from '../../src/layout/layout-store.js'
import type { Descriptor } from '../../src/oci/descriptor.js'
import { parseManifest } from '../../src/oci/manifest.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { RegistryClient } from '../../src/registry/http/client.js'
import type { RegistryRepository } from '../../src/registry/repository.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { runSkopeo } from '../helpers/registry/skopeo.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'
import { API, DB, exampleBundle, exampleImages, fastRetry, INSTALLER, pushRepository, sha256, SHOP_IMAGES, WEB } from './helpers.js'

let dir: TempDir
let reg: RunningRegistry
let client: RegistryClient
let layout: OciLayoutStore
let made: Map<string, Descriptor>
let shop: Record<string, unknown>
/** The shop bundle fixed up into and published to shop/bundle (tag v2.3.1). */
let fixed: FixupResult
let published: PublishResult
let bundleRepo: RegistryRepository

const repo = (name: string): RegistryRepository => pushRepository(reg.host, name, client)

before(async () => {
  dir = await makeTempDir('publish-registry-')
  ;[reg, { store: layout, images: made }, shop] = await Promise.all([
    startRegistry('plain'),
    exampleImages(join(dir.path, 'images')),
    exampleBundle('shop'),
  ])
  client = new RegistryClient({ retry: fastRetry() })
  bundleRepo = repo('shop/bundle')
  fixed = await fixupBundle(shop, { target: bundleRepo }, { source: layoutImageSource(layout), autoUpdate: true })
  published = await publishBundle(fixed.bundle, { target: bundleRepo })
})
after(async () => {
  await client?.close()
  await reg?.stop()
  await dir?.cleanup()
})

describe('fixup and publish of the shop bundle to a registry', () => {
  test('fixup resolves all four images from the layout and writes contentDigest, size and mediaType into a copy of the bundle', async () => {
    assert.deepEqual([...fixed.images.keys()], [INSTALLER, API, DB, WEB], 'invocation image first, then components by name')
    for (const ref of SHOP_IMAGES) assert.deepEqual(fixed.images.get(ref), made.get(ref))
    assert.equal(fixed.changes.length, 4 * 3)
    assert.ok(fixed.changes.every((c) => c.from === undefined))
    const web = (fixed.bundle as { images: Record<string, Record<string, unknown>> }).images.web!
    assert.deepEqual([web.contentDigest, web.size, web.mediaType], [made.get(WEB)!.digest, made.get(WEB)!.size, MediaTypes.OciIndex])
    assert.deepEqual(shop, await exampleBundle('shop'), 'the input bundle is not modified')
  })

  test('publish writes the portable representation under v<version>; the config blob is the canonical fixed-up bundle.json', async () => {
    assert.equal(published.tag, 'v2.3.1')
    assert.equal(published.unchanged, false)
    assert.deepEqual(published.representation, { index: 'oci-index', config: 'cnab-config', shape: 'portable' })
    assert.equal(published.manifestRefs, 'digest')
    assert.deepEqual(published.plan, { source: 'tiers', reasons: [] })
    assert.deepEqual(published.attempts, [
      { step: 'manifest-refs', id: 'digest' },
      { step: 'config', id: 'cnab-config' },
      { step: 'index', id: 'oci-index' },
    ])
    assert.equal((await bundleRepo.resolve('v2.3.1')).digest, published.digest)
    const blob = await fetchAll(bundleRepo, published.configBlob)
    assert.deepEqual(blob, canonicalBytes(fixed.bundle))
    assert.equal(sha256(blob), published.configBlob.digest)
  })

  test('pull returns the stored config blob byte for byte, a relocation map for all four images, and passes the invocation digest check', async () => {
    const pulled = await pullBundle(repo('shop/bundle'), 'v2.3.1')
    assert.equal(pulled.digest, published.digest)
    assert.deepEqual(pulled.bundleBytes, await fetchAll(bundleRepo, published.configBlob))
    assert.deepEqual(pulled.bundleBytes, canonicalBytes(fixed.bundle))
    assert.deepEqual(pulled.bundle, fixed.bundle)
    const expected = Object.fromEntries(SHOP_IMAGES.map((ref) => [ref, `${reg.host}/shop/bundle@${made.get(ref)!.digest}`]))
    assert.deepEqual(pulled.relocationMap, expected)
    assert.deepEqual(fixed.relocationMap, expected)
    assert.deepEqual(published.relocationMap, expected)
    assert.deepEqual(validateRelocationMapping(pulled.relocationMap), [])
    assert.deepEqual(pulled.representation, {
      index: 'oci-index',
      configManifest: MediaTypes.OciManifest,
      config: 'application/vnd.cnab.config.v1+json',
    })
    assert.deepEqual(pulled.warnings, [])
  })

  test('every image pulled back from the bundle repository verifies, blob by blob, and is tagged with its reference', async () => {
    const store = new MemoryStore()
    const pulled = await pullBundle(bundleRepo, 'v2.3.1', { images: store })
    assert.deepEqual(pulled.images, fixed.images)
    for (const ref of SHOP_IMAGES) {
      assert.deepEqual((await store.resolve(ref)).digest, made.get(ref)!.digest)
      // A second copy out of the registry reads and verifies every blob once more.
      const stats = await copyGraph(bundleRepo, new MemoryStore(), made.get(ref)!)
      assert.equal(stats.copied, stats.nodes)
    }
    const web = parseManifest(await fetchAll(store, made.get(WEB)!), MediaTypes.OciIndex)
    assert.equal(web.kind === 'index' && web.index.manifests.length, 2, 'both platforms of the web image came along')
  })

  test('skopeo reads the invocation image from the bundle repository by its digest', async () => {
    const digest = made.get(INSTALLER)!.digest
    const out = await runSkopeo(
      ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/shop/bundle@${digest}`],
      join(dir.path, 'skopeo'),
    )
    assert.equal(sha256(Buffer.from(out.stdout)), digest)
  })
})

describe('fixup without --auto-update', () => {
  test('a wrong contentDigest and a missing size are reported together, naming image, field and both values; nothing is copied', async () => {
    const bad = structuredClone(fixed.bundle) as { images: Record<string, Record<string, unknown>> }
    bad.images.web!.contentDigest = made.get(API)!.digest
    delete bad.images.db!.size
    const before = structuredClone(bad)
    const target = repo('shop/strict')
    const err = await fixupBundle(bad, { target }, { source: layoutImageSource(layout), autoUpdate: false }).catch((e: unknown) => e)
    assert.ok(err instanceof FixupError, String(err))
    assert.equal(err.failures.length, 2)
    const [db, web] = err.failures.map((f) => f.error)
    assert.ok(web instanceof ImageMismatchError && db instanceof ImageMismatchError)
    assert.equal(
      web.message,
      `image "${WEB}" (/images/web): bundle.json says contentDigest ${made.get(API)!.digest}, the image has ${made.get(WEB)!.digest}`,
    )
    assert.equal(db.message, `image "${DB}" (/images/db): bundle.json has no size, the image has ${made.get(DB)!.size}`)
    assert.ok(err.message.includes(web.message) && err.message.includes(db.message))
    assert.match(err.suggestions.join('\n'), /--auto-update/)
    assert.deepEqual(bad, before, 'the input bundle is not modified')
    for (const ref of SHOP_IMAGES) assert.equal(await target.exists(made.get(ref)!), false, `${ref} was not copied`)
  })

  test('a bundle that already describes its images passes unchanged', async () => {
    const again = await fixupBundle(fixed.bundle, { target: repo('shop/strict') }, { source: layoutImageSource(layout), autoUpdate: false })
    assert.deepEqual(again.changes, [])
    assert.deepEqual(again.bundle, fixed.bundle)
    assert.notEqual(again.bundle, fixed.bundle, 'the result is a copy')
  })
})

describe('tags', () => {
  test('the default tag is v<version> with + replaced by _', async () => {
    assert.equal(defaultBundleTag('1.2.3+build.5'), 'v1.2.3_build.5')
    assert.throws(() => defaultBundleTag(`1.0.0+${'x'.repeat(130)}`), InputError)
    const hello = { ...(await exampleBundle('hello-world')), version: '1.2.3+build.5' }
    const target = repo('hello/bundle')
    const fixedHello = await fixupBundle(hello, { target }, { source: layoutImageSource(layout), autoUpdate: true })
    const result = await publishBundle(fixedHello.bundle, { target })
    assert.equal(result.tag, 'v1.2.3_build.5')
    assert.equal((await target.resolve('v1.2.3_build.5')).digest, result.digest)
  })

  test('an existing tag: same content is a no-op, other content is refused without force and moved with it', async () => {
    const target = repo('shop/tags')
    await fixupBundle(fixed.bundle, { target }, { source: layoutImageSource(layout), autoUpdate: false })
    const first = await publishBundle(fixed.bundle, { target, reference: 'stable' })
    const same = await publishBundle(fixed.bundle, { target, reference: 'stable' })
    assert.equal(same.digest, first.digest)
    assert.equal(same.unchanged, true)
    assert.deepEqual(same.attempts, [])

    const changed = { ...(fixed.bundle as Record<string, unknown>), description: 'a new description' }
    const err = await publishBundle(changed, { target, reference: 'stable' }).catch((e: unknown) => e)
    assert.ok(err instanceof TagExistsError, String(err))
    assert.equal(err.existing, first.digest)
    assert.match(err.suggestions.join('\n'), /--force/)
    assert.equal((await target.resolve('stable')).digest, first.digest, 'the tag did not move')

    const forced = await publishBundle(changed, { target, reference: 'stable' }, { force: true })
    assert.notEqual(forced.digest, first.digest)
    assert.equal((await target.resolve('stable')).digest, forced.digest)
  })
})

describe('platform filter', () => {
  test('with linux/amd64 the web image is recorded as its amd64 manifest, which the destination has, and the original index is not copied', async () => {
    const webIndex = parseManifest(await fetchAll(layout, made.get(WEB)!), MediaTypes.OciIndex)
    assert.equal(webIndex.kind, 'index')
    const entries = webIndex.kind === 'index' ? webIndex.index.manifests : []
    const amd64 = entries.find((d) => d.platform?.architecture === 'amd64')!
    const arm64 = entries.find((d) => d.platform?.architecture === 'arm64')!
    const target = repo('shop/amd64')
    const result = await fixupBundle(
      shop,
      { target },
      { source: layoutImageSource(layout), autoUpdate: true, platforms: [{ os: 'linux', architecture: 'amd64' }] },
    )
    assert.deepEqual(result.images.get(WEB), { mediaType: MediaTypes.OciManifest, digest: amd64.digest, size: amd64.size })
    const web = (result.bundle as { images: Record<string, Record<string, unknown>> }).images.web!
    assert.deepEqual([web.contentDigest, web.mediaType], [amd64.digest, MediaTypes.OciManifest])
    assert.equal(await target.exists(amd64), true)
    assert.equal(await target.exists(arm64), false)
    assert.equal(await target.exists(made.get(WEB)!), false)
    assert.equal(result.images.get(INSTALLER)!.digest, made.get(INSTALLER)!.digest, 'single-platform images are kept as they are')

    const pub = await publishBundle(result.bundle, { target })
    const pulled = await pullBundle(target, pub.tag)
    assert.equal(pulled.relocationMap![WEB], `${reg.host}/shop/amd64@${amd64.digest}`)
  })
})

describe('copying a published bundle', () => {
  test('registry to another repository keeps every byte and the digest, mounts the blobs, and relocates the map', async () => {
    const mirror = repo('mirror/shop')
    const copied = await copyBundle(bundleRepo, 'v2.3.1', { target: mirror }, undefined)
    assert.equal(copied.digest, published.digest)
    assert.equal(copied.tag, 'v2.3.1')
    assert.ok(copied.stats.mounted > 0, `blobs are mounted within one registry: ${JSON.stringify(copied.stats)}`)
    assert.deepEqual(
      copied.relocationMap,
      Object.fromEntries(SHOP_IMAGES.map((ref) => [ref, `${reg.host}/mirror/shop@${made.get(ref)!.digest}`])),
    )
    const pulled = await pullBundle(mirror, 'v2.3.1')
    assert.deepEqual(pulled.bundleBytes, canonicalBytes(fixed.bundle))
    assert.deepEqual(pulled.relocationMap, copied.relocationMap)
  })
})

describe('what pull accepts and refuses', () => {
  test('a single image and a multi-platform image are refused as images, not bundles', async () => {
    const images = repo('plain/images')
    await copy(layout, INSTALLER, images, 'installer')
    await copy(layout, WEB, images, 'web')
    for (const tag of ['installer', 'web']) {
      await assert.rejects(pullBundle(images, tag), (err: unknown) => {
        assert.ok(err instanceof NotABundleError, String(err))
        assert.match(err.message, new RegExp(`^"${tag}" \\(sha256:[0-9a-f]{64}\\) is an image, not a CNAB bundle`))
        return true
      })
    }
  })

  test('the cnab-to-oci shape ("layers": null) publishes and pulls back', async () => {
    const result = await publishBundle(fixed.bundle, { target: bundleRepo, reference: 'c2o' }, { shape: 'cnab-to-oci' })
    assert.notEqual(result.digest, published.digest)
    const configManifest = (await fetchAll(bundleRepo, result.config)).toString('utf8')
    assert.match(configManifest, /"layers":null}$/)
    const pulled = await pullBundle(bundleRepo, 'c2o')
    assert.deepEqual(pulled.bundleBytes, canonicalBytes(fixed.bundle))
    assert.deepEqual(pulled.relocationMap, published.relocationMap)
  })

  test('a Docker manifest list (forced) publishes and pulls back as one', async () => {
    const result = await publishBundle(
      fixed.bundle,
      { target: bundleRepo, reference: 'docker-list' },
      { indexFormat: 'docker-manifest-list' },
    )
    assert.equal(result.representation.index, 'docker-manifest-list')
    assert.equal((await bundleRepo.resolve('docker-list')).mediaType, MediaTypes.DockerManifestList)
    const pulled = await pullBundle(bundleRepo, 'docker-list')
    assert.equal(pulled.representation.index, 'docker-manifest-list')
    assert.deepEqual(pulled.bundleBytes, canonicalBytes(fixed.bundle))
  })

  test('an index with the 2018–2019 annotation names (io.cnab.type, io.cnab.component_name) pulls back', async () => {
    const index = JSON.parse((await fetchAll(bundleRepo, published.index)).toString('utf8')) as {
      manifests: (Descriptor & { annotations: Record<string, string> })[]
      annotations?: Record<string, string>
    }
    for (const entry of index.manifests) {
      const { 'io.cnab.manifest.type': type, 'io.cnab.component.name': name } = entry.annotations
      entry.annotations = { 'io.cnab.type': type!, ...(name !== undefined && { 'io.cnab.component_name': name }) }
    }
    delete index.annotations
    const bytes = Buffer.from(JSON.stringify(index))
    const desc = { mediaType: MediaTypes.OciIndex, digest: sha256(bytes), size: bytes.length } as Descriptor
    await bundleRepo.pushReference(desc, bytes, 'legacy')
    const pulled = await pullBundle(bundleRepo, 'legacy')
    assert.equal(pulled.digest, desc.digest)
    assert.deepEqual(pulled.bundleBytes, canonicalBytes(fixed.bundle))
    assert.deepEqual(pulled.relocationMap, published.relocationMap)
  })
})
