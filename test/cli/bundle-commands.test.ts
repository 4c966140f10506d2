/**
 * The bundle commands end to end with the built CLI: build → inspect → push → pull → copy,
 * against the real distribution registry in every variant (plain, Basic auth, TLS with a
 * private CA, token auth), with skopeo reading what was published.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { json, jsonResult, ROOT, runCli } from '../helpers/cli.js'
import { freePort } from '../helpers/registry/ports.js'
import { startRegistry, type RegistryVariant, type RunningRegistry } from '../helpers/registry/server.js'
import { runSkopeo } from '../helpers/registry/skopeo.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`
const SHOP = 'bundles/shop/bundle.json'

let dir: TempDir
let images: string
before(async () => {
  dir = await makeTempDir('bundle-cli-')
  images = join(dir.path, 'images')
  await makeExampleImages(images)
})
after(() => dir.cleanup())

async function filesOf(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    out.set(relative(root, path), sha256(await readFile(path)))
  }
  return out
}

describe('build writes the same bundle on every run, offline', () => {
  test('building twice gives byte-identical layouts and the same bundle digest', async () => {
    const digests: string[] = []
    for (const name of ['one', 'two']) {
      const r = await runCli([
        'build',
        '--json',
        SHOP,
        '--images',
        `ocidir://${images}`,
        '--auto-update',
        '--output',
        `ocidir://${join(dir.path, name)}`,
      ])
      assert.equal(r.code, 0, r.stderr)
      digests.push(json<{ digest: string; tag: string }>(r).result.digest)
    }
    assert.equal(digests[0], digests[1])
    const [a, b] = [await filesOf(join(dir.path, 'one')), await filesOf(join(dir.path, 'two'))]
    assert.ok(a.size > 10)
    assert.deepEqual([...a].sort(), [...b].sort())
  })

  test('without --auto-update a bundle whose images are not pinned is refused, naming the image and field', async () => {
    const r = await runCli(['build', SHOP, '--images', `ocidir://${images}`, '--output', `ocidir://${join(dir.path, 'refused')}`])
    assert.equal(r.code, 3)
    assert.match(r.stderr, /shop-installer:2\.3\.1/)
    assert.match(r.stderr, /contentDigest/)
    assert.match(r.stderr, /--auto-update/)
  })

  test('plain paths need no ocidir://: build -o out writes a layout directory, never a registry', async () => {
    const r = await runCli(['build', '--json', join(ROOT, SHOP), '--images', images, '--auto-update', '-o', 'out'], { cwd: dir.path })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(json<{ reference: string }>(r).result.reference, 'ocidir://out:v2.3.1')
    const index = JSON.parse(await readFile(join(dir.path, 'out', 'index.json'), 'utf8')) as { manifests: unknown[] }
    assert.ok(index.manifests.length > 0)
  })

  test('verify, attach, discover, archive, artifact push and pull, and gc read plain paths as layouts too; a missing one is named', async () => {
    const ok = <T>(args: string[]): Promise<T> => jsonResult<T>((a) => runCli(a, { cwd: dir.path }), args)
    const built = await ok<{ digest: string }>(['build', join(ROOT, SHOP), '--images', images, '--auto-update', '-o', 'plain'])
    const verified = await ok<{ source: string; status: string; digest: string }>(['verify', 'plain:v2.3.1'])
    assert.deepEqual([verified.source, verified.status, verified.digest], ['ocidir://plain:v2.3.1', 'complete', built.digest])
    await writeFile(join(dir.path, 'sbom.json'), '{"spdxVersion":"SPDX-2.3"}')
    const sbom = 'application/spdx+json'
    const attached = await ok<{ descriptor: { digest: string }; recordedBy: string }>([
      'attach',
      'plain:v2.3.1',
      'sbom.json',
      '--artifact-type',
      sbom,
    ])
    assert.equal(attached.recordedBy, 'layout')
    const found = await ok<{ referrers: Array<{ digest: string }> }>(['discover', 'plain:v2.3.1'])
    assert.deepEqual(
      found.referrers.map((r) => r.digest),
      [attached.descriptor.digest],
    )
    assert.equal((await ok<{ digest: string }>(['archive', 'plain:v2.3.1', 'plain.tgz'])).digest, built.digest)
    const pushed = await ok<{ reference: string }>(['artifact', 'push', './files:v1', 'sbom.json', '--artifact-type', sbom])
    assert.equal(pushed.reference, 'ocidir://./files:v1')
    await ok(['artifact', 'pull', 'files:v1', '-o', 'pulled-files'])
    assert.equal(await readFile(join(dir.path, 'pulled-files', 'sbom.json'), 'utf8'), '{"spdxVersion":"SPDX-2.3"}')
    assert.equal((await ok<{ layout: string }>(['gc', 'plain'])).layout, join(dir.path, 'plain'))
    const missing = await runCli(['verify', './nowhere:v1'], { cwd: dir.path })
    assert.equal(missing.code, 6, missing.stderr)
    assert.match(missing.stderr, /\.\/nowhere does not exist/)
  })

  test('a missing images directory is reported by name before anything is written', async () => {
    const r = await runCli(['build', join(ROOT, SHOP), '--images', './no-images', '--auto-update', '-o', 'never'], { cwd: dir.path })
    assert.equal(r.code, 6)
    assert.match(r.stderr, /the images layout \.\/no-images does not exist/)
    await assert.rejects(readdir(join(dir.path, 'never')))
  })

  test('inspect and pull read the built layout; pulled bundle.json is the stored config blob', async () => {
    const layout = `ocidir://${join(dir.path, 'one')}:v2.3.1`
    const inspected = json<{ name: string; images: Array<{ name?: string; platforms: string[] }>; parameters: unknown[] }>(
      await runCli(['inspect', '--json', layout]),
    ).result
    assert.equal(inspected.name, 'io.ocibundle.examples.shop')
    assert.deepEqual(
      inspected.images.map((i) => i.name ?? 'invocation'),
      ['invocation', 'api', 'db', 'web'],
    )
    assert.deepEqual(inspected.images.find((i) => i.name === 'web')!.platforms, ['linux/amd64', 'linux/arm64/v8'])
    const out = join(dir.path, 'pulled-layout')
    const pulled = await runCli(['pull', '--json', layout, '--output', out])
    assert.equal(pulled.code, 0, pulled.stderr)
    const manifest = JSON.parse((await runCli(['manifest', 'get', layout])).stdout)
    const configManifestDesc = manifest.manifests[0]
    const configManifest = JSON.parse(
      (await runCli(['manifest', 'get', `ocidir://${join(dir.path, 'one')}@${configManifestDesc.digest}`])).stdout,
    )
    assert.equal(sha256(await readFile(join(out, 'bundle.json'))), configManifest.config.digest)
  })
})

const VARIANTS: RegistryVariant[] = ['plain', 'basic', 'tls', 'token']
for (const variant of VARIANTS) {
  describe(`bundles on the ${variant} registry`, () => {
    let reg: RunningRegistry
    const env = (): NodeJS.ProcessEnv => ({
      DOCKER_CONFIG: join(dir.path, `docker-${variant}`),
      HOME: join(dir.path, `home-${variant}`),
      ...(reg.caFile && { OCIBUNDLE_CA_FILE: reg.caFile }),
    })
    const cli = (args: string[]) => runCli(args, { env: env() })
    before(async () => {
      reg = await startRegistry(variant)
      if (reg.username) {
        const login = await runCli(['login', reg.host, '-u', reg.username, '--password-stdin'], { env: env(), input: reg.password! })
        assert.equal(login.code, 0, login.stderr)
      }
    })
    after(() => reg.stop())

    test('push from bundle.json, then pull: byte-identical bundle.json, correct relocation map, images verified, skopeo reads the invocation image', async () => {
      const push = await cli(['push', '--json', SHOP, `${reg.host}/acme/shop`, '--images', `ocidir://${images}`, '--auto-update'])
      assert.equal(push.code, 0, push.stderr)
      const pushed = json<{
        digest: string
        tag: string
        relocationMap: Record<string, string>
        representation: { index: string; config: string }
      }>(push).result
      assert.equal(pushed.tag, 'v2.3.1', 'the tag is derived from the bundle version')
      assert.deepEqual(pushed.representation, { index: 'oci-index', config: 'cnab-config', shape: 'portable' })

      const out = join(dir.path, `pulled-${variant}`)
      const pull = await cli(['pull', '--json', `${reg.host}/acme/shop:v2.3.1`, '--output', out, '--with-images'])
      assert.equal(pull.code, 0, pull.stderr)
      const pulled = json<{
        digest: string
        relocationMap: Record<string, string>
        images: { manifests: Record<string, { digest: string }> }
      }>(pull).result
      assert.equal(pulled.digest, pushed.digest)
      const bundleBytes = await readFile(join(out, 'bundle.json'))
      const bundle = JSON.parse(bundleBytes.toString('utf8'))
      const refs = [bundle.invocationImages[0], ...Object.values(bundle.images)] as Array<{ image: string; contentDigest: string }>
      const relocation = JSON.parse(await readFile(join(out, 'relocation-mapping.json'), 'utf8'))
      assert.deepEqual(Object.keys(relocation).sort(), refs.map((r) => r.image).sort())
      for (const r of refs) {
        assert.equal(relocation[r.image], `${reg.host}/acme/shop@${r.contentDigest}`)
        assert.equal(
          pulled.images.manifests[r.image]!.digest,
          r.contentDigest,
          'every image was written to the layout by its pinned digest',
        )
      }
      // The config blob in the registry is exactly the pulled bundle.json.
      const index = JSON.parse((await cli(['manifest', 'get', `${reg.host}/acme/shop:v2.3.1`])).stdout)
      const configManifest = JSON.parse((await cli(['manifest', 'get', `${reg.host}/acme/shop@${index.manifests[0].digest}`])).stdout)
      assert.equal(sha256(bundleBytes), configManifest.config.digest)

      const invocation = bundle.invocationImages[0].contentDigest as string
      const creds = reg.username ? ['--creds', `${reg.username}:${reg.password}`] : []
      const skopeo = await runSkopeo(
        ['inspect', '--raw', '--tls-verify=false', ...creds, `docker://${reg.host}/acme/shop@${invocation}`],
        join(dir.path, `skopeo-${variant}`),
      )
      assert.equal(sha256(Buffer.from(skopeo.stdout)), invocation)
    })

    test('build to a layout, then push from the layout: the same bundle digest', async () => {
      const layout = join(dir.path, 'one')
      const direct = json<{ digest: string }>(
        await cli(['push', '--json', SHOP, `${reg.host}/acme/shop:direct`, '--images', `ocidir://${images}`, '--auto-update']),
      ).result
      const fromLayout = await cli(['push', '--json', `ocidir://${layout}:v2.3.1`, `${reg.host}/acme/from-layout:v2.3.1`])
      assert.equal(fromLayout.code, 0, fromLayout.stderr)
      assert.equal(json<{ digest: string }>(fromLayout).result.digest, direct.digest)
    })

    test('copy to another repository keeps the digest and relocates the images there', async () => {
      const src = json<{ digest: string }>(
        await cli(['push', '--json', SHOP, `${reg.host}/acme/shop:v2.3.1`, '--images', `ocidir://${images}`, '--auto-update']),
      ).result
      const copied = await cli(['push', '--json', `${reg.host}/acme/shop:v2.3.1`, `${reg.host}/mirror/shop`])
      assert.equal(copied.code, 0, copied.stderr)
      const result = json<{ digest: string; tag: string; relocationMap: Record<string, string> }>(copied).result
      assert.equal(result.digest, src.digest)
      assert.equal(result.tag, 'v2.3.1')
      assert.ok(Object.values(result.relocationMap).every((v) => v.startsWith(`${reg.host}/mirror/shop@sha256:`)))
    })
  })
}

describe('bundle command errors', () => {
  let reg: RunningRegistry
  before(async () => {
    reg = await startRegistry('plain')
  })
  after(() => reg.stop())

  test('an existing tag naming another bundle is not moved without --force', async () => {
    const first = await runCli([
      'push',
      'bundles/hello-world/bundle.json',
      `${reg.host}/acme/app:v1`,
      '--images',
      `ocidir://${images}`,
      '--auto-update',
    ])
    assert.equal(first.code, 0, first.stderr)
    const other = await runCli(['push', SHOP, `${reg.host}/acme/app:v1`, '--images', `ocidir://${images}`, '--auto-update'])
    assert.notEqual(other.code, 0)
    assert.match(other.stderr, /--force/)
    const forced = await runCli(['push', SHOP, `${reg.host}/acme/app:v1`, '--images', `ocidir://${images}`, '--auto-update', '--force'])
    assert.equal(forced.code, 0, forced.stderr)
  })

  test('a push prints one line per image it filled in, and nothing but the digest when the bundle is there already', async () => {
    const args = ['push', 'bundles/hello-world/bundle.json', `${reg.host}/acme/quiet`, '--images', images, '--auto-update']
    const first = await runCli(args)
    assert.equal(first.code, 0, first.stderr)
    assert.deepEqual(first.stdout.split('\n').filter((l) => /^ {2}filled in /.test(l)).length, 1, `one image, one line:\n${first.stdout}`)
    assert.doesNotMatch(first.stdout, /^ {2}chosen /m, 'the first choice is not worth a line')
    const again = await runCli(args)
    assert.equal(again.code, 0, again.stderr)
    assert.deepEqual(again.stdout.trim().split('\n').length, 3, again.stdout)
    assert.match(again.stdout, /\(already there, nothing written\)/)
  })

  test('bundle.json is validated before any request: an invalid bundle aimed at an unreachable registry reports what is invalid', async () => {
    const bundle = JSON.parse(await readFile('bundles/hello-world/bundle.json', 'utf8')) as Record<string, unknown>
    const invalid = join(dir.path, 'invalid.json')
    await writeFile(
      invalid,
      JSON.stringify({ ...bundle, version: 'latest', invocationImages: [{ imageType: 'docker', image: 'unreachable.invalid/x:1' }] }),
    )
    const closed = await freePort()
    const r = await runCli(['push', invalid, `127.0.0.1:${closed}/acme/app`])
    assert.equal(r.code, 3, r.stderr)
    assert.match(r.stderr, /the bundle cannot be published/)
    assert.match(r.stderr, /\[bundle-version-semver\]/)
    assert.doesNotMatch(r.stderr, /ECONNREFUSED|unreachable\.invalid.*failed/)
  })

  test('pulling a plain image says it is not a bundle (exit 3)', async () => {
    await runCli(['copy', `ocidir://${images}@${await digestOfTag('example.com/ocibundle/shop-db:15')}`, `${reg.host}/plain/image:1`])
    const r = await runCli(['pull', `${reg.host}/plain/image:1`, '--output', join(dir.path, 'not-a-bundle')])
    assert.equal(r.code, 3)
    assert.match(r.stderr, /not a (CNAB )?bundle/i)
  })
})

async function digestOfTag(refName: string): Promise<string> {
  const index = JSON.parse(await readFile(join(images, 'index.json'), 'utf8'))
  return index.manifests.find(
    (m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name'] === refName,
  ).digest
}
