/**
 * Both example bundles through the built CLI against every registry behaviour the quirk proxy
 * emulates (test/helpers/registry/quirk-proxy.ts): push (no saved report: the fallback tiers
 * find the representation, and the output says which fallbacks were taken), pull with every
 * image (bundle.json byte for byte the published config blob, every blob of the image layout
 * hashing to its name), inspect. Then, with a saved `registry check` report, a push that makes
 * no failed request; the actionable errors (missing ECR repository, Quay's allow-list, an
 * immutable tag, a multi-platform image where there is no index); conversion to the Docker
 * family where GCR refuses a mixed list; and the first-choice representation on plain
 * distribution without a single failed request.
 *
 * "No failed request" (FAILED below): no answer of status 400 or more, except 404 to a HEAD,
 * the existence checks a push makes before uploading (is the blob, the manifest, the bundle tag
 * already there?). Where manifests are kept under derived tags those checks ask by tag, so on
 * GitHub Packages, which answers 404 to every manifest read by digest, no such read is sent either.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { probeRegistry } from '../../src/compat/probes.js'
import { saveReport } from '../../src/compat/report-cache.js'
import { RegistryClient } from '../../src/registry/http/client.js'
import { backoffPolicy } from '../../src/registry/http/retry.js'
import { json, runCli, type CliResult } from '../helpers/cli.js'
import { startFaultProxy, type ProxyRequestRecord } from '../helpers/registry/fault-proxy.js'
import { startQuirkProxy, type QuirkProfileName, type QuirkProxy } from '../helpers/registry/quirk-proxy.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`
const BUNDLES = { hello: 'bundles/hello-world/bundle.json', shop: 'bundles/shop/bundle.json' } as const
type BundleName = keyof typeof BUNDLES
const WEB = 'example.com/ocibundle/shop-web:2.3.1'

interface Attempt {
  step: string
  id: string
  image?: string
  error?: string
  skipped?: string
}
interface Pushed {
  digest: string
  tag: string
  configBlob: { digest: string }
  representation: { index: string; config: string; shape: string }
  manifestRefs: string
  plan: { source: string; reasons: string[] }
  attempts: Attempt[]
  changes: Array<{ image: string; field: string; to: string | number; reason?: string }>
  relocationMap: Record<string, string>
}

/** What the fallback tiers must arrive at on each profile, and the refusals on the way (`step id`). */
interface Expected {
  index: string
  config: string
  manifestRefs: 'digest' | 'deterministic-tag'
  /** Attempts of a push of hello-world that were refused, or skipped as known to be refused (`step id`). */
  refused: string[]
  /** Extra arguments for the shop bundle (nexus: one platform of the multi-platform image). */
  shopArgs?: string[]
  /** The shop's web image is converted (a Docker manifest list instead of its OCI index). */
  webConverted?: boolean
}

/**
 * The profiles that emulate how a registry takes bundles: `referrers-api` and `gitlab` are about
 * referrers (test/cli/artifacts.test.ts); `harbor-1.10` takes no OCI image and `artifactory-2025`
 * refuses only bundles with components, so the example bundles fare differently there
 * (test/publish/refit.test.ts publishes to every profile).
 */
type BundleProfile = Exclude<QuirkProfileName, 'referrers-api' | 'gitlab' | 'harbor-1.10' | 'artifactory-2025'>

const EXPECTED: Record<BundleProfile, Expected> = {
  'dockerhub-2019': {
    index: 'docker-manifest-list',
    config: 'oci-image-config',
    manifestRefs: 'digest',
    refused: ['config cnab-config', 'index oci-index'],
    webConverted: true,
  },
  ecr: { index: 'oci-index', config: 'cnab-config', manifestRefs: 'digest', refused: [] },
  'ecr-2019': { index: 'oci-index', config: 'cnab-config', manifestRefs: 'deterministic-tag', refused: ['manifest-refs digest'] },
  gcr: { index: 'oci-index', config: 'cnab-config', manifestRefs: 'digest', refused: [] },
  quay: { index: 'oci-index', config: 'oci-image-config', manifestRefs: 'digest', refused: ['config cnab-config'] },
  // A refused Docker list of OCI images does not say whether the format or the mix was refused, so the
  // conversion is tried once before going without index.
  'nexus-2020': {
    index: 'no-index',
    config: 'cnab-config',
    manifestRefs: 'digest',
    refused: ['index oci-index', 'index docker-manifest-list', 'index docker-manifest-list, images converted'],
    shopArgs: ['--platform', 'linux/amd64'],
  },
  ghcr: { index: 'oci-index', config: 'cnab-config', manifestRefs: 'digest', refused: [] },
  'github-packages-2020': {
    index: 'oci-index',
    config: 'cnab-config',
    manifestRefs: 'deterministic-tag',
    refused: ['manifest-refs digest'],
  },
  'tag-required': { index: 'oci-index', config: 'cnab-config', manifestRefs: 'deterministic-tag', refused: ['manifest-refs digest'] },
  acr: { index: 'oci-index', config: 'cnab-config', manifestRefs: 'digest', refused: [] },
}

/** Requests answered 400 or more, apart from 404 to HEAD (existence checks), as `METHOD path status`. */
const FAILED = (requests: readonly ProxyRequestRecord[]): string[] =>
  requests
    .filter((r) => r.status >= 400 && !(r.method === 'HEAD' && r.status === 404))
    .map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status}`)

let dir: TempDir
let images: string
let registry: RunningRegistry
let client: RegistryClient
/** XDG_CACHE_HOME without any saved report. */
let noReports: string

before(async () => {
  dir = await makeTempDir('profiles-cli-')
  images = join(dir.path, 'images')
  noReports = join(dir.path, 'no-reports')
  await mkdir(noReports)
  ;[registry] = await Promise.all([startRegistry('plain'), makeExampleImages(images)])
  client = new RegistryClient({ retry: backoffPolicy({ baseMs: 1, maxDelayMs: 20 }) })
})
after(async () => {
  await client?.close()
  await registry?.stop()
  await dir?.cleanup()
})

/** The CLI with its own home and the given cache directory (where saved reports are looked for). */
function cli(args: string[], cache = noReports): Promise<CliResult> {
  return runCli(args, { env: { HOME: join(dir.path, 'home'), DOCKER_CONFIG: join(dir.path, 'docker'), XDG_CACHE_HOME: cache } })
}

async function push(file: string, ref: string, extra: string[] = [], cache?: string): Promise<{ run: CliResult; pushed: Pushed }> {
  const run = await cli(['push', '--json', file, ref, '--images', `ocidir://${images}`, '--auto-update', ...extra], cache)
  assert.equal(run.code, 0, `push ${ref}: ${run.stdout}${run.stderr}`)
  return { run, pushed: json<Pushed>(run).result }
}

/** Pulls `ref` with every image and checks it against the push: bundle.json bytes, relocation map, every image and blob. */
async function pullAndVerify(ref: string, pushed: Pushed, out: string): Promise<{ index: string }> {
  const run = await cli(['pull', '--json', ref, '--output', out, '--with-images'])
  assert.equal(run.code, 0, `pull ${ref}: ${run.stdout}${run.stderr}`)
  const pulled = json<{
    digest: string
    representation: { index: string }
    relocationMap: Record<string, string>
    images: { manifests: Record<string, { digest: string }> }
  }>(run).result
  assert.equal(pulled.digest, pushed.digest)
  const bundleBytes = await readFile(join(out, 'bundle.json'))
  assert.equal(sha256(bundleBytes), pushed.configBlob.digest, 'bundle.json is the published config blob, byte for byte')
  assert.deepEqual(pulled.relocationMap, pushed.relocationMap)
  const bundle = JSON.parse(bundleBytes.toString('utf8')) as {
    invocationImages: Array<{ image: string; contentDigest: string }>
    images?: Record<string, { image: string; contentDigest: string }>
  }
  const pinned = [...bundle.invocationImages, ...Object.values(bundle.images ?? {})]
  for (const image of pinned)
    assert.equal(pulled.images.manifests[image.image]!.digest, image.contentDigest, `${image.image} is the manifest bundle.json pins`)
  const layout = join(out, 'artifacts', 'layout')
  const blobs = await readdir(join(layout, 'blobs', 'sha256'))
  for (const name of blobs) assert.equal(sha256(await readFile(join(layout, 'blobs', 'sha256', name))), `sha256:${name}`)
  for (const image of pinned) assert.ok(blobs.includes(image.contentDigest.slice('sha256:'.length)), `${image.image} is in the layout`)
  return pulled.representation
}

const attemptKeys = (pushed: Pushed, which: 'error' | 'skipped'): string[] =>
  pushed.attempts.filter((a) => a[which] !== undefined).map((a) => `${a.step} ${a.id}`)

describe('every registry profile, both example bundles', { concurrency: 4 }, () => {
  for (const name of Object.keys(EXPECTED) as BundleProfile[]) {
    describe(name, { concurrency: 1 }, () => {
      const expected = EXPECTED[name]
      let proxy: QuirkProxy
      const repo = (bundle: string): string => `${name}/${bundle}`
      const ref = (bundle: string, tag: string): string => `${proxy.host}/${repo(bundle)}:${tag}`
      const pushes = new Map<BundleName, Pushed>()
      before(async () => {
        proxy = await startQuirkProxy(registry, name)
        for (const bundle of ['hello', 'shop', 'planned', 'probe']) proxy.createRepository(repo(bundle))
      })
      after(() => proxy?.stop())

      for (const bundle of ['hello', 'shop'] as const) {
        test(`${bundle}: push finds the representation by falling back, and says so`, async () => {
          const extra = bundle === 'shop' ? (expected.shopArgs ?? []) : []
          const { pushed } = await push(BUNDLES[bundle], ref(bundle, 'v1'), extra)
          pushes.set(bundle, pushed)
          assert.deepEqual(
            { ...pushed.representation, manifestRefs: pushed.manifestRefs, source: pushed.plan.source },
            { index: expected.index, config: expected.config, shape: 'portable', manifestRefs: expected.manifestRefs, source: 'tiers' },
          )
          const refusedWeb = bundle === 'shop' && expected.webConverted ? ['image-index oci-index'] : []
          // What the image's tiers learned (Docker Hub: no OCI index) the bundle's tiers skip.
          assert.deepEqual(
            [...attemptKeys(pushed, 'error'), ...attemptKeys(pushed, 'skipped')].sort(),
            [...expected.refused, ...refusedWeb].sort(),
          )
          const converted = pushed.changes.filter((c) => c.reason !== undefined)
          assert.deepEqual(
            converted.map((c) => `${c.image} ${c.field}`),
            refusedWeb.length > 0 ? [`${WEB} contentDigest`, `${WEB} size`, `${WEB} mediaType`] : [],
          )
          if (refusedWeb.length > 0) assert.equal(converted[2]!.to, 'application/vnd.docker.distribution.manifest.list.v2+json')

          // The human output, of the same bundle pushed under another tag: the same fallbacks, said in words.
          const human = await cli([
            'push',
            BUNDLES[bundle],
            ref(bundle, 'human'),
            '--images',
            `ocidir://${images}`,
            '--auto-update',
            ...extra,
          ])
          assert.equal(human.code, 0, human.stderr)
          assert.match(human.stdout, new RegExp(`representation  ${expected.index} \\+ ${expected.config} \\(portable\\)`))
          for (const refused of expected.refused)
            assert.match(human.stdout, new RegExp(`\\n  (fallback|skipped)  +${refused}`), `the output reports ${refused}`)
        })

        test(`${bundle}: pull gives back bundle.json byte for byte and every image verified`, async () => {
          const pushed = pushes.get(bundle)
          assert.ok(pushed, 'pushed by the test before')
          const representation = await pullAndVerify(ref(bundle, 'v1'), pushed, join(dir.path, `pulled-${name}-${bundle}`))
          assert.equal(representation.index, expected.index)
        })

        test(`${bundle}: inspect reads it`, async () => {
          const pushed = pushes.get(bundle)
          assert.ok(pushed, 'pushed by the test before')
          const inspected = await cli(['inspect', '--json', ref(bundle, 'v1')])
          assert.equal(inspected.code, 0, inspected.stdout + inspected.stderr)
          const result = json<{ digest: string; images: Array<{ image: string; digest: string; relocated: string }> }>(inspected).result
          assert.equal(result.digest, pushed.digest)
          for (const image of result.images) assert.equal(image.relocated, pushed.relocationMap[image.image])
        })
      }

      test('with a saved `registry check` report, the push chooses up front and makes no failed request', async () => {
        const cache = join(dir.path, `reports-${name}`)
        const report = await probeRegistry(client, { registry: proxy.host, repository: repo('probe') })
        await saveReport(report, { env: { XDG_CACHE_HOME: cache } })
        const from = proxy.proxy.requests.length
        const run = await cli(
          ['push', BUNDLES.shop, ref('planned', 'v1'), '--images', `ocidir://${images}`, '--auto-update', ...(expected.shopArgs ?? [])],
          cache,
        )
        assert.equal(run.code, 0, run.stderr)
        assert.deepEqual(FAILED(proxy.proxy.requests.slice(from)), [])
        assert.match(run.stdout, /chosen {10}up front, from the saved `registry check` report/)
        assert.match(run.stdout, new RegExp(`representation  ${expected.index} \\+ ${expected.config} \\(portable\\)`))
        if (expected.manifestRefs === 'deterministic-tag') {
          assert.deepEqual(
            proxy.proxy.requests
              .slice(from)
              .filter((r) => r.path.includes('/manifests/sha256:'))
              .map((r) => `${r.method} ${r.path}`),
            [],
            'manifests are read and written by tag only',
          )
        }
      })
    })
  }
})

describe('actionable errors', () => {
  test('ECR: a repository that was not created → "create it first", exit 6', async () => {
    const proxy = await startQuirkProxy(registry, 'ecr')
    try {
      const run = await cli(['push', BUNDLES.hello, `${proxy.host}/acme/missing:v1`, '--images', `ocidir://${images}`, '--auto-update'])
      assert.equal(run.code, 6, run.stderr)
      assert.match(
        run.stderr,
        new RegExp(
          `Error: the repository acme/missing does not exist on ${proxy.host}; create it first \\(ECR does not create repositories on push\\)`,
        ),
      )
      assert.match(run.stderr, /aws ecr create-repository --repository-name acme\/missing/)
      assert.ok(
        proxy.proxy.requests.every((r) => r.method !== 'PUT' || !r.path.includes('/manifests/')),
        'no representation was tried',
      )
    } finally {
      await proxy.stop()
    }
  })

  test('Quay with --no-fallback: names the config type to allow and the variant to use, exit 4', async () => {
    const proxy = await startQuirkProxy(registry, 'quay')
    try {
      const run = await cli([
        'push',
        '--no-fallback',
        BUNDLES.hello,
        `${proxy.host}/acme/strict:v1`,
        '--images',
        `ocidir://${images}`,
        '--auto-update',
      ])
      assert.equal(run.code, 4, run.stderr)
      assert.match(run.stderr, /add application\/vnd\.cnab\.config\.v1\+json to its allow-list \(Quay: ALLOWED_OCI_ARTIFACT_TYPES/)
      assert.match(run.stderr, /--config-variant oci-image-config/)
    } finally {
      await proxy.stop()
    }
  })

  test('ECR 2019 with --no-fallback: a refused push by digest says to keep manifests under tags', async () => {
    const proxy = await startQuirkProxy(registry, 'ecr-2019')
    proxy.createRepository('acme/untagged')
    try {
      const run = await cli([
        'push',
        '--no-fallback',
        BUNDLES.hello,
        `${proxy.host}/acme/untagged:v1`,
        '--images',
        `ocidir://${images}`,
        '--auto-update',
      ])
      assert.notEqual(run.code, 0)
      assert.match(run.stderr, /answered 405/)
      assert.match(run.stderr, /the registry refuses manifests pushed without a tag: publish with --manifest-refs deterministic-tag/)
    } finally {
      await proxy.stop()
    }
  })

  test('an immutable tag is said to be one', async () => {
    const proxy = await startQuirkProxy(registry, 'ecr')
    proxy.createRepository('acme/immutable')
    try {
      await push(BUNDLES.hello, `${proxy.host}/acme/immutable:v1`)
      // ECR's answer to a PUT of an existing tag in a repository with immutable tags.
      const message =
        "The image tag 'v1' already exists in the 'acme/immutable' repository and cannot be overwritten because the repository is immutable."
      proxy.proxy.addFault({
        match: (r) => r.method === 'PUT' && r.path.endsWith('/manifests/v1'),
        action: { status: 400, body: { errors: [{ code: 'TAG_INVALID', message }] } },
      })
      const run = await cli([
        'push',
        '--force',
        BUNDLES.shop,
        `${proxy.host}/acme/immutable:v1`,
        '--images',
        `ocidir://${images}`,
        '--auto-update',
      ])
      assert.notEqual(run.code, 0)
      assert.match(run.stderr, /Error: the tag "v1" is immutable on this registry: it already exists and cannot be overwritten/)
      assert.match(run.stderr, /publish under a new tag/)
    } finally {
      await proxy.stop()
    }
  })

  test('Nexus: a multi-platform image explains --platform, with or without a saved report, exit 4', async () => {
    const proxy = await startQuirkProxy(registry, 'nexus-2020')
    try {
      const cache = join(dir.path, 'reports-nexus-platform')
      await saveReport(await probeRegistry(client, { registry: proxy.host, repository: 'acme/probe' }), { env: { XDG_CACHE_HOME: cache } })
      for (const reports of [noReports, cache]) {
        const from = proxy.proxy.requests.length
        const run = await cli(
          ['push', BUNDLES.shop, `${proxy.host}/acme/multi:v1`, '--images', `ocidir://${images}`, '--auto-update'],
          reports,
        )
        assert.equal(run.code, 4, run.stderr)
        assert.match(run.stderr, new RegExp(`image "${WEB}" is a multi-platform image \\(linux/amd64, linux/arm64/v8\\)`))
        assert.match(run.stderr, /--platform linux\/amd64/)
        if (reports === cache)
          assert.deepEqual(
            proxy.proxy.requests.slice(from).filter((r) => r.method !== 'GET' && r.method !== 'HEAD'),
            [],
            'known up front: nothing was uploaded',
          )
      }
    } finally {
      await proxy.stop()
    }
  })
})

test('GCR with a Docker manifest list forced: the images are converted to Docker schema 2 and read back', async () => {
  const proxy = await startQuirkProxy(registry, 'gcr')
  try {
    const { pushed, run } = await push(BUNDLES.shop, `${proxy.host}/acme/docker-list:v1`, ['--index-format', 'docker-manifest-list'])
    assert.deepEqual(pushed.representation, { index: 'docker-manifest-list', config: 'docker-config', shape: 'portable' })
    assert.deepEqual(attemptKeys(pushed, 'error'), ['index docker-manifest-list'])
    const converted = new Set(
      pushed.changes.filter((c) => c.reason !== undefined && c.field === 'mediaType').map((c) => `${c.image} ${c.to}`),
    )
    assert.equal(converted.size, 4, run.stdout)
    assert.ok(converted.has(`${WEB} application/vnd.docker.distribution.manifest.list.v2+json`))
    const out = join(dir.path, 'pulled-gcr-docker')
    const representation = await pullAndVerify(`${proxy.host}/acme/docker-list:v1`, pushed, out)
    assert.equal(representation.index, 'docker-manifest-list')
    const bundle = JSON.parse(await readFile(join(out, 'bundle.json'), 'utf8')) as { images: Record<string, { mediaType: string }> }
    assert.equal(bundle.images.api!.mediaType, 'application/vnd.docker.distribution.manifest.v2+json')
    const again = await push(BUNDLES.shop, `${proxy.host}/acme/docker-list:v1`, ['--index-format', 'docker-manifest-list'])
    assert.deepEqual(
      [again.pushed.digest, json<{ unchanged: boolean }>(again.run).result.unchanged],
      [pushed.digest, true],
      'publishing it again changes nothing',
    )
  } finally {
    await proxy.stop()
  }
})

test('plain distribution: the first-choice representation, without a single failed request', async () => {
  const proxy = await startFaultProxy(registry)
  try {
    const { pushed } = await push(BUNDLES.shop, `${proxy.host}/plain/shop:v1`)
    assert.deepEqual(
      { ...pushed.representation, manifestRefs: pushed.manifestRefs },
      { index: 'oci-index', config: 'cnab-config', shape: 'portable', manifestRefs: 'digest' },
    )
    assert.deepEqual(attemptKeys(pushed, 'error'), [])
    assert.deepEqual(FAILED(proxy.requests), [])
    await pullAndVerify(`${proxy.host}/plain/shop:v1`, pushed, join(dir.path, 'pulled-plain'))
  } finally {
    await proxy.stop()
  }
})
