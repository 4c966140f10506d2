/**
 * Re-fitting published bundles for the registry at hand, through the package root against every
 * registry behaviour the quirk proxy emulates: a bundle built into a layout and a bundle
 * published on plain distribution are both pushed to each profile and pulled back, bundle.json
 * byte for byte the one that was built and every image verified in the destination. Where the
 * profile refuses the bundle's representation, the result says what the bundle was, what it is
 * now and why (`refit`); on plain distribution nothing is re-fitted or refused. Representation
 * flags apply to a published source too, and `allowFallback: false` names both representations.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import {
  attach,
  build,
  publish,
  pull,
  RefitNeededError,
  verify,
  type BundleBuilt,
  type OperationOptions,
  type PublishOutcome,
} from '../../src/index.js'
import { probeRegistry } from '../../src/compat/probes.js'
import { saveReport } from '../../src/compat/report-cache.js'
import { copy } from '../../src/copy/index.js'
import { RegistryClient } from '../../src/registry/http/client.js'
import { backoffPolicy } from '../../src/registry/http/retry.js'
import { messageOf } from '../../src/errors.js'
import { OciLayoutStore } from '../../src/layout/layout-store.js'
import { convertGraph } from '../../src/publish/convert-family.js'
import { startQuirkProxy, type QuirkProfileName, type UntaggedRefusal } from '../helpers/registry/quirk-proxy.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`

let dir: TempDir
let reg: RunningRegistry
let options: OperationOptions & { reportCache: false }
/** The shop bundle built into a layout (every platform), and with linux/amd64 only (for registries without image indexes). */
const built: Record<'all' | 'amd64', BundleBuilt> = {} as never
/** The same bundles published on plain distribution (copied from the layout). */
const onPlain: Record<'all' | 'amd64', string> = {} as never

before(async () => {
  dir = await makeTempDir('refit-')
  const images = `ocidir://${join(dir.path, 'images')}`
  ;[reg] = await Promise.all([startRegistry('plain'), makeExampleImages(join(dir.path, 'images'))])
  const home = join(dir.path, 'home')
  options = { env: { HOME: home, DOCKER_CONFIG: join(home, 'docker') }, reportCache: false }
  for (const [name, platforms] of [
    ['all', []],
    ['amd64', ['linux/amd64']],
  ] as const) {
    built[name] = await build('bundles/shop/bundle.json', `ocidir://${join(dir.path, `built-${name}`)}`, {
      ...options,
      images,
      autoUpdate: true,
      platforms,
    })
    const plain = await publish(built[name].reference, `${reg.host}/plain/shop-${name}`, options)
    assert.equal(plain.kind, 'copied', 'plain distribution takes the bundle as it is')
    assert.equal(plain.digest, built[name].digest)
    onPlain[name] = plain.reference
  }
})
after(async () => {
  await reg?.stop()
  await dir?.cleanup()
})

/** Pulls `reference` with its images and verifies it in place: bundle.json is the built one byte for byte, every image is there and intact. */
async function pullAndVerify(reference: string, configBlob: string, out: string, images = 4): Promise<void> {
  const pulled = await pull(reference, join(dir.path, out), { ...options, withImages: true })
  assert.equal(sha256(await readFile(pulled.bundle)), configBlob, `${reference}: bundle.json is byte-identical`)
  assert.equal(Object.keys(pulled.images!.manifests).length, images, `${reference}: every image pulled`)
  const verified = await verify(reference, options)
  assert.equal(verified.status, 'complete', `${reference}: ${JSON.stringify([verified.missing, verified.corrupt])}`)
  assert.deepEqual(
    verified.images.map((i) => i.status),
    Array<string>(images).fill('present'),
  )
}

/** What a publish to the profile must have done: copied as it is, or re-fitted (and why, as a pattern). */
interface Expected {
  platforms: 'all' | 'amd64'
  refit?: RegExp
  /** The representation a re-fit arrives at: `index + config`. */
  to?: string
  /** Images the registry takes only converted (Docker Hub 2019: no OCI index): bundle.json then states their new digests, and only those change. */
  converted?: string[]
}

const PROFILES: Array<[QuirkProfileName, Expected, UntaggedRefusal?]> = [
  [
    'dockerhub-2019',
    {
      platforms: 'all',
      refit: /refused the bundle as it is published .*application\/vnd\.oci\.image\.(index|manifest)\.v1\+json/,
      converted: ['example.com/ocibundle/shop-web:2.3.1'],
      to: 'docker-manifest-list + oci-image-config',
    },
  ],
  ['ecr', { platforms: 'all' }],
  ['ecr-2019', { platforms: 'all' }],
  ['gcr', { platforms: 'all' }],
  [
    'quay',
    {
      platforms: 'all',
      refit: /refused the bundle as it is published .*application\/vnd\.oci\.image\.manifest\.v1\+json/,
      to: 'oci-index + oci-image-config',
    },
  ],
  [
    'nexus-2020',
    {
      platforms: 'amd64',
      refit: /refused the bundle as it is published .*application\/vnd\.oci\.image\.index\.v1\+json/,
      to: 'no-index + cnab-config',
    },
  ],
  ['ghcr', { platforms: 'all' }],
  ['github-packages-2020', { platforms: 'all' }],
  ['referrers-api', { platforms: 'all' }],
  ['gitlab', { platforms: 'all' }],
  ['tag-required', { platforms: 'all' }, 'TAG_INVALID'],
  ['tag-required', { platforms: 'all' }, 'MANIFEST_INVALID'],
  ['tag-required', { platforms: 'all' }, 'UNSUPPORTED'],
  [
    'artifactory-2025',
    {
      platforms: 'all',
      refit: /refused the bundle as it is published .*application\/vnd\.oci\.image\.index\.v1\+json/,
      to: 'no-index + cnab-config',
    },
  ],
  ['acr', { platforms: 'all' }],
]

describe('a built or published bundle pushed to every emulated registry', () => {
  for (const [profile, expected, form] of PROFILES) {
    const name = form !== undefined ? `${profile} (${form})` : profile
    test(`${name}: from a layout and from plain distribution, ${expected.refit ? 're-fitted' : 'copied as it is'}, pulled back (bundle.json the published config blob) and verified`, async () => {
      const proxy = await startQuirkProxy(reg, profile, form !== undefined ? { untaggedRefusal: form } : {})
      try {
        const slug = name.replace(/[^a-z0-9]+/g, '-').replace(/-$/, '')
        for (const repo of ['from-layout', 'relocated']) proxy.createRepository(`${slug}/${repo}`)
        const source = built[expected.platforms]
        for (const [from, repo] of [
          [source.reference, 'from-layout'],
          [onPlain[expected.platforms], 'relocated'],
        ] as const) {
          const pushed: PublishOutcome = await publish(from, `${proxy.host}/${slug}/${repo}`, options)
          if (expected.refit === undefined) {
            assert.equal(pushed.kind, 'copied', `${from}: copied as it is`)
            assert.equal(pushed.digest, source.digest)
          } else {
            assert.equal(pushed.kind, 'built', `${from}: re-fitted`)
            const refit = (pushed as BundleBuilt).refit!
            assert.equal(refit.from.digest, source.digest)
            assert.equal(refit.to.digest, pushed.digest)
            assert.notEqual(pushed.digest, source.digest)
            assert.match(refit.reasons.join('\n'), expected.refit)
            assert.equal(`${refit.to.representation.index} + ${refit.to.representation.config}`, expected.to)
            const changed = [...new Set((pushed as BundleBuilt).changes.map((c) => c.image))]
            assert.deepEqual(changed, expected.converted ?? [], 'bundle.json changes only for images converted for the registry')
            if (expected.converted === undefined)
              assert.equal((pushed as BundleBuilt).configBlob.digest, source.configBlob.digest, 'the config blob keeps its digest')
          }
          const configBlob = pushed.kind === 'built' ? pushed.configBlob.digest : source.configBlob.digest
          await pullAndVerify(pushed.reference, configBlob, `${slug}-${repo}`)
        }
      } finally {
        await proxy.stop()
      }
    })
  }
})

describe('representation choices for a published source', () => {
  test('--index-format docker-manifest-list on a layout re-fits it, naming the choice; the same request again finds it there', async () => {
    const pushed = await publish(built.all.reference, `${reg.host}/forced/shop`, { ...options, indexFormat: 'docker-manifest-list' })
    assert.equal(pushed.kind, 'built')
    const b = pushed as BundleBuilt
    assert.equal(b.representation.index, 'docker-manifest-list')
    assert.deepEqual(b.refit!.from.representation, { index: 'oci-index', config: 'cnab-config', shape: 'portable' })
    assert.deepEqual(b.plan.forced, { index: 'docker-manifest-list' })
    assert.match(b.refit!.reasons[0]!, /--index-format docker-manifest-list was asked for; the bundle is published as oci-index/)
    assert.equal(b.configBlob.digest, built.all.configBlob.digest)
    await pullAndVerify(pushed.reference, built.all.configBlob.digest, 'forced')
    const again = await publish(built.all.reference, `${reg.host}/forced/shop`, { ...options, indexFormat: 'docker-manifest-list' })
    assert.equal(again.unchanged, true)
    assert.equal(again.digest, pushed.digest)
  })

  test('allowFallback false: a registry that refuses the representation gets an error naming what the bundle has and what it takes', async () => {
    const proxy = await startQuirkProxy(reg, 'quay')
    try {
      await assert.rejects(publish(built.all.reference, `${proxy.host}/strict/shop`, { ...options, allowFallback: false }), (err) => {
        assert.ok(err instanceof RefitNeededError)
        assert.deepEqual(err.has, { index: 'oci-index', config: 'cnab-config', shape: 'portable' })
        assert.equal(err.accepts.config, 'oci-image-config')
        assert.match(
          err.message,
          /published as oci-index \+ cnab-config \(portable\), which this registry does not take .*; it takes oci-index \+ oci-image-config/,
        )
        return true
      })
    } finally {
      await proxy.stop()
    }
  })
})

describe('re-fits planned from a saved report, and the signatures of the old index', () => {
  test('with a saved `registry check` report of Quay, a built bundle is re-fitted up front: no request fails, and the reason names the capability', async () => {
    const proxy = await startQuirkProxy(reg, 'quay')
    const client = new RegistryClient({ retry: backoffPolicy({ baseMs: 1, maxDelayMs: 20 }) })
    try {
      const cache = join(dir.path, 'reports-quay')
      await saveReport(await probeRegistry(client, { registry: proxy.host, repository: 'planned/probe' }), {
        env: { XDG_CACHE_HOME: cache },
      })
      const from = proxy.proxy.requests.length
      const pushed = await publish(built.all.reference, `${proxy.host}/planned/shop`, {
        ...options,
        reportCache: { env: { XDG_CACHE_HOME: cache } },
      })
      assert.equal(pushed.kind, 'built')
      const b = pushed as BundleBuilt
      assert.match(
        b.refit!.reasons.join('\n'),
        /the config manifest \(cnab-config\) needs custom-config-media-type, which the saved `registry check` report found unsupported/,
      )
      assert.equal(b.plan.source, 'report')
      const failed = proxy.proxy.requests.slice(from).filter((r) => r.status >= 400 && !(r.method === 'HEAD' && r.status === 404))
      assert.deepEqual(
        failed.map((r) => `${r.method} ${r.path} ${r.status}`),
        [],
      )
      await pullAndVerify(pushed.reference, built.all.configBlob.digest, 'planned')
    } finally {
      await client.close()
      await proxy.stop()
    }
  })

  test('re-fitted to a Docker manifest list: the signature of the bundle index at the source does not apply to the new index (refit.staleReferrers); the SBOM of an unchanged image comes along', async () => {
    const source = `${reg.host}/signed/shop:v2.3.1`
    const copied = await publish(built.all.reference, source, options)
    const sbomFile = join(dir.path, 'sbom.json')
    await writeFile(sbomFile, '{"sbom":"the installer"}')
    const installer = copied.relocationMap!['example.com/ocibundle/shop-installer:2.3.1']!
    const sbom = await attach(installer, [sbomFile], { ...options, artifactType: 'application/spdx+json' })
    const signature = join(dir.path, 'signature.json')
    await writeFile(signature, '{"signed":"the bundle index"}')
    const attached = await attach(source, [signature], { ...options, artifactType: 'application/vnd.example.signature.v1+json' })
    const pushed = (await publish(source, `${reg.host}/signed/refitted`, {
      ...options,
      indexFormat: 'docker-manifest-list',
    })) as BundleBuilt
    assert.equal(pushed.kind, 'built')
    assert.deepEqual(
      pushed.refit!.staleReferrers.map((d) => d.digest),
      [attached.descriptor.digest],
    )
    assert.equal(pushed.refit!.from.digest, built.all.digest)
    assert.deepEqual(
      pushed.referrers!.map((d) => d.digest),
      [sbom.descriptor.digest],
      'the SBOM of the unchanged installer image came along',
    )
  })
})

describe('Harbor 1.10, which takes Docker images only (HAR-5, HAR-6)', () => {
  test('Docker images: built as no-index + docker-config and pushed, and relocated from plain distribution with those choices forced, both pulled back byte-identical and verified; as it is, the 500 stops the push and nothing falls back', async () => {
    // The hello-world installer in the Docker family: its blobs as they are, its manifest converted.
    const INSTALLER = 'example.com/ocibundle/hello-installer:1.0.0'
    const oci = await OciLayoutStore.open(join(dir.path, 'images'))
    const docker = await OciLayoutStore.open(join(dir.path, 'docker-images'), { create: true })
    try {
      const root = await oci.resolve(INSTALLER)
      await copy(oci, root.digest, docker, undefined)
      const converted = await convertGraph(oci, root, 'docker')
      for (const m of converted.created) await docker.push(m.desc, m.bytes)
      await docker.tag(converted.root, INSTALLER)
    } finally {
      await Promise.all([oci.close(), docker.close()])
    }
    const images = `ocidir://${join(dir.path, 'docker-images')}`
    const hello = 'bundles/hello-world/bundle.json'
    const forced = { indexFormat: 'no-index', configVariant: 'docker-config' } as const
    const forHarbor = await build(hello, `ocidir://${join(dir.path, 'harbor-built')}`, { ...options, images, autoUpdate: true, ...forced })
    const portable = await build(hello, `ocidir://${join(dir.path, 'docker-built')}`, { ...options, images, autoUpdate: true })
    const plain = await publish(portable.reference, `${reg.host}/plain/docker-hello`, options)
    const proxy = await startQuirkProxy(reg, 'harbor-1.10')
    try {
      const pushed = await publish(forHarbor.reference, `${proxy.host}/harbor/from-layout`, options)
      assert.equal(pushed.kind, 'copied')
      assert.equal(pushed.digest, forHarbor.digest)
      await pullAndVerify(pushed.reference, forHarbor.configBlob.digest, 'harbor-from-layout', 1)

      const relocated = await publish(plain.reference, `${proxy.host}/harbor/relocated`, { ...options, ...forced })
      assert.equal(relocated.kind, 'built')
      const refit = (relocated as BundleBuilt).refit!
      assert.equal(refit.from.digest, portable.digest)
      assert.deepEqual(refit.to.representation, { index: 'no-index', config: 'docker-config', shape: 'portable' })
      assert.match(refit.reasons.join('\n'), /--index-format no-index was asked for; the bundle is published as oci-index/)
      assert.equal((relocated as BundleBuilt).configBlob.digest, portable.configBlob.digest, 'bundle.json keeps its bytes')
      await pullAndVerify(relocated.reference, portable.configBlob.digest, 'harbor-relocated', 1)

      await assert.rejects(publish(plain.reference, `${proxy.host}/harbor/as-is`, options), (err) => {
        assert.ok(!(err instanceof RefitNeededError))
        assert.match(messageOf(err), /500/)
        return true
      })
    } finally {
      await proxy.stop()
    }
  })
})
