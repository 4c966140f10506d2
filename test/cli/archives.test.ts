/**
 * Air-gap archives end to end, with the built CLI against the real distribution registry:
 * `archive` (Porter's thick bundle format, the same bytes every time), `push <file.tgz>` (digests
 * and signatures kept; a Porter-written archive published; a classified refusal falls back and
 * says which digest changed), `verify` (complete, incomplete = exit 8, corrupt = exit 9), hostile
 * archives refused with nothing written anywhere, and `ociarchive://` as source and destination
 * of the commands that take references. Archives are taken apart and put together again with the
 * `tar` package.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip, gzipSync } from 'node:zlib'
import { after, before, describe, test } from 'node:test'
import { Header, list, type ReadEntry } from 'tar'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { TAR_BLOCK, tarBytes, tarHeader, tarPadding, type TarEntryBytes } from '../../src/util/tar.js'
import { json, jsonResult, runCli, type CliResult } from '../helpers/cli.js'
import { startQuirkProxy, type QuirkProxy } from '../helpers/registry/quirk-proxy.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const COSIGN = 'application/vnd.dev.cosign.artifact.sig.v1+json'
const SBOM = 'application/spdx+json'
const WEB = 'example.com/ocibundle/shop-web:2.3.1'

interface Node {
  digest: string
  artifactType?: string
}
interface Inspected {
  digest: string
  images: Array<{ image: string; digest: string }>
}
interface Problem {
  digest?: string
  where: string
  problem: string
}
interface Verified {
  status: string
  digest?: string
  referrers: number
  missing: Problem[]
  corrupt: Problem[]
  images: Array<{ image: string; digest?: string; status: string }>
}

let dir: TempDir
let registry: RunningRegistry
let empty: RunningRegistry
let hub2019: QuirkProxy
let images: string
/** The signed shop bundle published in `registry`, and what came with it. */
let shop: { reference: string; digest: string; signature: string; sbom: string; images: Inspected['images'] }
/** The shop bundle archived. */
let archived: string

before(async () => {
  dir = await makeTempDir('archives-cli-')
  await mkdir(join(dir.path, 'tmp'))
  images = join(dir.path, 'images')
  ;[registry, empty] = await Promise.all([startRegistry('plain'), startRegistry('plain'), makeExampleImages(images)])
  hub2019 = await startQuirkProxy(registry, 'dockerhub-2019')
  const built = await ok<{ reference: string; digest: string }>([
    'build',
    'bundles/shop/bundle.json',
    '--images',
    `ocidir://${images}`,
    '--auto-update',
    '--output',
    `${registry.host}/acme/shop`,
  ])
  const work = join(dir.path, 'files')
  await mkdir(work, { recursive: true })
  await writeFile(join(work, 'shop.sig'), 'a signature of the shop bundle')
  await writeFile(join(work, 'web.spdx.json'), '{"spdxVersion":"SPDX-2.3"}')
  const inspected = await ok<Inspected>(['inspect', built.reference])
  const web = inspected.images.find((i) => i.image === WEB)!
  const signature = await ok<{ descriptor: { digest: string } }>([
    'attach',
    built.reference,
    join(work, 'shop.sig'),
    '--artifact-type',
    COSIGN,
  ])
  const sbom = await ok<{ descriptor: { digest: string } }>([
    'attach',
    `${registry.host}/acme/shop@${web.digest}`,
    join(work, 'web.spdx.json'),
    '--artifact-type',
    SBOM,
  ])
  shop = { ...built, signature: signature.descriptor.digest, sbom: sbom.descriptor.digest, images: inspected.images }
  archived = join(dir.path, 'shop.tgz')
  await ok(['archive', shop.reference, archived])
})
after(async () => {
  await hub2019?.stop()
  await Promise.all([registry?.stop(), empty?.stop()])
  await dir?.cleanup()
})

/** The CLI with its own home, Docker config, report cache and temporary directory. */
function cli(args: string[], tmp = join(dir.path, 'tmp')): Promise<CliResult> {
  return runCli(args, {
    env: {
      HOME: join(dir.path, 'home'),
      DOCKER_CONFIG: join(dir.path, 'docker'),
      XDG_CACHE_HOME: join(dir.path, 'cache'),
      TMPDIR: tmp,
    },
  })
}

const ok = <T>(args: string[]): Promise<T> => jsonResult<T>(cli, args)

let counter = 0
function fresh(prefix: string): string {
  return `${prefix}-${++counter}-${randomBytes(3).toString('hex')}`
}

/** A fresh, empty temporary directory for one CLI run, to see what the run leaves in it. */
async function freshTmp(): Promise<string> {
  const tmp = join(dir.path, fresh('tmpdir'))
  await mkdir(tmp)
  return tmp
}

/** Every entry of a (gzip'd) tar, in order, read with the `tar` package. */
async function entriesOf(file: string): Promise<TarEntryBytes[]> {
  const out: TarEntryBytes[] = []
  await list({
    file,
    onReadEntry: (e: ReadEntry) => {
      const chunks: Buffer[] = []
      e.on('data', (c: Buffer) => chunks.push(c))
      e.on('end', () =>
        out.push(
          e.type === 'Directory' ? { path: e.path, type: 'directory' } : { path: e.path, type: 'file', content: Buffer.concat(chunks) },
        ),
      )
    },
  })
  return out
}

/** A new .tgz from entries (and raw blocks made with the `tar` package's Header, appended). */
async function tgz(entries: readonly TarEntryBytes[], extra: Buffer[] = []): Promise<string> {
  const body = tarBytes(entries)
  const end = body.length - 2 * TAR_BLOCK
  const path = join(dir.path, `${fresh('archive')}.tgz`)
  await writeFile(path, gzipSync(Buffer.concat([body.subarray(0, end), ...extra, body.subarray(end)])))
  return path
}

/** A raw tar entry of a kind ocibundle never writes (links, devices, FIFOs), made with the `tar` package. */
function rawEntry(fields: ConstructorParameters<typeof Header>[0]): Buffer {
  const block = Buffer.alloc(TAR_BLOCK)
  new Header({ mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), size: 0, ...fields }).encode(block, 0)
  return block
}

const layerOf = (entries: TarEntryBytes[], digest: string): TarEntryBytes =>
  entries.find((e) => e.path === `./artifacts/layout/blobs/sha256/${digest.slice(7)}`)!

describe('archive → carry → push', () => {
  test('archive twice gives identical bytes, in Porter’s order: ./, bundle.json, relocation-mapping.json, the layout’s oci-layout and index.json, then the blobs', async () => {
    const again = join(dir.path, 'again.tgz')
    await ok(['archive', shop.reference, again])
    assert.deepEqual(await readFile(again), await readFile(archived))
    const entries = await entriesOf(archived)
    assert.deepEqual(
      entries.slice(0, 9).map((e) => e.path),
      [
        './',
        './bundle.json',
        './relocation-mapping.json',
        './artifacts/',
        './artifacts/layout/',
        './artifacts/layout/oci-layout',
        './artifacts/layout/index.json',
        './artifacts/layout/blobs/',
        './artifacts/layout/blobs/sha256/',
      ],
    )
    const blobs = entries.slice(9).map((e) => e.path)
    assert.deepEqual(blobs, [...blobs].sort())
    // bundle.json exactly as published: the config blob the bundle index names.
    const bundleJson = entries[1]!.content!
    const pulled = join(dir.path, fresh('pulled'))
    await ok(['pull', shop.reference, '--output', pulled])
    assert.deepEqual(bundleJson, await readFile(join(pulled, 'bundle.json')))
    const index = JSON.parse(entries[6]!.content!.toString()) as {
      manifests: Array<{ digest: string; annotations?: Record<string, string> }>
    }
    const named = (digest: string) =>
      index.manifests.filter((m) => m.digest === digest).map((m) => m.annotations?.['org.opencontainers.image.ref.name'])
    assert.deepEqual(named(shop.digest), ['v2.3.1'])
    for (const image of shop.images) assert.ok(named(image.digest).includes(image.image), image.image)
    for (const referrer of [shop.signature, shop.sbom]) assert.ok(named(referrer).length > 0, `referrer ${referrer} is in index.json`)
  })

  test('pushed into an empty registry: the same bundle digest, every image digest, and the signature and SBOM still listed; nothing left in the temporary directory', async () => {
    const tmp = await freshTmp()
    const run = await cli(['push', '--json', archived, `${empty.host}/acme/shop`], tmp)
    assert.equal(run.code, 0, run.stdout + run.stderr)
    const pushed = json<{ kind: string; digest: string; reference: string; referrers: Node[] }>(run).result
    assert.equal(pushed.kind, 'copied')
    assert.equal(pushed.digest, shop.digest)
    assert.equal(pushed.reference, `${empty.host}/acme/shop:v2.3.1`)
    assert.deepEqual(pushed.referrers.map((r) => r.digest).sort(), [shop.signature, shop.sbom].sort())
    assert.deepEqual(await readdir(tmp), [], 'the expanded archive is removed')
    const inspected = await ok<Inspected>(['inspect', pushed.reference])
    assert.deepEqual(
      inspected.images.map((i) => [i.image, i.digest]),
      shop.images.map((i) => [i.image, i.digest]),
    )
    const signatures = await ok<{ referrers: Node[] }>(['discover', pushed.reference])
    assert.deepEqual(
      signatures.referrers.map((r) => [r.digest, r.artifactType]),
      [[shop.signature, COSIGN]],
    )
    const web = inspected.images.find((i) => i.image === WEB)!
    const sboms = await ok<{ referrers: Node[] }>(['discover', `${empty.host}/acme/shop@${web.digest}`])
    assert.deepEqual(
      sboms.referrers.map((r) => r.digest),
      [shop.sbom],
    )
    assert.equal((await ok<Verified>(['verify', pushed.reference])).status, 'complete')
  })

  test('an archive written by Porter (./ names, images tagged with their relocated references, no bundle index, blobs before index.json) is published with every image digest and bundle.json as archived', async () => {
    const layout = join(dir.path, fresh('built'))
    const built = await ok<{ reference: string }>([
      'build',
      'bundles/hello-world/bundle.json',
      '--images',
      `ocidir://${images}`,
      '--auto-update',
      '--output',
      `ocidir://${layout}`,
    ])
    const pulled = join(dir.path, fresh('hello'))
    await ok(['pull', built.reference, '--output', pulled, '--with-images'])
    const bundleJson = await readFile(join(pulled, 'bundle.json'))
    const installer = (JSON.parse(bundleJson.toString()) as { invocationImages: Array<{ image: string; contentDigest: string }> })
      .invocationImages[0]!
    // What `porter archive` writes: the image tagged in index.json with where it was (relocation-mapping.json).
    const relocated = `docker.io/getporter/hello-installer@${installer.contentDigest}`
    const blobDir = join(pulled, 'artifacts', 'layout', 'blobs', 'sha256')
    const manifest = JSON.parse(await readFile(join(blobDir, installer.contentDigest.slice(7)), 'utf8')) as {
      mediaType: string
      config: { digest: string }
      layers: Array<{ digest: string }>
    }
    const blobs = [installer.contentDigest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)].sort()
    const porterIndex = {
      schemaVersion: 2,
      manifests: [
        {
          mediaType: manifest.mediaType,
          size: (await readFile(join(blobDir, installer.contentDigest.slice(7)))).length,
          digest: installer.contentDigest,
          annotations: { 'org.opencontainers.image.ref.name': relocated },
        },
      ],
    }
    const porter = await tgz([
      { path: './', type: 'directory' },
      { path: './bundle.json', type: 'file', content: bundleJson },
      { path: './relocation-mapping.json', type: 'file', content: Buffer.from(JSON.stringify({ [installer.image]: relocated })) },
      { path: './artifacts/', type: 'directory' },
      { path: './artifacts/layout/', type: 'directory' },
      { path: './artifacts/layout/blobs/', type: 'directory' },
      { path: './artifacts/layout/blobs/sha256/', type: 'directory' },
      ...(await Promise.all(
        blobs.map(async (d) => ({
          path: `./artifacts/layout/blobs/sha256/${d.slice(7)}`,
          type: 'file' as const,
          content: await readFile(join(blobDir, d.slice(7))),
        })),
      )),
      { path: './artifacts/layout/index.json', type: 'file', content: Buffer.from(JSON.stringify(porterIndex)) },
      { path: './artifacts/layout/oci-layout', type: 'file', content: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    ])
    const checked = await ok<Verified>(['verify', porter])
    assert.equal(checked.status, 'complete')
    assert.deepEqual(checked.images, [{ image: installer.image, digest: installer.contentDigest, status: 'present' }])
    const pushed = await ok<{ kind: string; reference: string; relocationMap: Record<string, string> }>([
      'push',
      porter,
      `${registry.host}/porter/hello`,
    ])
    assert.equal(pushed.kind, 'built')
    assert.deepEqual(pushed.relocationMap, { [installer.image]: `${registry.host}/porter/hello@${installer.contentDigest}` })
    const again = join(dir.path, fresh('again'))
    await ok(['pull', pushed.reference, '--output', again])
    assert.deepEqual(await readFile(join(again, 'bundle.json')), bundleJson)
  })

  test('where the registry refuses the archived bundle as it is (Docker Hub 2019: no OCI index), it is published from bundle.json and the output says which digests changed and why', async () => {
    const run = await cli(['push', '--json', archived, `${hub2019.host}/${fresh('hub')}`])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    const pushed = json<{
      kind: string
      digest: string
      archived: { digest: string; refusal: string }
      changes: Array<{ image: string; field: string; from: string; to: string; reason?: string }>
    }>(run)
    assert.equal(pushed.result.kind, 'built')
    assert.equal(pushed.result.archived.digest, shop.digest)
    assert.notEqual(pushed.result.digest, shop.digest)
    // The first manifest refused: the OCI index of shop-web, or the config manifest's custom config type (HUB-2).
    assert.match(pushed.result.archived.refusal, /^application\/vnd\.oci\.image\.(index|manifest)\.v1\+json sha256:[0-9a-f]{64}: 400 /)
    const converted = pushed.result.changes.filter((c) => c.reason !== undefined && c.field === 'contentDigest')
    assert.deepEqual(
      converted.map((c) => [c.image, c.from]),
      [[WEB, shop.images.find((i) => i.image === WEB)!.digest]],
    )
    assert.ok(pushed.warnings.some((w) => w.includes(`not ${shop.digest} as in the archive`)))
    const text = await cli(['push', '--force', archived, `${hub2019.host}/${fresh('hub')}`])
    assert.match(text.stdout, /not as archived +the registry refused the archived bundle/)
    assert.match(text.stdout, new RegExp(`converted +${WEB.replace(/[.]/g, '\\.')} sha256:`))
    const refused = await cli(['push', '--json', '--no-fallback', archived, `${hub2019.host}/${fresh('hub')}`])
    // As a push of a layout to it: the copy's refusal, and no fallback taken.
    assert.equal(refused.code, 1, refused.stdout)
    assert.match(json(refused).error!.message, /answered 400: MANIFEST_INVALID/)
  })
})

describe('verify', () => {
  test('a complete archive, a layer taken out (incomplete, exit 8), a byte changed (corrupt, exit 9), both (exit 9), a truncated archive (corrupt): every item with its digest and where it was expected', async () => {
    const complete = await cli(['verify', '--json', archived])
    assert.equal(complete.code, 0, complete.stdout)
    const ok0 = json<Verified>(complete)
    assert.equal(ok0.status, 0)
    assert.deepEqual([ok0.result.status, ok0.result.digest, ok0.result.missing, ok0.result.corrupt], ['complete', shop.digest, [], []])
    assert.equal(ok0.result.referrers, 2)

    const entries = await entriesOf(archived)
    const web = shop.images.find((i) => i.image === WEB)!
    const webIndex = JSON.parse(layerOf(entries, web.digest).content!.toString()) as { manifests: Array<{ digest: string }> }
    const amd64 = JSON.parse(layerOf(entries, webIndex.manifests[0]!.digest).content!.toString()) as { layers: Array<{ digest: string }> }
    const gone = amd64.layers[0]!.digest
    const installer = shop.images.find((i) => i.image.includes('installer'))!
    const installerManifest = JSON.parse(layerOf(entries, installer.digest).content!.toString()) as { layers: Array<{ digest: string }> }
    const damaged = installerManifest.layers[1]!.digest
    const flip = (e: TarEntryBytes): TarEntryBytes => {
      const content = Buffer.from(e.content!)
      content[content.length - 1] = content[content.length - 1]! ^ 0xff
      return { ...e, content }
    }
    const without = await tgz(entries.filter((e) => e !== layerOf(entries, gone)))
    const altered = await tgz(entries.map((e) => (e === layerOf(entries, damaged) ? flip(e) : e)))
    const both = await tgz(entries.filter((e) => e !== layerOf(entries, gone)).map((e) => (e === layerOf(entries, damaged) ? flip(e) : e)))

    const incomplete = await cli(['verify', '--json', without])
    assert.equal(incomplete.code, 8, incomplete.stdout)
    const r8 = json<Verified>(incomplete).result
    assert.equal(r8.status, 'incomplete')
    assert.deepEqual(r8.corrupt, [])
    assert.deepEqual(
      r8.missing.map((p) => [p.digest, p.problem]),
      [[gone, 'missing']],
    )
    assert.match(r8.missing[0]!.where, new RegExp(`image "${WEB.replace(/[.]/g, '\\.')}" → manifest 1 → layer 1$`))
    assert.deepEqual(
      r8.images.find((i) => i.image === WEB),
      { image: WEB, digest: web.digest, status: 'missing' },
    )

    const corrupt = await cli(['verify', '--json', altered])
    assert.equal(corrupt.code, 9, corrupt.stdout)
    const r9 = json<Verified>(corrupt).result
    assert.deepEqual(r9.missing, [])
    assert.deepEqual(
      r9.corrupt.map((p) => p.digest),
      [damaged],
    )
    assert.match(r9.corrupt[0]!.problem, new RegExp(`digest mismatch: expected ${damaged}`))
    assert.match(r9.corrupt[0]!.where, /→ layer 2$/)
    assert.match((await cli(['verify', altered])).stdout, new RegExp(`corrupt +${damaged} at bundle ${shop.digest} → image "`))

    const r99 = await cli(['verify', '--json', both])
    assert.equal(r99.code, 9)
    assert.deepEqual(
      [json<Verified>(r99).result.corrupt.map((p) => p.digest), json<Verified>(r99).result.missing.map((p) => p.digest)],
      [[damaged], [gone]],
    )

    const whole = await readFile(archived)
    const cut = join(dir.path, `${fresh('cut')}.tgz`)
    await writeFile(cut, whole.subarray(0, Math.floor(whole.length / 2)))
    const truncated = await cli(['verify', '--json', cut])
    assert.equal(truncated.code, 9, truncated.stdout)
    assert.deepEqual(
      json<Verified>(truncated).result.corrupt.map((p) => [p.where, /damaged/.test(p.problem)]),
      [[cut, true]],
    )
  })

  test('a bundle in a registry: complete; the same bundle with a blob missing from a layout copy: incomplete', async () => {
    assert.equal((await cli(['verify', shop.reference])).code, 0)
    const layout = join(dir.path, fresh('layout'))
    await ok(['push', shop.reference, `ocidir://${layout}:v1`])
    const installer = shop.images.find((i) => i.image.includes('installer'))!
    const manifest = JSON.parse(await readFile(join(layout, 'blobs', 'sha256', installer.digest.slice(7)), 'utf8')) as {
      config: { digest: string }
    }
    await rm(join(layout, 'blobs', 'sha256', manifest.config.digest.slice(7)))
    const run = await cli(['verify', '--json', `ocidir://${layout}:v1`])
    assert.equal(run.code, 8, run.stdout)
    assert.deepEqual(
      json<Verified>(run).result.missing.map((p) => [p.digest, p.where.endsWith('→ config')]),
      [[manifest.config.digest, true]],
    )
  })
})

describe('hostile archives are refused: nothing written outside, nothing left behind, nothing pushed', () => {
  let good: TarEntryBytes[]
  let outside: string
  before(async () => {
    good = await entriesOf(archived)
    outside = join(dir.path, 'outside')
    await mkdir(outside, { recursive: true })
  })

  /**
   * Runs push (and with `alsoVerify`, verify) on `file`: refused with `code` and `error`;
   * TMPDIR and `outside` stay empty and nothing is tagged in the repository.
   */
  async function refused(file: string, code: number, error: string, message: RegExp, alsoVerify = false): Promise<void> {
    for (const command of alsoVerify ? ['push', 'verify'] : ['push']) {
      const tmp = await freshTmp()
      const repository = `${registry.host}/${fresh('hostile')}`
      const args = command === 'push' ? ['push', '--json', file, repository] : ['verify', '--json', file]
      const run = await cli(args, tmp)
      const expected = command === 'verify' && code === 7 ? 9 : code
      assert.equal(run.code, expected, `${command}: ${run.stdout}${run.stderr}`)
      if (expected === code) {
        assert.equal(json(run).error?.code, error, run.stdout)
        assert.match(json(run).error!.message, message)
      }
      assert.deepEqual(await readdir(tmp), [], `${command}: nothing left in the temporary directory`)
      assert.deepEqual(await readdir(outside), [], `${command}: nothing written outside`)
      if (command === 'push') await nothingTagged(repository)
    }
  }

  /** Nothing tagged in `repository`: it does not exist (exit 6, NAME_UNKNOWN) or lists no tag. */
  async function nothingTagged(repository: string): Promise<void> {
    const run = await cli(['tag', 'ls', '--json', repository])
    if (run.code === 6) {
      assert.equal(json(run).error?.code, 'ERR_NOT_FOUND', run.stdout)
      assert.match(json(run).error!.message, /NAME_UNKNOWN/)
    } else {
      assert.equal(run.code, 0, `tag ls ${repository}: ${run.stdout}${run.stderr}`)
      assert.deepEqual(json<{ tags: string[] }>(run).result.tags, [], 'nothing tagged')
    }
  }

  test('an entry named with ".." and one with an absolute path', async () => {
    const escape = { type: 'file' as const, content: Buffer.from('escaped') }
    await refused(
      await tgz([...good, { path: './artifacts/layout/../../../outside/escaped', ...escape }]),
      3,
      'ERR_UNSAFE_PATH',
      /contains "\.\."/,
    )
    await refused(await tgz([...good, { path: join(outside, 'escaped'), ...escape }]), 3, 'ERR_UNSAFE_PATH', /absolute path/)
  })

  test('a symbolic link and a hard link leading outside, a device, a FIFO', async () => {
    const cases: Array<[ConstructorParameters<typeof Header>[0], RegExp]> = [
      [{ path: './artifacts/layout/blobs/sha256/evil', type: 'SymbolicLink', linkpath: outside }, /symbolic link/],
      [{ path: './artifacts/layout/evil', type: 'Link', linkpath: '../../../etc/passwd' }, /hard link/],
      [{ path: './artifacts/null', type: 'CharacterDevice', devmaj: 1, devmin: 3 }, /character device/],
      [{ path: './artifacts/pipe', type: 'FIFO' }, /FIFO/],
    ]
    for (const [fields, message] of cases) await refused(await tgz(good, [rawEntry(fields)]), 3, 'ERR_UNSAFE_ARCHIVE', message)
  })

  test('a name given twice (a second bundle.json)', async () => {
    await refused(await tgz([...good, { path: 'bundle.json', type: 'file', content: Buffer.from('{}') }]), 3, 'ERR_UNSAFE_ARCHIVE', /twice/)
  })

  test('a blob whose size disagrees with its descriptor: push stops with an integrity error (exit 7), verify says corrupt (exit 9)', async () => {
    const installer = shop.images.find((i) => i.image.includes('installer'))!
    const layer = (JSON.parse(layerOf(good, installer.digest).content!.toString()) as { layers: Array<{ digest: string }> }).layers[0]!
      .digest
    const longer = good.map((e) => (e === layerOf(good, layer) ? { ...e, content: Buffer.concat([e.content!, Buffer.from('more')]) } : e))
    await refused(await tgz(longer), 7, 'ERR_COPY', /size mismatch: expected \d+ bytes, got \d+/, true)
  })

  test('a gzip bomb: an archive expanding past 64 times its size (plus 64 MiB), the default bound', async () => {
    const bomb = join(dir.path, `${fresh('bomb')}.tgz`)
    const zeros = 160 * 1024 * 1024
    async function* tar(): AsyncGenerator<Buffer> {
      yield tarBytes(good).subarray(0, -2 * TAR_BLOCK)
      yield tarHeader({ path: './artifacts/zeros', type: 'file', size: zeros })
      const chunk = Buffer.alloc(1024 * 1024)
      for (let i = 0; i < zeros / chunk.length; i++) yield chunk
      yield tarPadding(zeros)
      yield Buffer.alloc(2 * TAR_BLOCK)
    }
    await pipeline(Readable.from(tar()), createGzip({ level: 1 }), createWriteStream(bomb))
    await refused(bomb, 3, 'ERR_UNSAFE_ARCHIVE', /expands to more than .* gzip bomb/, true)
  })

  test('ociarchive:// with a link: refused before anything is written', async () => {
    const tar = join(dir.path, `${fresh('hostile')}.tar`)
    const base = tarBytes([
      { path: 'oci-layout', type: 'file', content: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
      { path: 'index.json', type: 'file', content: Buffer.from('{"schemaVersion":2,"manifests":[]}') },
    ])
    await writeFile(
      tar,
      Buffer.concat([
        base.subarray(0, -2 * TAR_BLOCK),
        rawEntry({ path: 'blobs', type: 'SymbolicLink', linkpath: outside }),
        base.subarray(-2 * TAR_BLOCK),
      ]),
    )
    const out = join(dir.path, fresh('out'))
    const run = await cli(['copy', '--json', `ociarchive://${tar}:x`, `ocidir://${out}:x`])
    assert.equal(run.code, 3, run.stdout)
    assert.equal(json(run).error?.code, 'ERR_UNSAFE_ARCHIVE')
    await assert.rejects(readdir(out), { code: 'ENOENT' })
    assert.deepEqual(await readdir(outside), [])
  })
})

describe('ociarchive://', () => {
  test('is a source and destination of push, inspect, discover, pull, copy, verify and artifact push/pull; bytes and digests unchanged', async () => {
    const file = join(dir.path, `${fresh('shop')}.tar`)
    const pushed = await ok<{ digest: string; reference: string }>(['push', shop.reference, `ociarchive://${file}`])
    assert.equal(pushed.digest, shop.digest)
    assert.equal(pushed.reference, `ociarchive://${file}:v2.3.1`)
    assert.equal((await ok<Inspected>(['inspect', pushed.reference])).digest, shop.digest)
    assert.deepEqual(
      (await ok<{ referrers: Node[] }>(['discover', pushed.reference])).referrers.map((r) => r.digest),
      [shop.signature],
    )
    assert.equal((await ok<Verified>(['verify', pushed.reference])).status, 'complete')
    const out = join(dir.path, fresh('pulled'))
    await ok(['pull', pushed.reference, '--output', out, '--with-images'])
    const bundleJson = (await entriesOf(archived))[1]!.content!
    assert.deepEqual(await readFile(join(out, 'bundle.json')), bundleJson)
    const back = await ok<{ descriptor: { digest: string } }>(['copy', pushed.reference, `${registry.host}/${fresh('from-archive')}:v1`])
    assert.equal(back.descriptor.digest, shop.digest)
    // The archive is a plain tar of an OCI layout: skopeo's oci-archive.
    const names = (await entriesOf(file)).map((e) => e.path)
    assert.deepEqual(names.slice(0, 4), ['oci-layout', 'index.json', 'blobs/', 'blobs/sha256/'])

    const files = join(dir.path, fresh('files'))
    await mkdir(files)
    await writeFile(join(files, 'policy.rego'), 'package shop\n')
    const art = join(dir.path, `${fresh('artifact')}.tar`)
    await ok([
      'artifact',
      'push',
      `ociarchive://${art}:v1`,
      join(files, 'policy.rego'),
      '--artifact-type',
      'application/vnd.example.policy.v1',
    ])
    const got = join(dir.path, fresh('got'))
    await ok(['artifact', 'pull', `ociarchive://${art}:v1`, '--output', got])
    assert.equal(await readFile(join(got, 'policy.rego'), 'utf8'), 'package shop\n')
  })

  test('a copy into an existing archive that fails leaves the file byte for byte as it was and nothing beside it', async () => {
    const home = join(dir.path, fresh('atomic'))
    await mkdir(home)
    const file = join(home, 'images.tar')
    await ok(['copy', `${registry.host}/acme/shop@${shop.images[0]!.digest}`, `ociarchive://${file}:installer`])
    const before = await readFile(file)
    // A layout whose layer blob is gone: the copy fails after other blobs went into the archive's work directory.
    const broken = join(dir.path, fresh('broken'))
    await ok(['copy', `${registry.host}/acme/shop@${shop.images[1]!.digest}`, `ocidir://${broken}:api`])
    const manifest = JSON.parse(await readFile(join(broken, 'blobs', 'sha256', shop.images[1]!.digest.slice(7)), 'utf8')) as {
      layers: Array<{ digest: string }>
    }
    await rm(join(broken, 'blobs', 'sha256', manifest.layers[0]!.digest.slice(7)))
    const run = await cli(['copy', '--json', `ocidir://${broken}:api`, `ociarchive://${file}:api`])
    assert.equal(run.code, 6, run.stdout)
    assert.deepEqual(await readFile(file), before)
    assert.deepEqual(await readdir(home), ['images.tar'])
  })
})
