/**
 * The fault-injection suite: the built CLI pushes to and pulls from the real registry (token
 * auth) through the fault proxy, with a fault on every kind of request of a push and of a pull
 * (POST, PATCH, PUT, HEAD, GET of blobs and manifests, token requests), servers that stop
 * sending mid-header and mid-body, the registry killed and restarted mid-push, and the CLI
 * killed with SIGKILL during a copy into a layout and run again. Each case asserts the outcome
 * (success after retries, or a clean failure with its documented exit code) and the state: every
 * blob and manifest at the destination verifies against its digest, the tag names the source's
 * digest (or is absent after a failure), and nothing is left in `.ingest` or created for nothing.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, afterEach, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { digestStream } from '../../src/oci/digest.js'
import { descriptorFromBytes, type Descriptor } from '../../src/oci/descriptor.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { OciLayoutStore } from '../../src/layout/layout-store.js'
import { INGEST_DIR } from '../../src/layout/blob-path.js'
import { RegistryClient } from '../../src/registry/http/client.js'
import { RegistryAuthenticator } from '../../src/registry/auth/authenticator.js'
import { RegistryRepository } from '../../src/registry/repository.js'
import { config as configBlob } from '../helpers/content.js'
import { json, runCli } from '../helpers/cli.js'
import { matchRequest, startFaultProxy, type FaultAction, type FaultProxy, type FaultRequest } from '../helpers/registry/fault-proxy.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'
import { forwardChanged } from '../registry/repository/helpers.js'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const BIG = 6 * 1024 * 1024

let dir: TempDir
let registry: RunningRegistry
let proxy: FaultProxy
let tokenProxy: FaultProxy
let images: string
let image: { manifest: Descriptor; blobs: Descriptor[] }
let env: NodeJS.ProcessEnv
let direct: RegistryClient
let runs = 0

/** Runs (and is awaited) before the registry proxy forwards a request: a test's hook. */
let beforeForward: ((req: FaultRequest) => Promise<void>) | undefined

/** A registry request that needs a token: it carries none yet, so its answer's challenge names the realm. */
function challenged(req: { headers: Record<string, string | string[] | undefined> }): boolean {
  return req.headers.authorization === undefined
}

before(async () => {
  dir = await makeTempDir('ocibundle-faults-')
  registry = await startRegistry('token')
  const issuer = registry.tokenIssuer!
  tokenProxy = await startFaultProxy({ url: new URL(issuer.realm).origin })
  // Token requests go through their own fault proxy: the registry's challenges are rewritten to name it.
  proxy = await startFaultProxy(registry, {
    intercept: async (req, ctx) => {
      await beforeForward?.({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        url: new URL(req.url ?? '/', proxy.url),
        headers: req.headers,
      })
      if (!challenged(req)) return false
      await forwardChanged(req, ctx, {
        response: (a) => {
          const challenge = a.headers['www-authenticate']
          if (challenge !== undefined) a.headers['www-authenticate'] = challenge.replace(new URL(issuer.realm).origin, tokenProxy.url)
          return a
        },
      })
      return true
    },
  })
  const dockerConfig = join(dir.path, 'docker')
  await mkdir(dockerConfig)
  const auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64')
  await writeFile(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [proxy.host]: { auth }, [registry.host]: { auth } } }))
  env = { DOCKER_CONFIG: dockerConfig, HOME: dir.path, XDG_CONFIG_HOME: join(dir.path, 'xdg'), XDG_CACHE_HOME: join(dir.path, 'cache') }
  direct = new RegistryClient({
    auth: new RegistryAuthenticator(async () => ({ username: registry.username!, password: registry.password! })),
  })
  // The source image: a 6 MiB layer (several upload chunks), a small one, a config.
  images = join(dir.path, 'images')
  const store = await OciLayoutStore.open(images, { create: true })
  const big = randomBytes(BIG)
  const small = Buffer.from('a small layer')
  const cfg = configBlob('faults')
  const blobs = [descriptorFromBytes(MediaTypes.OciLayer, big), descriptorFromBytes(MediaTypes.OciLayer, small), cfg.desc]
  await store.push(blobs[0]!, big)
  await store.push(blobs[1]!, small)
  await store.push(cfg.desc, cfg.bytes)
  const manifestBytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.OciManifest, config: cfg.desc, layers: [blobs[0], blobs[1]] }),
  )
  const manifest = descriptorFromBytes(MediaTypes.OciManifest, manifestBytes)
  await store.push(manifest, manifestBytes)
  await store.tag(manifest, 'v1')
  await store.close()
  image = { manifest, blobs }
})

after(async () => {
  await direct?.close()
  await proxy?.stop()
  await tokenProxy?.stop()
  await registry?.stop()
  await dir?.cleanup()
})

afterEach(() => {
  proxy.clearFaults()
  tokenProxy.clearFaults()
})

/** The CLI with fast time limits, so stalls end in a second. */
function cli(args: string[]) {
  return runCli([...args, '--json', '--headers-timeout', '2', '--idle-timeout', '2'], { env })
}

/** A repository of the registry, read without the proxy. */
function repo(name: string): RegistryRepository {
  return new RegistryRepository({ registry: registry.host, repository: name }, direct)
}

/** The registry holds `name:v1` = the source manifest, and every blob reads back verified. */
async function assertPushed(name: string): Promise<void> {
  const r = repo(name)
  assert.deepEqual(await r.resolve('v1'), image.manifest)
  for (const b of image.blobs) assert.deepEqual(await digestStream(await r.fetch(b)), { digest: b.digest, size: b.size })
}

/** The layout holds `v1` = the source manifest, every blob verifies, and `.ingest` holds no leftover. */
async function assertPulled(layout: string): Promise<void> {
  const store = await OciLayoutStore.open(layout)
  assert.deepEqual(await store.resolve('v1'), image.manifest)
  for (const b of image.blobs) assert.deepEqual(await digestStream(await store.fetch(b)), { digest: b.digest, size: b.size })
  assert.deepEqual(await readdir(join(layout, INGEST_DIR)).catch(() => []), [])
}

let seededName: string | undefined
/** A repository holding the image, pushed without faults once (pulls only read it). */
async function seeded(): Promise<string> {
  if (seededName !== undefined) return seededName
  const name = 'faults/seeded'
  const r = await cli(['copy', `ocidir://${images}:v1`, `${registry.host}/${name}:v1`])
  assert.equal(r.code, 0, r.stdout + r.stderr)
  seededName = name
  return name
}

const blobPut = matchRequest('PUT', /\/blobs\/uploads\/.*[?&]digest=/)
const push = (name: string) => cli(['copy', `ocidir://${images}:v1`, `${proxy.host}/${name}:v1`])
const pull = (name: string, layout: string) => cli(['copy', `${proxy.host}/${name}:v1`, `ocidir://${layout}`])

describe('faults: every request kind of a push is retried', () => {
  const cases: Array<[string, (r: FaultRequest) => boolean, FaultAction, FaultProxy?]> = [
    ['POST of an upload answered 503', matchRequest('POST', '/blobs/uploads/'), { status: 503 }],
    ['closing blob PUT answered 502', blobPut, { status: 502 }],
    ['closing blob PUT reset before it reached the registry', blobPut, { reset: 'before-upstream' }],
    ['closing blob PUT whose answer was lost', blobPut, { reset: 'after-upstream' }],
    ['HEAD of a blob answered 503', matchRequest('HEAD', '/blobs/sha256:'), { status: 503 }],
    ['HEAD of the manifest answered 500', matchRequest('HEAD', '/manifests/'), { status: 500 }],
    ['manifest PUT answered 503', matchRequest('PUT', '/manifests/'), { status: 503 }],
    ['manifest PUT reset', matchRequest('PUT', '/manifests/'), { reset: 'before-upstream' }],
    ['429 with Retry-After on the first upload', matchRequest('POST', '/blobs/uploads/'), { status: 429, headers: { 'retry-after': '1' } }],
  ]
  for (const [what, match, action] of cases) {
    test(`${what}: the push succeeds and the registry holds the image, verified`, async () => {
      const name = `faults/push${++runs}`
      const fault = proxy.addFault({ match, action })
      const r = await push(name)
      assert.equal(r.code, 0, r.stdout + r.stderr)
      assert.equal(fault.hits, 1)
      await assertPushed(name)
    })
  }

  test('token request answered 503: retried, the push succeeds', async () => {
    const name = `faults/push${++runs}`
    const fault = tokenProxy.addFault({ match: matchRequest('GET', '/'), action: { status: 503 } })
    const r = await push(name)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal(fault.hits, 1)
    await assertPushed(name)
  })

  test('chunk PATCH answered 503 after the registry refused the monolithic PUT: the chunk is resent, the push succeeds', async () => {
    const name = `faults/push${++runs}`
    proxy.addFault({ match: (r) => blobPut(r) && Number(r.headers['content-length']) > 0, times: Infinity, action: { status: 413 } })
    const patch = proxy.addFault({ match: matchRequest('PATCH', '/blobs/uploads/'), action: { status: 503 } })
    const r = await push(name)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal(patch.hits, 1)
    await assertPushed(name)
  })

  test('a permanent refusal (403 on every blob PUT) fails cleanly with the auth exit code and no tag', async () => {
    const name = `faults/push${++runs}`
    proxy.addFault({ match: blobPut, times: Infinity, action: { status: 403 } })
    const r = await push(name)
    assert.equal(r.code, 5, r.stdout + r.stderr)
    assert.equal(json(r).error?.code, 'ERR_COPY')
    await assert.rejects(repo(name).resolve('v1'), { code: 'ERR_NOT_FOUND' })
  })

  test('the registry killed on the first blob PUT and restarted: the push succeeds once it is back', async () => {
    const name = `faults/push${++runs}`
    let killed = false
    // The registry is killed before the first blob PUT is forwarded, which then finds it gone (502).
    beforeForward = async (req) => {
      if (killed || !blobPut(req)) return
      killed = true
      await registry.kill()
    }
    const start = proxy.requests.length
    const gone = () => proxy.requests.slice(start).some((q) => q.status === 502 && q.error !== undefined)
    // Started again on the same storage and port once a request has found it gone.
    let pushed = false
    const restarted = (async () => {
      while (!gone() && !pushed) await sleep(20)
      if (killed) await registry.restart()
    })()
    let r: Awaited<ReturnType<typeof push>>
    try {
      r = await push(name)
    } finally {
      pushed = true
      beforeForward = undefined
      await restarted
    }
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.ok(killed && gone(), 'a request found the registry gone')
    await assertPushed(name)
  })
})

describe('faults: every request kind of a pull is retried', () => {
  const big = () => image.blobs[0]!.digest
  const cases: Array<[string, () => (r: FaultRequest) => boolean, FaultAction]> = [
    ['HEAD of the manifest answered 503', () => matchRequest('HEAD', '/manifests/'), { status: 503 }],
    ['GET of the manifest answered 502', () => matchRequest('GET', '/manifests/'), { status: 502 }],
    ['GET of the manifest corrupted once', () => matchRequest('GET', '/manifests/'), { corruptBody: true }],
    ['GET of the manifest cut short', () => matchRequest('GET', '/manifests/'), { truncateAfterBytes: 20 }],
    ['GET of a blob answered 503', () => matchRequest('GET', `/blobs/${big()}`), { status: 503 }],
    ['GET of a blob reset mid-body', () => matchRequest('GET', `/blobs/${big()}`), { resetAfterBytes: 2_000_000 }],
    ['GET of a blob corrupted once', () => matchRequest('GET', `/blobs/${big()}`), { corruptBody: true }],
    ['server stops sending mid-header (GET of the manifest)', () => matchRequest('GET', '/manifests/'), { stallHeaders: true }],
    ['server stops sending mid-body (GET of a blob)', () => matchRequest('GET', `/blobs/${big()}`), { stallAfterBytes: 1_000_000 }],
  ]
  for (const [what, match, action] of cases) {
    test(`${what}: the pull succeeds and the layout holds the image, verified, without leftovers`, async () => {
      const name = await seeded()
      const layout = join(dir.path, `pull${++runs}`)
      const fault = proxy.addFault({ match: match(), action })
      const r = await pull(name, layout)
      assert.equal(r.code, 0, r.stdout + r.stderr)
      assert.equal(fault.hits, 1)
      await assertPulled(layout)
    })
  }

  test('blob get of a blob corrupted once: fetched again, the file holds the verified bytes', async () => {
    const name = await seeded()
    const file = join(dir.path, `blob${++runs}`)
    const fault = proxy.addFault({ match: matchRequest('GET', `/blobs/${big()}`), action: { corruptBody: true } })
    const r = await cli(['blob', 'get', `${proxy.host}/${name}@${big()}`, '-o', file])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal(fault.hits, 1)
    assert.deepEqual(await digestStream(createReadStream(file)), { digest: big(), size: BIG })
  })

  test('token request reset: retried, the pull succeeds', async () => {
    const name = await seeded()
    const layout = join(dir.path, `pull${++runs}`)
    const fault = tokenProxy.addFault({ match: matchRequest('GET', '/'), action: { reset: 'before-upstream' } })
    const r = await pull(name, layout)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal(fault.hits, 1)
    await assertPulled(layout)
  })

  test('a blob corrupted on every read fails with the integrity exit code, naming the blob; no corrupt blob is stored', async () => {
    const name = await seeded()
    const layout = join(dir.path, `pull${++runs}`)
    proxy.addFault({ match: matchRequest('GET', `/blobs/${big()}`), times: Infinity, action: { corruptBody: true } })
    const r = await pull(name, layout)
    assert.equal(r.code, 7, r.stdout + r.stderr)
    assert.match(json(r).error!.message, new RegExp(big()))
    const store = await OciLayoutStore.open(layout)
    assert.equal(await store.exists(image.blobs[0]!), false)
    for (const b of image.blobs.slice(1))
      if (await store.exists(b)) assert.equal((await digestStream(await store.fetch(b))).digest, b.digest)
    assert.deepEqual(await readdir(join(layout, INGEST_DIR)), [])
  })

  test('a tag that does not exist fails with the not-found exit code and creates no layout', async () => {
    const layout = join(dir.path, `pull${++runs}`)
    const r = await cli(['copy', `${proxy.host}/faults/nothing-here:v1`, `ocidir://${layout}`])
    assert.equal(r.code, 6, r.stdout + r.stderr)
    assert.equal(existsSync(layout), false)
  })
})

describe('faults: a failed operation creates nothing', () => {
  test('a pull of a bundle that does not exist leaves no output directory', async () => {
    const output = join(dir.path, `bundle-out${++runs}`, 'nested')
    const r = await cli(['pull', `${proxy.host}/faults/nothing-here:v1`, '--output', output, '--with-images'])
    assert.equal(r.code, 6, r.stdout + r.stderr)
    assert.equal(existsSync(join(dir.path, `bundle-out${runs}`)), false)
  })

  test('a build whose image cannot be found leaves no output layout', async () => {
    const bundle = join(dir.path, `bundle${++runs}.json`)
    await writeFile(
      bundle,
      JSON.stringify({
        schemaVersion: 'v1.2.0',
        name: 'x',
        version: '1.0.0',
        invocationImages: [{ image: `${proxy.host}/faults/missing:1`, imageType: 'oci' }],
      }),
    )
    const layout = join(dir.path, `built${runs}`)
    const r = await cli(['build', bundle, '--output', `ocidir://${layout}`, '--auto-update'])
    assert.equal(r.code, 6, r.stdout + r.stderr)
    assert.equal(existsSync(layout), false)
  })
})

describe('faults: the CLI killed during a copy into a layout', () => {
  test('kill -9 while a blob is being written, then a re-run: the copy completes, verified, and the partial file is gone', async () => {
    const name = await seeded()
    const layout = join(dir.path, `killed${++runs}`)
    // The big blob's download stops after 3 MiB: the CLI is then certainly mid-write (1 MiB batches).
    proxy.addFault({ match: matchRequest('GET', `/blobs/${image.blobs[0]!.digest}`), action: { stallAfterBytes: 3 * 1024 * 1024 } })
    const child = spawn(process.execPath, [BIN, 'copy', `${proxy.host}/${name}:v1`, `ocidir://${layout}`], {
      env: { ...process.env, ...env },
      stdio: 'ignore',
    })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    let partial = 0
    for (let i = 0; i < 600 && partial < 1024 * 1024; i++) {
      await sleep(50)
      const files = (await readdir(join(layout, INGEST_DIR)).catch(() => [] as string[])).filter((f) => f.startsWith('.blob-'))
      if (files[0] !== undefined) partial = (await stat(join(layout, INGEST_DIR, files[0])).catch(() => ({ size: 0 }))).size
    }
    child.kill('SIGKILL')
    await exited
    assert.ok(partial >= 1024 * 1024, `the CLI had written ${partial} bytes of the blob when it was killed`)
    proxy.clearFaults()
    const again = await pull(name, layout)
    assert.equal(again.code, 0, again.stdout + again.stderr)
    await assertPulled(layout)
  })
})
