/**
 * The one HTTP path to registries. Every request goes through `RegistryClient.request`, which
 * picks the scheme and TLS settings per host, adds credentials (through an Authenticator),
 * answers 401 challenges once, retries what is safe to retry, follows redirects without leaking
 * credentials across origins, and turns unexpected statuses into RegistryResponseError.
 * Layering after regclient's reghttp (https://github.com/regclient/regclient/blob/main/internal/reghttp/http.go)
 * and oras-go's auth.Client (https://github.com/oras-project/oras-go/blob/main/registry/remote/auth/client.go).
 */
import { readFileSync } from 'node:fs'
import { rootCertificates } from 'node:tls'
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Dispatcher } from 'undici'
import { request } from './undici.js'
import { createDispatcher, type ProxyEnvironment } from './proxy.js'
import { OcibundleError } from '../../errors.js'
import { AuthenticationError, readErrorBody, RegistryResponseError } from './response-errors.js'
import { registryOrigin, type HostConfig } from './host-config.js'
import { checkRegistryApi, unlikeRegistry } from './registry-answer.js'
import type { NotARegistryError } from './response-errors.js'
import { defaultRetryPolicy, type RetryPolicy } from './retry.js'
import { requestTimeoutOptions, timeoutsOf } from './timeouts.js'
import { networkError } from './transport-errors.js'

/** The HTTP methods the registry API uses. */
export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE'

/**
 * A request body. Bytes and factories can be sent again (after a 401 challenge, or on retry);
 * a plain stream is sent once, so requests with one are never retried.
 */
export type RequestBody = Uint8Array | (() => Readable) | Readable

/** One request to a registry, as RegistryClient.request takes it. */
export interface RegistryRequest {
  /** Only GET and HEAD follow redirects. */
  method: HttpMethod
  /** Registry as written in references (`docker.io`, `localhost:5000`). */
  registry: string
  /** Path starting with `/v2/`, or an absolute URL from a `Location` header (same origin only). */
  path: string
  /** Query parameters appended to the URL; undefined values are left out. */
  query?: Record<string, string | undefined>
  /** Extra request headers; `authorization` is set by the client's Authenticator. */
  headers?: Record<string, string>
  /** Whether the request can be retried depends on it: see RequestBody. */
  body?: RequestBody
  /** Token scopes the request needs, e.g. `repository:acme/app:pull,push`. */
  scopes: readonly string[]
  /** Statuses that count as success; others throw RegistryResponseError. Default: any 2xx. */
  expect?: readonly number[]
  /** Aborts the request, a wait between retries included. */
  signal?: AbortSignal
  /**
   * False: a failure is never retried here, whatever the body (the caller retries at a higher
   * level: an upload starts a new session instead of repeating a request of a broken one).
   * Answering a 401 challenge is not a retry and still happens. Default true.
   */
  retry?: boolean
}

/** A registry's answer whose status was expected. The caller must read or release `body`. */
export interface RegistryResponse {
  /** HTTP status code. */
  status: number
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>
  /** The response body, not yet read. */
  body: Readable
  /** The URL that answered (after redirects). */
  url: string
}

/** What an Authenticator is told about the request it supplies credentials for. */
export interface AuthContext {
  /** Registry as written in references (`docker.io`, `localhost:5000`). */
  registry: string
  /** `http(s)://host[:port]` the request goes to (Docker Hub's API host for docker.io). */
  origin: string
  /** Token scopes the request needs, e.g. `repository:acme/app:pull,push`. */
  scopes: readonly string[]
  /** The request's signal: token requests made for it should be aborted with it. */
  signal?: AbortSignal
  /**
   * The dispatcher the client uses for this registry (its TLS settings, or the injected one), so
   * that token requests to the realm trust the same certificate authorities as the registry.
   */
  dispatcher?: Dispatcher
}

/** Supplies Authorization headers; see src/registry/auth for the real one. */
export interface Authenticator {
  /** The header to send before any challenge was seen (cached token, Basic), if any. */
  header(ctx: AuthContext): Promise<string | undefined>
  /** Answers a 401 challenge: a new header to retry with, or undefined to give up. */
  challenge(ctx: AuthContext, wwwAuthenticate: string): Promise<string | undefined>
}

/** An Authenticator without credentials: sends no Authorization header and answers no challenge. */
export const anonymous: Authenticator = {
  header: async () => undefined,
  challenge: async () => undefined,
}

/** Options of a RegistryClient. */
export interface RegistryClientOptions {
  /** TLS and scheme per registry host; `*` applies to every host without its own entry. */
  hosts?: Record<string, HostConfig>
  /** Supplies Authorization headers and answers 401 challenges. Undefined → anonymous. */
  auth?: Authenticator
  /** When and how long to wait before retrying a failed request. Undefined → defaultRetryPolicy. */
  retry?: RetryPolicy
  /** Replaces the network (tests inject undici's MockAgent or a proxy agent). */
  dispatcher?: Dispatcher
  /** User-Agent header of every request. Undefined → `ocibundle`. */
  userAgent?: string
  /**
   * The environment's proxies (proxyEnvironment: HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY),
   * for registries whose host settings name no `proxy`. Undefined → none.
   */
  proxies?: ProxyEnvironment
}

const MAX_REDIRECTS = 5
const REDIRECTS = new Set([301, 302, 303, 307, 308])

/**
 * The HTTP client every registry request goes through: scheme and TLS per host, credentials
 * from the Authenticator, one answer to a 401 challenge, retries by the RetryPolicy, redirects
 * without leaking credentials to other origins. Keeps a connection pool per TLS setting; one
 * client can serve many registries and repositories. close() it when done.
 */
export class RegistryClient {
  private readonly agents = new Map<string, Dispatcher>()
  /** Pools replaced by renewConnections, closed with the client. */
  private readonly retired: Dispatcher[] = []
  private readonly auth: Authenticator
  private readonly retry: RetryPolicy
  private readonly userAgent: string

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.auth = options.auth ?? anonymous
    this.retry = options.retry ?? defaultRetryPolicy
    this.userAgent = options.userAgent ?? 'ocibundle'
  }

  /**
   * The host configuration that applies to `registry`: its own entry, else `*`, else none. A
   * loopback registry found to speak HTTPS has `plainHttp` turned off.
   */
  hostConfig(registry: string): HostConfig {
    const cfg = this.options.hosts?.[registry] ?? this.options.hosts?.['*'] ?? {}
    return this.httpsLoopback.has(registry) ? { ...cfg, plainHttp: false } : cfg
  }

  /** `http(s)://host` for a registry, honouring its host configuration. */
  origin(registry: string): string {
    return registryOrigin(registry, this.hostConfig(registry))
  }

  /** Loopback registries found to speak HTTPS although plain HTTP was only assumed. */
  private readonly httpsLoopback = new Set<string>()

  /**
   * Whether a 400 from a plain-HTTP request is Go's "Client sent an HTTP request to an HTTPS
   * server". A HEAD answer has no body to say so, so then `GET /v2/` is asked once to find out.
   */
  private async speaksTls(registry: string, body: string): Promise<boolean> {
    const marker = /client sent an http request to an https server/i
    if (marker.test(body)) return true
    if (body.length > 0) return false
    const url = new URL(`${this.origin(registry)}/v2/`)
    const timeouts = timeoutsOf(this.hostConfig(registry))
    const probe = await request(url, {
      method: 'GET',
      headers: { 'user-agent': this.userAgent },
      dispatcher: this.dispatcherFor(registry),
      ...requestTimeoutOptions(timeouts),
    }).catch((err: unknown) => {
      throw networkError('GET', url, err, timeouts)
    })
    return probe.statusCode === 400 && marker.test((await readErrorBody(probe.body)).raw)
  }

  /** The API version checks made because of a suspicious answer, per registry: NotARegistryError, or undefined for a registry. */
  private readonly apiChecks = new Map<string, Promise<NotARegistryError | undefined>>()

  /**
   * Throws NotARegistryError when `res`, from the registry's own origin, is unlike a registry's
   * answer (src/registry/http/registry-answer.ts) and `GET /v2/` confirms it; checked once per
   * registry, so a command reports it once. Go's plain-text 400 to plain HTTP on a TLS port is
   * left to the scheme handling.
   */
  private async refuseNonRegistry(req: RegistryRequest, origin: string, res: RegistryResponse): Promise<void> {
    if (new URL(res.url).origin !== new URL(origin).origin || !unlikeRegistry(res)) return
    const html = /html/i.test(headerValue(res.headers['content-type']) ?? '')
    if (res.status === 400 && origin.startsWith('http:') && !html) return
    let check = this.apiChecks.get(req.registry)
    if (check === undefined) {
      const limits = requestTimeoutOptions(timeoutsOf(this.hostConfig(req.registry)))
      check = checkRegistryApi(req.registry, origin, this.dispatcherFor(req.registry), this.userAgent, limits, req.signal)
      this.apiChecks.set(req.registry, check)
    }
    const notRegistry = await check
    if (notRegistry === undefined) return
    releaseBody(res.body)
    throw notRegistry
  }

  /** Plain HTTP was only assumed for this loopback registry (nobody configured a scheme). */
  private assumedPlain(registry: string): boolean {
    const cfg = this.hostConfig(registry)
    return cfg.plainHttp === undefined && registryOrigin(registry, cfg).startsWith('http:')
  }

  /**
   * Sends a request. Throws RegistryResponseError for statuses outside `expect`, and the network
   * error (with the URL, never the credentials) when no answer came after the allowed retries.
   */
  async request(req: RegistryRequest): Promise<RegistryResponse> {
    let origin = this.origin(req.registry)
    let url = this.buildUrl(origin, req)
    const ctx: AuthContext = {
      registry: req.registry,
      origin,
      scopes: req.scopes,
      dispatcher: this.dispatcherFor(req.registry),
      ...(req.signal && { signal: req.signal }),
    }
    const replayable = !(req.body !== undefined && typeof req.body !== 'function' && !(req.body instanceof Uint8Array))
    const retryable = replayable && req.retry !== false
    const known = this.apiChecks.get(req.registry)
    if (known !== undefined) {
      const notRegistry = await known
      if (notRegistry !== undefined) throw notRegistry
    }
    let authorization = await this.auth.header(ctx)
    let challenged = false
    for (let attempt = 0; ; attempt++) {
      let res: RegistryResponse
      try {
        res = await this.send(req, url, authorization)
      } catch (err) {
        const delay = retryable && !req.signal?.aborted ? this.retry.delayFor(attempt, { error: err }) : undefined
        if (delay === undefined) throw networkError(req.method, url, err, timeoutsOf(this.hostConfig(req.registry)))
        await sleep(delay, undefined, req.signal ? { signal: req.signal } : undefined)
        continue
      }
      await this.refuseNonRegistry(req, origin, res)
      if (res.status === 401 && !challenged && replayable) {
        challenged = true
        const challenge = headerValue(res.headers['www-authenticate'])
        let next: string | undefined
        try {
          next = challenge === undefined ? undefined : await this.auth.challenge(ctx, challenge)
        } catch (err) {
          releaseBody(res.body) // the token request failed: free the connection holding the 401
          throw err
        }
        if (next !== undefined) {
          releaseBody(res.body)
          authorization = next
          attempt-- // answering a challenge is not a retry
          continue
        }
      }
      if (isExpected(res.status, req.expect)) return res
      if (res.status === 400 && replayable && this.assumedPlain(req.registry)) {
        // Go's HTTP server answers plain HTTP on a TLS port with this 400: the local registry
        // speaks HTTPS, so switch scheme for the rest of the run (Docker, too, tries both
        // schemes for local registries).
        const body = await readErrorBody(res.body)
        if (!(await this.speaksTls(req.registry, body.raw))) {
          const { errors, raw } = withoutCredentials(body, authorization)
          throw new RegistryResponseError(req.method, stripQuery(res.url), res.status, errors, raw)
        }
        this.httpsLoopback.add(req.registry)
        origin = this.origin(req.registry)
        url = this.buildUrl(origin, req)
        ctx.origin = origin
        attempt-- // a change of scheme is not a retry
        continue
      }
      if (res.status === 401) {
        const { errors, raw } = withoutCredentials(await readErrorBody(res.body), authorization)
        throw new AuthenticationError(
          `${req.registry} refused ${authorization === undefined ? 'anonymous access' : 'the credentials'} for ${req.method} ${stripQuery(res.url)}: ${errors.map((e) => e.message ?? e.code).join('; ') || raw.slice(0, 200) || 'unauthorized'}`,
          {
            suggestions: [
              authorization === undefined
                ? `log in first: ocibundle login ${req.registry}`
                : `log in again with credentials the registry takes: ocibundle login ${req.registry}`,
            ],
          },
        )
      }
      const retryAfter = headerValue(res.headers['retry-after'])
      const delay = retryable
        ? this.retry.delayFor(attempt, { status: res.status, ...(retryAfter !== undefined && { retryAfter }) })
        : undefined
      if (delay === undefined) {
        const { errors, raw } = withoutCredentials(await readErrorBody(res.body), authorization)
        const tlsPort = res.status === 400 && url.protocol === 'http:' && (await this.speaksTls(req.registry, raw))
        throw new RegistryResponseError(req.method, stripQuery(res.url), res.status, errors, raw, {
          ...(retryAfter !== undefined && { retryAfter }),
          ...(tlsPort && {
            suggestions: ['the registry speaks HTTPS: drop --plain-http (and pass --ca-file if its certificate is private)'],
          }),
        })
      }
      releaseBody(res.body)
      await sleep(delay, undefined, req.signal ? { signal: req.signal } : undefined)
    }
  }

  /** One HTTP exchange, following redirects; Authorization never goes to another origin. */
  private async send(req: RegistryRequest, startUrl: URL, authorization: string | undefined): Promise<RegistryResponse> {
    let url = startUrl
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': this.userAgent, ...req.headers }
      if (authorization !== undefined && url.origin === startUrl.origin) headers.authorization = authorization
      const body = typeof req.body === 'function' ? req.body() : req.body
      const res = await request(url, {
        method: req.method,
        headers,
        ...(body !== undefined && { body }),
        dispatcher: this.dispatcherFor(req.registry),
        ...requestTimeoutOptions(timeoutsOf(this.hostConfig(req.registry))),
        ...(req.signal && { signal: req.signal }),
      })
      const location = headerValue(res.headers.location)
      if (
        REDIRECTS.has(res.statusCode) &&
        location !== undefined &&
        (req.method === 'GET' || req.method === 'HEAD') &&
        hop < MAX_REDIRECTS
      ) {
        // Blob downloads are commonly redirected to object storage on another origin.
        releaseBody(res.body)
        url = new URL(location, url)
        if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OcibundleError(`refusing redirect to ${url.protocol} URL`)
        continue
      }
      return { status: res.statusCode, headers: res.headers, body: res.body, url: url.toString() }
    }
  }

  private buildUrl(origin: string, req: RegistryRequest): URL {
    const url = req.path.startsWith('/') ? new URL(origin + req.path) : sameOriginUrl(origin, req.path)
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.append(k, v)
    return url
  }

  /** The retry policy of this client, for callers that retry at a higher level (uploads, body reads). */
  get retryPolicy(): RetryPolicy {
    return this.retry
  }

  /**
   * New requests to `registry` go over new connections: the pool they used is retired (its
   * requests in flight finish, it is closed with the client). Called after content failed
   * verification, so that the retry does not reuse a connection (or a proxy's) that altered it.
   * Without effect on an injected dispatcher.
   */
  renewConnections(registry: string): void {
    const key = this.agentKey(registry)
    const agent = this.agents.get(key)
    if (agent === undefined) return
    this.agents.delete(key)
    this.retired.push(agent)
  }

  private agentKey(registry: string): string {
    const cfg = this.hostConfig(registry)
    return JSON.stringify([cfg.insecure === true, cfg.caFile, cfg.certFile, cfg.keyFile, cfg.proxy, timeoutsOf(cfg).connectMs])
  }

  /** The proxies of the environment this client was given (`proxies` of its options). */
  get proxies(): ProxyEnvironment | undefined {
    return this.options.proxies
  }

  private dispatcherFor(registry: string): Dispatcher {
    if (this.options.dispatcher) return this.options.dispatcher
    const cfg = this.hostConfig(registry)
    const key = this.agentKey(registry)
    let agent = this.agents.get(key)
    if (!agent) {
      const tls = {
        timeout: timeoutsOf(cfg).connectMs,
        ...(cfg.insecure && { rejectUnauthorized: false }),
        // Extra CAs are added to Node's own trust store, not put in its place: a registry with
        // a private CA may still send us to a token server with a public certificate.
        ...(cfg.caFile !== undefined && { ca: [...rootCertificates, readFileSync(cfg.caFile, 'utf8')] }),
        ...(cfg.certFile !== undefined && { cert: readFileSync(cfg.certFile, 'utf8') }),
        // Without a keyFile the key is in the certificate's file (checked by resolveHostConfigs).
        ...(cfg.certFile !== undefined && { key: readFileSync(cfg.keyFile ?? cfg.certFile, 'utf8') }),
      }
      agent = createDispatcher(tls, cfg.proxy, this.options.proxies ?? {})
      this.agents.set(key, agent)
    }
    return agent
  }

  /** Closes pooled connections; the client must not be used afterwards. */
  async close(): Promise<void> {
    await Promise.all([...this.agents.values(), ...this.retired].map((a) => a.close()))
    this.agents.clear()
    this.retired.length = 0
  }
}

/**
 * Resolves a `Location` header against the registry origin and refuses any other origin: an
 * upload URL on a foreign host would receive our credentials and content (oras-go GHSA notes).
 */
export function sameOriginUrl(origin: string, location: string): URL {
  const url = new URL(location, origin)
  if (url.origin !== new URL(origin).origin) {
    throw new OcibundleError(`the registry sent a Location on another origin (${url.origin}); refusing to follow it`)
  }
  return url
}

/**
 * Frees a response body that will not be read. undici's body emits RequestAbortedError when it
 * is destroyed unread; without a listener that would be an uncaught exception.
 */
export function releaseBody(body: Readable): void {
  body.on('error', () => {})
  body.destroy()
}

/** The first value of a response header, which undici gives as an array when it was repeated. */
export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

/**
 * An error body with our credentials cut out: some registries and proxies echo the request's
 * Authorization header or token in their error text, which would otherwise end up in messages.
 */
function withoutCredentials<T>(body: T, authorization: string | undefined): T {
  if (authorization === undefined) return body
  const credential = authorization.slice(authorization.indexOf(' ') + 1)
  const secrets = [credential]
  if (/^basic /i.test(authorization)) {
    const decoded = Buffer.from(credential, 'base64').toString('utf8')
    secrets.push(decoded, decoded.slice(decoded.indexOf(':') + 1))
  }
  let json = JSON.stringify(body)
  // Longest first, so a password inside the decoded `user:password` does not break its match.
  for (const secret of secrets.sort((a, b) => b.length - a.length))
    if (secret.length >= 4) json = json.split(JSON.stringify(secret).slice(1, -1)).join('***')
  return JSON.parse(json) as T
}

function isExpected(status: number, expect: readonly number[] | undefined): boolean {
  return expect === undefined ? status >= 200 && status < 300 : expect.includes(status)
}

function stripQuery(url: string): string {
  const i = url.indexOf('?')
  return i === -1 ? url : url.slice(0, i)
}
