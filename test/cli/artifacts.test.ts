/**
 * Artifacts and referrers end to end: the built CLI (`artifact push`, `artifact pull`, `attach`,
 * `discover`, and `copy`, `push`, `pull` carrying referrers) against the real distribution
 * registry, which has no referrers API (the `sha256-<hex>` tag schema is used), and against the
 * same registry behind the `referrers-api` quirk profile, which emulates one. Signatures written
 * by other tools are made here with raw HTTP (a cosign-style and a notation-style referrer).
 * The `gitlab` profile answers `sha256-<hex>` with the subject itself (GITLAB-1); the
 * `dockerhub-2019` profile refuses custom config types, so artifacts fall back to another form.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { chmod, lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { after, before, describe, test } from 'node:test'
import { tarBytes } from '../../src/util/tar.js'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { packDirectory } from '../../src/publish/artifact-files.js'
import { json, jsonResult, runCli, type CliResult } from '../helpers/cli.js'
import { pushBlob, pushManifest, registryRequest } from '../helpers/registry/raw-http.js'
import { startQuirkProxy, type QuirkProxy } from '../helpers/registry/quirk-proxy.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const sha256 = (b: Uint8Array | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`
const EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const COSIGN = 'application/vnd.dev.cosign.artifact.sig.v1+json'
const NOTATION = 'application/vnd.cncf.notary.signature'
const SBOM = 'application/spdx+json'

interface Node {
  digest: string
  mediaType: string
  artifactType?: string
  size: number
  annotations?: Record<string, string>
  referrers: Node[]
}
interface Pushed {
  reference: string
  descriptor: { digest: string; size: number }
  form: string
  attempts: Array<{ id: string; outcome: string }>
  recordedBy?: string
  referrersTag?: string
  subject?: { digest: string }
}

let dir: TempDir
let registry: RunningRegistry
let api: QuirkProxy
let gitlab: QuirkProxy
let hub2019: QuirkProxy

before(async () => {
  dir = await makeTempDir('artifacts-cli-')
  registry = await startRegistry('plain')
  ;[api, gitlab, hub2019] = await Promise.all([
    startQuirkProxy(registry, 'referrers-api'),
    startQuirkProxy(registry, 'gitlab'),
    startQuirkProxy(registry, 'dockerhub-2019'),
  ])
})
after(async () => {
  await Promise.all([api?.stop(), gitlab?.stop(), hub2019?.stop()])
  await registry?.stop()
  await dir?.cleanup()
})

/** The CLI with its own home, Docker config and (empty) report cache. */
function cli(args: string[]): Promise<CliResult> {
  return runCli(args, {
    env: { HOME: join(dir.path, 'home'), DOCKER_CONFIG: join(dir.path, 'docker'), XDG_CACHE_HOME: join(dir.path, 'cache') },
  })
}

const ok = <T>(args: string[]): Promise<T> => jsonResult<T>(cli, args)

let counter = 0
function fresh(prefix: string): string {
  return `${prefix}/r${++counter}-${randomBytes(3).toString('hex')}`
}

async function files(base: string, tree: Record<string, string | Buffer>): Promise<void> {
  for (const [name, content] of Object.entries(tree)) {
    await mkdir(join(base, name, '..'), { recursive: true })
    await writeFile(join(base, name), content)
  }
}

/** Every file under `root` (relative path → bytes, or `-> target` for links), for comparing trees. */
async function tree(root: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const name of (await readdir(join(root, prefix))).sort()) {
    const rel = prefix === '' ? name : `${prefix}/${name}`
    const info = await lstat(join(root, rel))
    if (info.isSymbolicLink()) out[rel] = `-> ${await readlink(join(root, rel))}`
    else if (info.isDirectory()) Object.assign(out, await tree(root, rel))
    else out[rel] = `${(info.mode & 0o111) !== 0 ? 'x ' : ''}${sha256(await readFile(join(root, rel)))}`
  }
  return out
}

/** A one-layer OCI image pushed with raw HTTP; returns its manifest digest and size. */
async function rawImage(host: { url: string }, repo: string, label: string): Promise<{ digest: string; size: number }> {
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, label })
  const layer = `layer of ${label}`
  await pushBlob(host, repo, config)
  await pushBlob(host, repo, layer)
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
  })
  await pushManifest(host, repo, 'v1', manifest, OCI_MANIFEST)
  return { digest: sha256(manifest), size: manifest.length }
}

/**
 * Signatures as other tools write them, with raw HTTP: a cosign-style referrer (cosign's OCI
 * 1.1 mode: artifactType application/vnd.dev.cosign.artifact.sig.v1+json, a simplesigning
 * layer with the signature annotation) and a notation-style one (application/vnd.cncf.notary.signature,
 * a JWS envelope layer); both listed in the subject's sha256-<hex> index as those tools do
 * where there is no referrers API; and cosign's legacy `sha256-<hex>.sig` tag.
 */
async function foreignSignatures(repo: string, subject: { digest: string; size: number }): Promise<{ cosign: string; notation: string }> {
  await pushBlob(registry, repo, '{}')
  const push = async (artifactType: string, layerType: string, payload: string, annotations: Record<string, string>): Promise<string> => {
    await pushBlob(registry, repo, payload)
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: EMPTY_DIGEST, size: 2 },
      layers: [{ mediaType: layerType, digest: sha256(payload), size: payload.length, annotations }],
      subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.size },
      annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
    })
    return pushManifest(registry, repo, sha256(manifest), manifest, OCI_MANIFEST)
  }
  const payload = JSON.stringify({ critical: { image: { 'docker-manifest-digest': subject.digest } } })
  const cosign = await push(COSIGN, 'application/vnd.dev.cosign.simplesigning.v1+json', payload, {
    'dev.cosignproject.cosign/signature': 'MEUCIQ…',
  })
  const notation = await push(NOTATION, 'application/jose+json', '{"payload":"e30","signatures":[]}', {
    'io.cncf.notary.x509chain.thumbprint#S256': '["ab12"]',
  })
  const entry = async (digest: string, artifactType: string): Promise<object> => {
    const res = await registryRequest(registry, `/v2/${repo}/manifests/${digest}`, { headers: { accept: OCI_MANIFEST } })
    return { mediaType: OCI_MANIFEST, digest, size: res.body.length, artifactType }
  }
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [await entry(cosign, COSIGN), await entry(notation, NOTATION)],
  })
  await pushManifest(registry, repo, subject.digest.replace(':', '-'), index, OCI_INDEX)
  // cosign's legacy scheme: an image manifest under the tag sha256-<hex>.sig, no subject.
  await pushManifest(
    registry,
    repo,
    `${subject.digest.replace(':', '-')}.sig`,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: EMPTY_DIGEST, size: 2 },
      layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: sha256(payload), size: payload.length }],
    }),
    OCI_MANIFEST,
  )
  return { cosign, notation }
}

const digestsOf = (nodes: readonly Node[]): string[] => nodes.map((n) => n.digest).sort()

for (const target of [
  { name: 'distribution 2.8 (no referrers API: sha256-<hex> tag schema)', host: () => registry.host, recorded: 'tag-schema' },
  { name: 'a registry with the referrers API (emulated)', host: () => api.host, recorded: 'registry' },
]) {
  describe(`artifacts and referrers on ${target.name}`, () => {
    test('artifact push → pull: files and a directory come back byte-identical; the same input gives the same digest', async () => {
      const src = join(dir.path, fresh('src'))
      await files(src, { 'notes.txt': randomBytes(3000), 'policies/a.rego': 'package a', 'policies/sub/b.rego': 'package b' })
      await chmod(join(src, 'policies/sub/b.rego'), 0o755)
      await symlink('a.rego', join(src, 'policies/link'))
      const ref = `${target.host()}/${fresh('artifacts')}:v1`
      const args = [
        'artifact',
        'push',
        ref,
        join(src, 'notes.txt'),
        join(src, 'policies'),
        '--artifact-type',
        'application/vnd.example.policy.v1',
      ]
      const first = await ok<Pushed>(args)
      const second = await ok<Pushed>(args)
      assert.equal(second.descriptor.digest, first.descriptor.digest, 'deterministic')
      assert.equal(first.form, 'artifact-type')
      const manifest = JSON.parse((await cli(['manifest', 'get', ref])).stdout) as {
        artifactType: string
        config: { mediaType: string; digest: string; size: number }
        layers: Array<{ mediaType: string; annotations: Record<string, string> }>
      }
      assert.equal(manifest.artifactType, 'application/vnd.example.policy.v1')
      assert.deepEqual(manifest.config, { mediaType: 'application/vnd.oci.empty.v1+json', digest: EMPTY_DIGEST, size: 2 })
      assert.deepEqual(
        manifest.layers.map((l) => [
          l.mediaType,
          l.annotations['org.opencontainers.image.title'],
          l.annotations['io.deis.oras.content.unpack'],
        ]),
        [
          ['application/vnd.oci.image.layer.v1.tar', 'notes.txt', undefined],
          ['application/vnd.oci.image.layer.v1.tar+gzip', 'policies', 'true'],
        ],
      )
      const out = join(dir.path, fresh('out'))
      const pulled = await ok<{ files: Array<{ title: string; directory: boolean }> }>(['artifact', 'pull', ref, '--output', out])
      assert.deepEqual(
        pulled.files.map((f) => [f.title, f.directory]),
        [
          ['notes.txt', false],
          ['policies', true],
        ],
      )
      assert.deepEqual(await tree(out), await tree(src))
    })

    test('attach → discover: a signature, an SBOM and a signature of the SBOM, as a tree and as JSON', async () => {
      const repo = fresh('attach')
      const subject = `${target.host()}/${repo}:v1`
      const image = await rawImage(registry, repo, 'attach')
      const work = join(dir.path, fresh('files'))
      await files(work, { 'app.sig': 'signature bytes', 'sbom.spdx.json': '{"spdxVersion":"SPDX-2.3"}', 'sbom.sig': 'sbom signature' })
      const sig = await ok<Pushed>(['attach', subject, join(work, 'app.sig'), '--artifact-type', COSIGN, '--annotation', 'org.example=1'])
      assert.equal(sig.recordedBy, target.recorded)
      if (target.recorded === 'tag-schema') assert.equal(sig.referrersTag, image.digest.replace(':', '-'))
      const sbom = await ok<Pushed>(['attach', subject, `${join(work, 'sbom.spdx.json')}:${SBOM}`, '--artifact-type', SBOM])
      await ok<Pushed>(['attach', `${target.host()}/${repo}@${sbom.descriptor.digest}`, join(work, 'sbom.sig'), '--artifact-type', COSIGN])

      const found = await ok<{ reference: string; referrers: Node[] }>(['discover', subject])
      assert.equal(found.reference, `${target.host()}/${repo}@${image.digest}`)
      assert.deepEqual(digestsOf(found.referrers), [sig.descriptor.digest, sbom.descriptor.digest].sort())
      const sigNode = found.referrers.find((n) => n.digest === sig.descriptor.digest)!
      assert.deepEqual(
        { ...sigNode, referrers: sigNode.referrers.length },
        {
          digest: sig.descriptor.digest,
          mediaType: OCI_MANIFEST,
          artifactType: COSIGN,
          size: sig.descriptor.size,
          annotations: { 'org.example': '1' },
          referrers: 0,
        },
      )
      assert.equal(found.referrers.find((n) => n.digest === sbom.descriptor.digest)!.referrers[0]!.artifactType, COSIGN)
      const onlySboms = await ok<{ referrers: Node[] }>(['discover', subject, '--artifact-type', SBOM, '--depth', '1'])
      assert.deepEqual(
        onlySboms.referrers.map((n) => [n.digest, n.referrers.length]),
        [[sbom.descriptor.digest, 0]],
      )
      const text = (await cli(['discover', subject])).stdout
      assert.match(text, new RegExp(`^[├└]── ${SBOM.replace('+', '\\+')}  ${sbom.descriptor.digest}$`, 'm'))
      assert.match(text, new RegExp(`^[│ ]   └── ${COSIGN.replace('+', '\\+')}  sha256:[0-9a-f]{64}$`, 'm'))
    })

    test('two attaches at once (two processes) both survive', async () => {
      const repo = fresh('concurrent')
      await rawImage(registry, repo, 'concurrent')
      const subject = `${target.host()}/${repo}:v1`
      const work = join(dir.path, fresh('files'))
      await files(work, { 'one.sig': 'one', 'two.sig': 'two' })
      const [one, two] = await Promise.all(
        ['one.sig', 'two.sig'].map((f) => ok<Pushed>(['attach', subject, join(work, f), '--artifact-type', COSIGN])),
      )
      const found = await ok<{ referrers: Node[] }>(['discover', subject])
      assert.deepEqual(digestsOf(found.referrers), [one!.descriptor.digest, two!.descriptor.digest].sort())
    })
  })
}

describe('signatures written by other tools', () => {
  test('are discovered and copied registry → layout → registry with their digests; cosign legacy .sig tags are not', async () => {
    const repo = fresh('signed')
    const image = await rawImage(registry, repo, 'signed')
    const { cosign, notation } = await foreignSignatures(repo, image)
    const found = await ok<{ referrers: Node[] }>(['discover', `${registry.host}/${repo}:v1`])
    assert.deepEqual(
      found.referrers.map((n) => [n.digest, n.artifactType]).sort(),
      [
        [cosign, COSIGN],
        [notation, NOTATION],
      ].sort(),
    )
    const layout = `ocidir://${join(dir.path, fresh('airgap'))}`
    const down = await ok<{ referrers: Node[] }>(['copy', `${registry.host}/${repo}:v1`, `${layout}:v1`])
    assert.deepEqual(digestsOf(down.referrers), [cosign, notation].sort())
    assert.deepEqual(digestsOf((await ok<{ referrers: Node[] }>(['discover', `${layout}:v1`])).referrers), [cosign, notation].sort())

    for (const host of [registry.host, api.host]) {
      const back = `${host}/${fresh('restored')}:v1`
      const up = await ok<{ descriptor: { digest: string }; referrers: Node[] }>(['copy', `${layout}:v1`, back])
      assert.equal(up.descriptor.digest, image.digest)
      assert.deepEqual(digestsOf(up.referrers), [cosign, notation].sort())
      const again = await ok<{ referrers: Node[] }>(['discover', back])
      assert.deepEqual(
        again.referrers.map((n) => [n.digest, n.artifactType]).sort(),
        [
          [cosign, COSIGN],
          [notation, NOTATION],
        ].sort(),
        `discovered at ${host}`,
      )
      const tags = await ok<{ tags: string[] }>(['tag', 'ls', back.replace(/:v1$/, '')])
      assert.ok(!tags.tags.some((t) => t.endsWith('.sig')), 'the legacy .sig tag is not a referrer and is not copied')
    }
  })
})

describe('bundles carry their referrers', () => {
  let images: string
  before(async () => {
    images = join(dir.path, 'images')
    await makeExampleImages(images)
  })

  test('a signed bundle relocated to another registry, taken into an air gap and back keeps every referrer and digest', async () => {
    const built = await ok<{ reference: string; digest: string }>([
      'build',
      'bundles/hello-world/bundle.json',
      '--images',
      `ocidir://${images}`,
      '--auto-update',
      '--output',
      `${registry.host}/${fresh('bundle')}`,
    ])
    const inspected = await ok<{ images: Array<{ digest: string }> }>(['inspect', built.reference])
    const work = join(dir.path, fresh('files'))
    await files(work, { 'bundle.sig': 'bundle signature', 'image.sbom': '{"spdxVersion":"SPDX-2.3"}' })
    const bundleSig = await ok<Pushed>(['attach', built.reference, join(work, 'bundle.sig'), '--artifact-type', COSIGN])
    const imageRef = built.reference.replace(/:[^:/]+$/, `@${inspected.images[0]!.digest}`)
    const imageSbom = await ok<Pushed>(['attach', imageRef, join(work, 'image.sbom'), '--artifact-type', SBOM])
    const expected = [bundleSig.descriptor.digest, imageSbom.descriptor.digest].sort()

    const relocated = `${api.host}/${fresh('relocated')}`
    const pushed = await ok<{ digest: string; reference: string; referrers: Node[] }>(['push', built.reference, relocated])
    assert.equal(pushed.digest, built.digest)
    assert.deepEqual(digestsOf(pushed.referrers), expected)
    assert.match((await cli(['push', built.reference, `${registry.host}/${fresh('relocated')}`])).stdout, /referrers +2 came along/)
    assert.deepEqual(digestsOf((await ok<{ referrers: Node[] }>(['discover', pushed.reference])).referrers), [bundleSig.descriptor.digest])

    const airgap = `ocidir://${join(dir.path, fresh('airgap'))}`
    await ok(['push', built.reference, `${airgap}:v1`])
    const back = await ok<{ digest: string; reference: string; referrers: Node[] }>([
      'push',
      `${airgap}:v1`,
      `${registry.host}/${fresh('back')}`,
    ])
    assert.equal(back.digest, built.digest)
    assert.deepEqual(digestsOf(back.referrers), expected)
    const none = await ok<{ referrers?: Node[] }>(['push', '--no-referrers', `${airgap}:v1`, `${registry.host}/${fresh('unsigned')}`])
    assert.equal(none.referrers, undefined)

    const out = join(dir.path, fresh('pulled'))
    const pulled = await ok<{ images: { layout: string; referrers: Node[] } }>(['pull', built.reference, '--output', out, '--with-images'])
    assert.deepEqual(digestsOf(pulled.images.referrers), expected)
    const inLayout = await ok<{ referrers: Node[] }>(['discover', `ocidir://${pulled.images.layout}@${inspected.images[0]!.digest}`])
    assert.deepEqual(digestsOf(inLayout.referrers), [imageSbom.descriptor.digest])
  })

  test('an image converted for the registry (Docker Hub 2019: no OCI index) is published unsigned, and the output names the signatures that no longer apply', async () => {
    const web = 'example.com/ocibundle/shop-web:2.3.1'
    const signed = join(dir.path, fresh('signed-images'))
    const webDigest = (await makeExampleImages(signed)).get(web)!.digest
    const work = join(dir.path, fresh('files'))
    await files(work, { 'web.sig': 'web signature' })
    const sig = await ok<Pushed>(['attach', `ocidir://${signed}@${webDigest}`, join(work, 'web.sig'), '--artifact-type', COSIGN])
    const args = [
      'push',
      'bundles/shop/bundle.json',
      `${hub2019.host}/${fresh('converted')}`,
      '--images',
      `ocidir://${signed}`,
      '--auto-update',
    ]
    const pushed = await ok<{ staleReferrers: Array<{ image: string; original: string; published: string; referrers: Node[] }> }>(args)
    assert.deepEqual(
      pushed.staleReferrers.map((s) => [s.image, s.original, s.referrers.map((r) => [r.digest, r.artifactType])]),
      [[web, sig.subject!.digest, [[sig.descriptor.digest, COSIGN]]]],
    )
    assert.notEqual(pushed.staleReferrers[0]!.published, pushed.staleReferrers[0]!.original)
    // Pushed again, the bundle is there already: nothing is written, and the signatures still do not apply.
    const text = (await cli(args)).stdout
    assert.match(text, /\(already there, nothing written\)/)
    assert.match(
      text,
      new RegExp(`not signed +${web}: ${COSIGN.replace('+', '\\+')} ${sig.descriptor.digest} over ${sig.subject!.digest} does not apply`),
    )
  })
})

describe('registries that need care', () => {
  test('GITLAB-1: where sha256-<hex> resolves to the subject itself, discover finds nothing and attach refuses', async () => {
    const repo = fresh('gitlab')
    const image = await rawImage(registry, repo, 'gitlab')
    const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, ...image }] })
    await pushManifest(registry, repo, 'multi', index, OCI_INDEX)
    const found = await ok<{ referrers: Node[] }>(['discover', `${gitlab.host}/${repo}:multi`])
    assert.deepEqual(found.referrers, [], 'not the index children')
    const work = join(dir.path, fresh('files'))
    await files(work, { 'a.sig': 'a' })
    const refused = await cli(['attach', '--json', `${gitlab.host}/${repo}:multi`, join(work, 'a.sig'), '--artifact-type', COSIGN])
    assert.notEqual(refused.code, 0)
    assert.match(json(refused).error!.message, /GITLAB-1/)
  })

  test('a registry that refuses the empty config and custom config types (Docker Hub 2019) takes the image-config form, and says so', async () => {
    const work = join(dir.path, fresh('files'))
    await files(work, { 'chart.tgz': randomBytes(100) })
    const ref = `${hub2019.host}/${fresh('hub')}:v1`
    const run = await cli(['artifact', 'push', ref, join(work, 'chart.tgz'), '--artifact-type', 'application/vnd.example.chart.v1'])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /form +image config, artifact type in an annotation/)
    assert.match(run.stdout, /fallback +artifact-type refused: 400 MANIFEST_INVALID/)
    assert.match(run.stdout, /fallback +config-media-type refused/)
    const out = join(dir.path, fresh('out'))
    const pulled = await ok<{ artifactType: string }>(['artifact', 'pull', ref, '-o', out])
    assert.equal(pulled.artifactType, 'application/vnd.example.chart.v1')
    assert.deepEqual(await readFile(join(out, 'chart.tgz')), await readFile(join(work, 'chart.tgz')))
    const strict = await cli([
      'artifact',
      'push',
      '--no-fallback',
      ref,
      join(work, 'chart.tgz'),
      '--artifact-type',
      'application/vnd.example.chart.v1',
    ])
    assert.notEqual(strict.code, 0)
  })
})

describe('artifact pull refuses hostile content', () => {
  /** Pushes an artifact whose one layer is `content`, titled `title`, with raw HTTP. */
  async function hostile(
    title: string,
    content: Buffer,
    annotations: Record<string, string> = {},
    mediaType = 'application/vnd.oci.image.layer.v1.tar',
  ): Promise<string> {
    const repo = fresh('hostile')
    await pushBlob(registry, repo, '{}')
    await pushBlob(registry, repo, content)
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: 'application/vnd.example.evil',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: EMPTY_DIGEST, size: 2 },
      layers: [
        {
          mediaType,
          digest: sha256(content),
          size: content.length,
          annotations: { 'org.opencontainers.image.title': title, ...annotations },
        },
      ],
    })
    await pushManifest(registry, repo, 'v1', manifest, OCI_MANIFEST)
    return `${registry.host}/${repo}:v1`
  }

  test('titles that are absolute, contain .. or go through a symbolic link: exit 3, nothing written', async () => {
    const outside = join(dir.path, fresh('outside'))
    await mkdir(outside, { recursive: true })
    for (const title of [join(outside, 'abs'), '../escaped', 'a/../../escaped', 'link/through']) {
      const out = join(dir.path, fresh('out'))
      await mkdir(out, { recursive: true })
      await symlink(outside, join(out, 'link'))
      const run = await cli(['artifact', 'pull', '--json', await hostile(title, Buffer.from('evil')), '-o', out])
      assert.equal(run.code, 3, `${title}: ${run.stdout}`)
      assert.equal(json(run).error!.code, 'ERR_UNSAFE_PATH')
      assert.deepEqual(await readdir(out), ['link'], `${title}: nothing written`)
    }
    assert.deepEqual(await readdir(outside), [])
  })

  test('a directory layer with an entry outside it, or a link leading out: exit 3, nothing written', async () => {
    const dotdot = gzipSync(tarBytes([{ path: 'd/../../escaped', type: 'file', content: Buffer.from('evil') }]))
    const linked = join(dir.path, fresh('linked'), 'd')
    await mkdir(linked, { recursive: true })
    await symlink('/etc', join(linked, 'etc'))
    const packed = join(dir.path, `packed-${++counter}.tgz`)
    await packDirectory(linked, packed)
    for (const content of [dotdot, await readFile(packed)]) {
      const out = join(dir.path, fresh('out'))
      const ref = await hostile('d', content, { 'io.deis.oras.content.unpack': 'true' }, 'application/vnd.oci.image.layer.v1.tar+gzip')
      const run = await cli(['artifact', 'pull', '--json', ref, '-o', out])
      assert.equal(run.code, 3, run.stdout)
      assert.deepEqual(await readdir(out), [], 'nothing written')
    }
  })

  test('an existing file is not overwritten without --force', async () => {
    const ref = await hostile('kept.txt', Buffer.from('new'))
    const out = join(dir.path, fresh('out'))
    await files(out, { 'kept.txt': 'old' })
    const run = await cli(['artifact', 'pull', '--json', ref, '-o', out])
    assert.equal(run.code, 1)
    assert.equal(json(run).error!.code, 'ERR_FILE_EXISTS')
    assert.equal(await readFile(join(out, 'kept.txt'), 'utf8'), 'old')
    await ok(['artifact', 'pull', ref, '-o', out, '--force'])
    assert.equal(await readFile(join(out, 'kept.txt'), 'utf8'), 'new')
  })
})
