/**
 * Runs the real CNCF distribution registry (Debian `docker-registry` 2.8.2) for integration tests,
 * in five variants (for how it behaves, see its configuration reference and API description at
 * https://github.com/distribution/distribution/blob/v2.8.2/docs/configuration.md and
 * https://github.com/distribution/distribution/blob/v2.8.2/docs/spec/api.md):
 *
 * - `plain`: HTTP, no auth (`GET /v2/` → 200);
 * - `basic`: HTTP + htpasswd (bcrypt), user `testuser` with a random password per start
 *   (`GET /v2/` → 401 `Basic realm="ocibundle-test-registry"`);
 * - `tls`: HTTPS with a server certificate signed by a throwaway CA (`caFile`), no auth;
 * - `mtls`: as `tls`, and clients must present a certificate signed by a second throwaway CA
 *   (`http.tls.clientcas`; distribution then requires and verifies one), made for the test
 *   (`clientCertFile`, `clientKeyFile`);
 * - `token`: HTTP + `auth.token`, backed by an in-process token issuer (./token-issuer.ts)
 *   (`GET /v2/` → 401 `Bearer realm="<issuer>/token",service="ocibundle-test-registry"`).
 *
 * Each start gets its own temp dir (config, storage, certificates), its own random port on
 * 127.0.0.1 (or the address given as `host`) and its own process; `stop()` kills it and removes the dir. Processes and dirs left
 * behind by a crashed test are cleaned up by ./process.ts. Start several registries in parallel
 * (`Promise.all`) and share one per variant in a test file: a start costs ~0.1–0.3 s.
 *
 * The config is written as JSON, which is valid YAML (distribution parses it with yaml.v2):
 * no YAML emitter needed, and no quoting pitfalls in paths.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import { requireBinary } from './bins.js'
import { makeCa, makeClientCert, makeServerCert, makeSigningCert } from './certs.js'
import { randomPassword, writeHtpasswd } from './htpasswd.js'
import { freePort } from './ports.js'
import { removeOnExit, spawnManaged, type ManagedProcess } from './process.js'
import { startTokenIssuer, type AccessPolicy, type TokenIssuer, type TokenRequestRecord } from './token-issuer.js'

export type RegistryVariant = 'plain' | 'basic' | 'tls' | 'mtls' | 'token'

/** The user of the `basic` and `token` variants. */
export const TEST_USERNAME = 'testuser'
/** `service` of the token variant (the JWT audience) and the Basic realm of the `basic` variant. */
export const TOKEN_SERVICE = 'ocibundle-test-registry'
/** `iss` of the token variant's JWTs. */
export const TOKEN_ISSUER = 'ocibundle-test-issuer'
/** `http.secret`: fixed, so upload `_state` tokens stay valid across a restart on the same storage. */
const HTTP_SECRET = 'ocibundle-test-registry-secret'

export interface StartRegistryOptions {
  /** How long to wait for the registry to answer `GET /v2/`; default 15 000 ms. */
  readyTimeoutMs?: number
  /** First port to try; default a random free one. On EADDRINUSE the start retries on random ports. */
  port?: number
  /** Address to listen on; default 127.0.0.1. Another address of this machine makes a registry that is not loopback. */
  host?: string
  /** Registry log level; default `info` (the harness needs its "listening on" line). */
  logLevel?: 'info' | 'debug'
  /** Password of `testuser` (`basic`, `token`); default random per start. */
  password?: string
  /** `token` variant: token lifetime in seconds; default 300. */
  tokenTtlSeconds?: number
  /** `token` variant: what each caller gets; default: testuser everything asked, anonymous pull only. */
  tokenPolicy?: AccessPolicy
}

export interface RunningRegistry {
  variant: RegistryVariant
  /** `<address>:<port>` (127.0.0.1 unless `host` was given), as in image references. */
  host: string
  /** `http://127.0.0.1:<port>` or `https://…` (tls), without a trailing slash. */
  url: string
  /** Registry process id (gone after `stop()`). */
  pid: number
  /** `tls`, `mtls`: PEM file of the CA that signed the server certificate. */
  caFile?: string
  /** `mtls`: a client certificate the registry accepts, and its key (PEM files). */
  clientCertFile?: string
  clientKeyFile?: string
  /** `basic` and `token`: the test user. */
  username?: string
  password?: string
  /** The registry's filesystem storage root. */
  storageDir: string
  /** The config file the registry runs with. */
  configFile: string
  /** `token`: the in-process issuer (realm, refresh token, policy, mintToken). */
  tokenIssuer?: TokenIssuer
  /** `token`: every request the issuer received (same array as `tokenIssuer.requests`). */
  tokenRequests?: TokenRequestRecord[]
  /** Kills the registry (SIGTERM, then SIGKILL), stops the issuer, removes the temp dir. Idempotent. */
  stop(): Promise<void>
  /** Kills the registry process with SIGKILL (as a crash would); storage, config and port stay. */
  kill(): Promise<void>
  /**
   * Starts the registry again on the same storage, config and port (after kill(), or killing it
   * first), and resolves once it serves. Upload sessions survive: the HTTP secret is fixed.
   */
  restart(): Promise<void>
  /** The registry's output so far (text log + access log). */
  logs(): string
  /** The requests of its access log so far, in order: `PUT /v2/acme/app/manifests/v1 201`. */
  requests(): string[]
}

interface VariantSetup {
  auth?: Record<string, unknown>
  tls?: { certificate: string; key: string; clientcas?: string[] }
  caFile?: string
  client?: { certFile: string; keyFile: string }
  username?: string
  password?: string
  issuer?: TokenIssuer
  /** Status of an unauthenticated `GET /v2/` once ready. */
  readyStatus: number
}

/** Makes the credentials, certificates and issuer a variant needs, in `dir`. */
async function setUpVariant(variant: RegistryVariant, dir: string, opts: StartRegistryOptions): Promise<VariantSetup> {
  switch (variant) {
    case 'plain':
      return { readyStatus: 200 }
    case 'basic': {
      requireBinary('htpasswd')
      const password = opts.password ?? randomPassword()
      const path = join(dir, 'htpasswd')
      await writeHtpasswd(path, TEST_USERNAME, password)
      return { auth: { htpasswd: { realm: TOKEN_SERVICE, path } }, username: TEST_USERNAME, password, readyStatus: 401 }
    }
    case 'tls': {
      requireBinary('openssl')
      const certs = join(dir, 'certs')
      await mkdir(certs)
      const ca = await makeCa(certs)
      const server = await makeServerCert(certs, ca)
      return { tls: { certificate: server.certFile, key: server.keyFile }, caFile: ca.certFile, readyStatus: 200 }
    }
    case 'mtls': {
      requireBinary('openssl')
      const certs = join(dir, 'certs')
      await mkdir(certs)
      const ca = await makeCa(certs)
      const server = await makeServerCert(certs, ca)
      const clientCa = await makeCa(certs, 'client-ca')
      const client = await makeClientCert(certs, clientCa)
      return {
        tls: { certificate: server.certFile, key: server.keyFile, clientcas: [clientCa.certFile] },
        caFile: ca.certFile,
        client,
        readyStatus: 200,
      }
    }
    case 'token': {
      requireBinary('openssl')
      const certs = join(dir, 'certs')
      await mkdir(certs)
      const signer = await makeSigningCert(certs)
      const password = opts.password ?? randomPassword()
      const issuer = await startTokenIssuer({
        service: TOKEN_SERVICE,
        issuer: TOKEN_ISSUER,
        signer,
        username: TEST_USERNAME,
        password,
        ttlSeconds: opts.tokenTtlSeconds,
        policy: opts.tokenPolicy,
      })
      const auth = { token: { realm: issuer.realm, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER, rootcertbundle: signer.certFile } }
      return { auth, issuer, username: TEST_USERNAME, password, readyStatus: 401 }
    }
  }
}

function registryConfig(storageDir: string, address: string, port: number, setup: VariantSetup, logLevel: string): unknown {
  return {
    version: '0.1',
    log: { level: logLevel, formatter: 'text', accesslog: { disabled: false } },
    storage: {
      filesystem: { rootdirectory: storageDir },
      delete: { enabled: true },
      // The purger would delete upload sessions under a slow test's feet.
      maintenance: { uploadpurging: { enabled: false } },
    },
    ...(setup.auth ? { auth: setup.auth } : {}),
    http: {
      addr: `${address}:${port}`,
      secret: HTTP_SECRET,
      ...(setup.tls ? { tls: setup.tls } : {}),
      headers: { 'X-Content-Type-Options': ['nosniff'] },
    },
  }
}

/** Status of `GET <url>/v2/`, or undefined when it cannot connect yet. */
function probe(url: string, ca: string | undefined, client: { cert: string; key: string } | undefined): Promise<number | undefined> {
  return new Promise((resolve) => {
    const target = new URL('/v2/', url)
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest
    const req = send(target, { method: 'GET', timeout: 2000, ...(ca ? { ca } : {}), ...client, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode))
      res.on('error', () => resolve(undefined))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve(undefined))
    req.end()
  })
}

class PortInUse extends Error {}

/** The request lines of distribution's access log (combined log format): method, path and status. */
function accessLog(logs: string): string[] {
  return [...logs.matchAll(/"(GET|HEAD|PUT|POST|PATCH|DELETE) (\S+) HTTP\/[\d.]+" (\d{3}) /g)].map((m) => `${m[1]} ${m[2]} ${m[3]}`)
}

/**
 * Waits until this very process listens on `port` (its own "listening on" log line: a probe alone
 * could reach another server that took the port) and answers `GET /v2/` with `expected`.
 */
async function waitReady(
  proc: ManagedProcess,
  url: string,
  address: string,
  port: number,
  expected: number,
  ca: string | undefined,
  client: { cert: string; key: string } | undefined,
  deadline: number,
): Promise<void> {
  const listening = `listening on ${address}:${port}`
  let last: number | undefined
  for (;;) {
    if (proc.exited()) {
      if (/address already in use/.test(proc.logs())) throw new PortInUse()
      throw new Error(`docker-registry exited before it was ready (exit ${await proc.exit}):\n${proc.logs()}`)
    }
    if (proc.logs().includes(listening)) {
      last = await probe(url, ca, client)
      if (last === expected) return
    }
    if (Date.now() > deadline) {
      throw new Error(
        `docker-registry did not become ready on ${url} in time (last GET /v2/ status: ${last ?? 'no answer'}):\n${proc.logs()}`,
      )
    }
    await sleep(25)
  }
}

/**
 * Starts a registry of `variant` and resolves once it serves `GET /v2/` (200, or 401 for `basic`
 * and `token`).
 * @throws Error with the install hint when a binary is missing, or with the registry's log when
 *   it does not come up within `readyTimeoutMs`.
 */
export async function startRegistry(variant: RegistryVariant, opts: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const binary = requireBinary('docker-registry')
  const dir = await mkdtemp(join(tmpdir(), `ocibundle-registry-${variant}-`))
  const forgetDir = removeOnExit(dir)
  let setup: VariantSetup | undefined
  let proc: ManagedProcess | undefined
  const cleanup = async () => {
    await proc?.stop()
    await setup?.issuer?.stop()
    await rm(dir, { recursive: true, force: true })
    forgetDir()
  }
  try {
    setup = await setUpVariant(variant, dir, opts)
    const ca = setup.caFile ? readFileSync(setup.caFile, 'utf8') : undefined
    const client = setup.client && { cert: readFileSync(setup.client.certFile, 'utf8'), key: readFileSync(setup.client.keyFile, 'utf8') }
    const address = opts.host ?? '127.0.0.1'
    const storageDir = join(dir, 'storage')
    await mkdir(storageDir)
    const configFile = join(dir, 'config.yml')
    // REGISTRY_* variables override the config file (distribution's env overlay): keep them out.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')))
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 15_000)
    for (let attempt = 0; ; attempt++) {
      const port = attempt === 0 && opts.port ? opts.port : await freePort()
      await writeFile(configFile, JSON.stringify(registryConfig(storageDir, address, port, setup, opts.logLevel ?? 'info'), null, 2))
      proc = spawnManaged(binary, ['serve', configFile], { cwd: dir, env })
      const url = `${setup.tls ? 'https' : 'http'}://${address}:${port}`
      try {
        await waitReady(proc, url, address, port, setup.readyStatus, ca, client, deadline)
      } catch (err) {
        // Another process took the port between freePort() and the registry's bind: try another.
        if (err instanceof PortInUse && attempt < 5) continue
        throw err
      }
      let running = proc
      const issuer = setup.issuer
      const readyStatus = setup.readyStatus
      let stopped: Promise<void> | undefined
      const kill = async () => {
        running.child.kill('SIGKILL')
        await running.exit
      }
      return {
        variant,
        host: `${address}:${port}`,
        url,
        get pid() {
          return running.pid
        },
        ...(setup.caFile ? { caFile: setup.caFile } : {}),
        ...(setup.client ? { clientCertFile: setup.client.certFile, clientKeyFile: setup.client.keyFile } : {}),
        ...(setup.username ? { username: setup.username, password: setup.password } : {}),
        storageDir,
        configFile,
        ...(issuer ? { tokenIssuer: issuer, tokenRequests: issuer.requests } : {}),
        stop: () => (stopped ??= cleanup()),
        kill,
        restart: async () => {
          if (!running.exited()) await kill()
          running = proc = spawnManaged(binary, ['serve', configFile], { cwd: dir, env })
          await waitReady(running, url, address, port, readyStatus, ca, client, Date.now() + (opts.readyTimeoutMs ?? 15_000))
        },
        logs: () => running.logs(),
        requests: () => accessLog(running.logs()),
      }
    }
  } catch (err) {
    await cleanup()
    throw err
  }
}
