/**
 * The registry commands end to end: the built CLI against the real distribution registry in
 * each variant (plain, Basic auth, TLS, token auth), with Docker's config file in a temp
 * directory so logins stay inside the test.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { json, runCli } from '../helpers/cli.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { runSkopeo } from '../helpers/registry/skopeo.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`
const WEB = 'example.com/ocibundle/shop-web:2.3.1'

let dir: TempDir
let images: string
let webDigest: string

before(async () => {
  dir = await makeTempDir('registry-cli-')
  images = join(dir.path, 'images')
  const made = await makeExampleImages(images)
  webDigest = made.get(WEB)!.digest
})
after(() => dir.cleanup())

/** An environment with its own, empty Docker config. */
function isolatedEnv(name: string): NodeJS.ProcessEnv {
  return {
    DOCKER_CONFIG: join(dir.path, `docker-${name}`),
    HOME: join(dir.path, `home-${name}`),
    XDG_CONFIG_HOME: join(dir.path, `xdg-${name}`),
  }
}

describe('registry commands on a plain-HTTP registry', () => {
  let reg: RunningRegistry
  const env = () => isolatedEnv('plain')
  before(async () => {
    reg = await startRegistry('plain')
  })
  after(() => reg.stop())

  test('copy pushes a multi-platform index from a layout; resolve, manifest get and skopeo agree on its digest', async () => {
    const push = await runCli(['copy', '--json', `ocidir://${images}@${webDigest}`, `${reg.host}/shop/web:2.3.1`], { env: env() })
    assert.equal(push.code, 0, push.stderr)
    const result = json<{ descriptor: { digest: string }; stats: { nodes: number; copied: number } }>(push).result
    assert.equal(result.descriptor.digest, webDigest)
    assert.equal(result.stats.nodes, result.stats.copied)

    const resolved = await runCli(['resolve', `${reg.host}/shop/web:2.3.1`], { env: env() })
    assert.equal(resolved.stdout.trim(), webDigest)
    const manifest = await runCli(['manifest', 'get', `${reg.host}/shop/web:2.3.1`], { env: env() })
    assert.equal(sha256(Buffer.from(manifest.stdout)), webDigest)
    const skopeo = await runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/shop/web:2.3.1`], dir.path)
    assert.equal(sha256(Buffer.from(skopeo.stdout)), webDigest)
  })

  test('a second copy sends nothing; copying within the registry mounts the blobs', async () => {
    const again = await runCli(['copy', '--json', `ocidir://${images}@${webDigest}`, `${reg.host}/shop/web:2.3.1`], { env: env() })
    assert.deepEqual(json<{ stats: { copied: number; skipped: number } }>(again).result.stats.copied, 0)
    const mounted = await runCli(['copy', '--json', `${reg.host}/shop/web:2.3.1`, `${reg.host}/mirror/web`], { env: env() })
    const stats = json<{ tag: string; stats: { mounted: number } }>(mounted).result
    assert.equal(stats.tag, '2.3.1', 'the destination takes the source tag')
    assert.ok(stats.stats.mounted >= 4, `expected blobs to be mounted, got ${JSON.stringify(stats)}`)
  })

  test('copy back to a layout with --platform keeps only that platform, and every blob verifies', async () => {
    const out = join(dir.path, 'arm64')
    const r = await runCli(['copy', '--json', '--platform', 'linux/arm64', `${reg.host}/shop/web:2.3.1`, `ocidir://${out}:arm64`], {
      env: env(),
    })
    assert.equal(r.code, 0, r.stderr)
    const copied = json<{ descriptor: { digest: string; mediaType: string } }>(r).result.descriptor
    assert.equal(copied.mediaType, 'application/vnd.oci.image.manifest.v1+json')
    const m = JSON.parse((await runCli(['manifest', 'get', `ocidir://${out}:arm64`])).stdout)
    const config = JSON.parse((await runCli(['blob', 'get', `ocidir://${out}@${m.config.digest}`, '-o', '-'])).stdout)
    assert.equal(config.architecture, 'arm64')
    const layerFile = join(dir.path, 'layer.tgz')
    const blob = await runCli(['blob', 'get', `${reg.host}/shop/web@${m.layers[0].digest}`, '-o', layerFile], { env: env() })
    assert.equal(blob.code, 0, blob.stderr)
    assert.equal(sha256(await readFile(layerFile)), m.layers[0].digest)
  })

  test('tag ls lists tags; unknown tags and repositories exit 6', async () => {
    const tags = await runCli(['tag', 'ls', '--json', `${reg.host}/shop/web`], { env: env() })
    assert.deepEqual(json<{ tags: string[] }>(tags).result.tags, ['2.3.1'])
    const missing = await runCli(['resolve', `${reg.host}/shop/web:nope`], { env: env() })
    assert.equal(missing.code, 6)
    assert.match(missing.stderr, /not found/)
  })

  test('a malformed reference or platform is a usage error (exit 2)', async () => {
    assert.equal((await runCli(['resolve', `${reg.host}/Shop/Web:1`])).code, 2)
    assert.equal((await runCli(['copy', '--platform', 'linux', `${reg.host}/shop/web:2.3.1`, 'ocidir:///tmp/x'])).code, 2)
  })
})

describe('registry commands with Basic auth: login, use, logout', () => {
  let reg: RunningRegistry
  const env = () => isolatedEnv('basic')
  before(async () => {
    reg = await startRegistry('basic')
  })
  after(() => reg.stop())

  test('without credentials a push exits 5 and says to log in', async () => {
    const r = await runCli(['copy', `ocidir://${images}@${webDigest}`, `${reg.host}/shop/web:1`], { env: env() })
    assert.equal(r.code, 5)
    assert.match(r.stderr, /ocibundle login 127\.0\.0\.1:\d+/)
  })

  test('a wrong password is refused (exit 5) and nothing is stored', async () => {
    const r = await runCli(['login', reg.host, '-u', reg.username!, '--password-stdin'], { env: env(), input: 'wrong\n' })
    assert.equal(r.code, 5)
    await assert.rejects(stat(join(env().DOCKER_CONFIG!, 'config.json')))
  })

  test('login stores Docker-format credentials (mode 0600) that copy then uses, and never prints the password', async () => {
    const login = await runCli(['login', '--json', reg.host, '-u', reg.username!, '--password-stdin'], {
      env: env(),
      input: `${reg.password}\n`,
    })
    assert.equal(login.code, 0, login.stderr)
    assert.ok(!(login.stdout + login.stderr).includes(reg.password!))
    const file = join(env().DOCKER_CONFIG!, 'config.json')
    const config = JSON.parse(await readFile(file, 'utf8'))
    assert.equal(Buffer.from(config.auths[reg.host].auth, 'base64').toString(), `${reg.username}:${reg.password}`)
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    const push = await runCli(['copy', `ocidir://${images}@${webDigest}`, `${reg.host}/shop/web:1`], { env: env() })
    assert.equal(push.code, 0, push.stderr)
    const skopeo = await runSkopeo(
      ['inspect', '--raw', '--tls-verify=false', '--authfile', file, `docker://${reg.host}/shop/web:1`],
      dir.path,
    )
    assert.equal(sha256(Buffer.from(skopeo.stdout)), webDigest)
  })

  test('logout removes the credentials; the registry then refuses again', async () => {
    const out = await runCli(['logout', '--json', reg.host], { env: env() })
    assert.equal(json<{ removed: boolean }>(out).result.removed, true)
    assert.equal((await runCli(['resolve', `${reg.host}/shop/web:1`], { env: env() })).code, 5)
  })
})

describe('registry commands over TLS with a private CA', () => {
  let reg: RunningRegistry
  before(async () => {
    reg = await startRegistry('tls')
  })
  after(() => reg.stop())

  test('an untrusted certificate fails with a hint at --ca-file; --ca-file and --insecure both work', async () => {
    const src = `ocidir://${images}@${webDigest}`
    const untrusted = await runCli(['copy', src, `${reg.host}/shop/web:1`], { env: isolatedEnv('tls') })
    assert.equal(untrusted.code, 1)
    assert.match(untrusted.stderr, /--ca-file/)
    const trusted = await runCli(['copy', '--ca-file', reg.caFile!, src, `${reg.host}/shop/web:1`], { env: isolatedEnv('tls') })
    assert.equal(trusted.code, 0, trusted.stderr)
    const insecure = await runCli(['resolve', '--insecure', `${reg.host}/shop/web:1`], { env: isolatedEnv('tls') })
    assert.equal(insecure.stdout.trim(), webDigest)
  })

  test('plain HTTP to a TLS registry suggests dropping --plain-http', async () => {
    const r = await runCli(['resolve', '--plain-http', `${reg.host}/shop/web:1`], { env: isolatedEnv('tls') })
    assert.equal(r.code, 1)
    assert.match(r.stderr, /the registry speaks HTTPS: drop --plain-http/)
  })
})

describe('registry commands with token auth', () => {
  let reg: RunningRegistry
  const env = () => isolatedEnv('token')
  before(async () => {
    reg = await startRegistry('token')
  })
  after(() => reg.stop())

  test('login through the token server, then a push asks for exactly pull,push on the repository', async () => {
    const login = await runCli(['login', reg.host, '-u', reg.username!, '--password-stdin'], { env: env(), input: reg.password! })
    assert.equal(login.code, 0, login.stderr)
    reg.tokenRequests!.length = 0
    const push = await runCli(['copy', `ocidir://${images}@${webDigest}`, `${reg.host}/shop/web:1`], { env: env() })
    assert.equal(push.code, 0, push.stderr)
    const scopes = new Set(reg.tokenRequests!.flatMap((r) => r.scopes))
    assert.deepEqual([...scopes].sort(), ['repository:shop/web:pull,push'])
    assert.ok(reg.tokenRequests!.every((r) => r.account === reg.username))
  })

  test('anonymous pulls get an anonymous token; anonymous pushes are refused with exit 5', async () => {
    const anon = isolatedEnv('token-anon')
    const pull = await runCli(['resolve', `${reg.host}/shop/web:1`], { env: anon })
    assert.equal(pull.stdout.trim(), webDigest)
    const push = await runCli(['copy', `ocidir://${images}@${webDigest}`, `${reg.host}/shop/other:1`], { env: anon })
    assert.equal(push.code, 5)
  })
})
