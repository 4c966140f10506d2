/**
 * Every representation a publish can choose reads back, through pull and through copy: a bundle
 * without index (Nexus), manifests kept under derived tags (GitHub Packages, which serves no
 * manifest by digest; ECR in 2019, which took none pushed by digest), in registries emulated by
 * the quirk proxy and in a layout. And how a PublishSession plans from a saved report.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { canonicalBytes } from '../../src/cnab/canonical.js'
import {
  copyBundle,
  fixupBundle,
  layoutImageSource,
  publishBundle,
  PublishSession,
  pullBundle,
  type FixupResult,
} from '../../src/publish/index.js'
import { deterministicTag } from '../../src/compat/strategies.js'
import { MemoryStore } from '../../src/content/memory-store.js'
import type { OciLayoutStore } from '../../src/layout/layout-store.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { RegistryClient } from '../../src/registry/http/client.js'
import { syntheticReport } from '../compat/helpers.js'
import { startQuirkProxy, type QuirkProfileName, type QuirkProxy } from '../helpers/registry/quirk-proxy.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'
import { exampleBundle, exampleImages, fastRetry, pushRepository } from './helpers.js'

let dir: TempDir
let reg: RunningRegistry
let client: RegistryClient
let layout: OciLayoutStore
const proxies = new Map<QuirkProfileName, QuirkProxy>()

before(async () => {
  dir = await makeTempDir('publish-representations-')
  ;[reg, { store: layout }] = await Promise.all([startRegistry('plain'), exampleImages(join(dir.path, 'images'))])
  client = new RegistryClient({ retry: fastRetry() })
  for (const name of ['nexus-2020', 'github-packages-2020', 'ecr-2019'] as const) {
    const proxy = await startQuirkProxy(reg, name)
    proxy.createRepository('acme/copied')
    proxies.set(name, proxy)
  }
})
after(async () => {
  for (const proxy of proxies.values()) await proxy.stop()
  await client?.close()
  await reg?.stop()
  await dir?.cleanup()
})

/** The proxies share one registry: each test uses its own repositories. */
const repoOf = (host: string, name: string) => pushRepository(host, name, client)

/** Fixes up and publishes hello-world into `repository` of `host` with a session of that host. */
async function publishHello(
  host: string,
  repository: string,
): Promise<{ fixed: FixupResult; digest: string; index: string; manifestRefs: string }> {
  const target = repoOf(host, repository)
  const session = new PublishSession({ host })
  const fixed = await fixupBundle(
    await exampleBundle('hello-world'),
    { target },
    { source: layoutImageSource(layout), autoUpdate: true, session },
  )
  const published = await publishBundle(fixed.bundle, { target, reference: 'v1' }, { session })
  return { fixed, digest: published.digest, index: published.representation.index, manifestRefs: published.manifestRefs }
}

describe('a bundle without index (Nexus)', () => {
  let nexus: string
  let published: Awaited<ReturnType<typeof publishHello>>
  before(async () => {
    nexus = proxies.get('nexus-2020')!.host
    published = await publishHello(nexus, 'acme/hello')
  })

  test('the tag names the config manifest, and every image is kept under its derived tag', async () => {
    assert.equal(published.index, 'no-index')
    const target = repoOf(nexus, 'acme/hello')
    const top = await target.resolve('v1')
    assert.equal(top.mediaType, MediaTypes.OciManifest)
    assert.equal(top.digest, published.digest)
    for (const image of published.fixed.images.values())
      assert.equal((await target.resolve(deterministicTag(image.digest))).digest, image.digest)
  })

  test('pull reads it back exactly, with its images', async () => {
    const store = new MemoryStore()
    const pulled = await pullBundle(repoOf(nexus, 'acme/hello'), 'v1', { images: store })
    assert.equal(pulled.representation.index, 'no-index')
    assert.deepEqual(pulled.bundleBytes, canonicalBytes(published.fixed.bundle))
    assert.deepEqual(pulled.relocationMap, published.fixed.relocationMap)
    assert.deepEqual(pulled.images, published.fixed.images)
    assert.deepEqual(pulled.warnings, [])
  })

  test('copy takes it to another registry as it is, images tagged there too', async () => {
    const mirror = repoOf(reg.host, 'mirror/no-index')
    const copied = await copyBundle(repoOf(nexus, 'acme/hello'), 'v1', { target: mirror }, undefined)
    assert.equal(copied.digest, published.digest)
    for (const image of published.fixed.images.values())
      assert.equal((await mirror.resolve(deterministicTag(image.digest))).digest, image.digest)
    const pulled = await pullBundle(mirror, 'v1', { images: new MemoryStore() })
    assert.deepEqual(pulled.bundleBytes, canonicalBytes(published.fixed.bundle))
  })

  test('a layout takes the no-index form when it is asked for, and pull reads it from there', async () => {
    const store = new MemoryStore()
    const fixed = await fixupBundle(
      await exampleBundle('hello-world'),
      { target: store },
      { source: layoutImageSource(layout), autoUpdate: true },
    )
    const result = await publishBundle(fixed.bundle, { target: store, reference: 'v1' }, { indexFormat: 'no-index' })
    assert.deepEqual(
      result.attempts.map((a) => `${a.step} ${a.id}`),
      ['config cnab-config', 'index no-index'],
    )
    const pulled = await pullBundle(store, 'v1')
    assert.equal(pulled.representation.index, 'no-index')
    assert.deepEqual(pulled.bundleBytes, canonicalBytes(fixed.bundle))
  })
})

describe('manifests kept under derived tags', () => {
  test('GitHub Packages: pull and copy read them by tag, each verified against its digest', async () => {
    const host = proxies.get('github-packages-2020')!.host
    const published = await publishHello(host, 'acme/hello-github')
    assert.equal(published.manifestRefs, 'deterministic-tag')
    const source = repoOf(host, 'acme/hello-github')
    const pulled = await pullBundle(source, 'v1', { images: new MemoryStore() })
    assert.equal(pulled.digest, published.digest)
    const mirror = repoOf(reg.host, 'mirror/from-github')
    const copied = await copyBundle(source, 'v1', { target: mirror }, undefined)
    assert.equal(copied.digest, published.digest)
    assert.deepEqual((await pullBundle(mirror, 'v1')).bundleBytes, pulled.bundleBytes)
  })

  test('ECR 2019: a copy into it puts every manifest under its derived tag, and reads back', async () => {
    const plain = await publishHello(reg.host, 'acme/hello-plain')
    assert.equal(plain.manifestRefs, 'digest')
    const proxy = proxies.get('ecr-2019')!
    const from = proxy.proxy.requests.length
    const copied = await copyBundle(repoOf(reg.host, 'acme/hello-plain'), 'v1', { target: repoOf(proxy.host, 'acme/copied') }, undefined)
    assert.equal(copied.digest, plain.digest)
    const refused = proxy.proxy.requests.slice(from).filter((r) => r.status === 405)
    assert.equal(refused.length, 1, 'one refusal of a push by digest, then tags')
    for (const image of plain.fixed.images.values()) {
      assert.equal((await repoOf(proxy.host, 'acme/copied').resolve(deterministicTag(image.digest))).digest, image.digest)
    }
    assert.equal((await pullBundle(repoOf(proxy.host, 'acme/copied'), 'v1')).digest, plain.digest)
  })
})

describe('manifests under derived tags in a store that cannot push under a tag in one request', () => {
  test('a layout-like store given --manifest-refs deterministic-tag: every manifest by digest and under its derived tag, pull reads it back', async () => {
    const store = new MemoryStore()
    const session = new PublishSession({ force: { manifestRefs: 'deterministic-tag' } })
    const fixed = await fixupBundle(
      await exampleBundle('hello-world'),
      { target: store },
      { source: layoutImageSource(layout), autoUpdate: true, session },
    )
    const result = await publishBundle(fixed.bundle, { target: store, reference: 'v1' }, { session })
    assert.equal(result.manifestRefs, 'deterministic-tag')
    for (const image of fixed.images.values()) assert.equal((await store.resolve(deterministicTag(image.digest))).digest, image.digest)
    assert.equal((await store.resolve(deterministicTag(result.config.digest))).digest, result.config.digest)
    const pulled = await pullBundle(store, 'v1')
    assert.deepEqual(pulled.bundleBytes, canonicalBytes(fixed.bundle))
  })
})

describe('planning from a saved report', () => {
  const OCI = MediaTypes.OciManifest
  const DOCKER = MediaTypes.DockerManifest

  test('the representation the report calls for comes first, and what it refused is left out', () => {
    const session = new PublishSession({
      host: 'registry.example',
      report: syntheticReport({ unsupported: ['oci-index', 'custom-config-media-type'] }),
    })
    assert.equal(session.source, 'report')
    assert.deepEqual(session.order('index'), ['docker-manifest-list', 'no-index'])
    assert.deepEqual(session.order('config'), ['oci-image-config', 'docker-config'])
    assert.deepEqual(session.order('manifestRefs'), ['digest', 'deterministic-tag'])
  })

  test('without indexes, images are kept under derived tags; a forced choice wins over the report', () => {
    const report = syntheticReport({ unsupported: ['oci-index', 'docker-manifest-list'] })
    assert.deepEqual(new PublishSession({ host: 'registry.example', report }).order('manifestRefs'), ['deterministic-tag'])
    const forced = new PublishSession({ host: 'registry.example', report, force: { index: 'oci-index', manifestRefs: 'digest' } })
    assert.deepEqual([forced.order('index'), forced.order('manifestRefs')], [['oci-index'], ['digest']])
    assert.deepEqual(forced.specs('index')[0]!.needs, [], 'a forced choice is tried whatever the report says')
  })

  test("where mixed indexes are refused: the images' family when they share one, else converted into an index rather than none", () => {
    const report = syntheticReport({ unsupported: ['mixed-index-children'] })
    const docker = new PublishSession({ host: 'registry.example', report })
    docker.planForImages([DOCKER, DOCKER])
    assert.deepEqual([docker.order('index')[0], docker.order('config')[0]], ['docker-manifest-list', 'docker-config'])
    const mixed = new PublishSession({ host: 'registry.example', report })
    mixed.planForImages([OCI, DOCKER])
    assert.deepEqual([mixed.order('index')[0], mixed.order('config')[0]], ['oci-index', 'cnab-config'])
  })

  test('a report without a working representation is set aside, with the reason', () => {
    const session = new PublishSession({ host: 'registry.example', report: syntheticReport({ unsupported: ['bundle-round-trip'] }) })
    assert.equal(session.source, 'tiers')
    assert.match(
      session.reasons[0]!,
      /^the saved report found no working representation \(no representation survived a publish and read back/,
    )
    assert.deepEqual(session.order('index'), ['oci-index', 'docker-manifest-list', 'no-index'])
  })
})
