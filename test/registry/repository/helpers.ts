/**
 * Shared set-up of the RegistryRepository tests: one real registry (distribution 2.8, plain
 * HTTP) and a fault proxy in front of it per test file, clients with fast retries, fresh
 * repository names, the proxy's request log in a comparable form, and a way for a proxy
 * intercept hook to forward a request with changes (to emulate other registries' behaviour on
 * top of the real one).
 */
import type { IncomingMessage } from 'node:http'
import { after, afterEach, before } from 'node:test'
import { request } from 'undici'
import { RegistryClient } from '../../../src/registry/http/client.js'
import { backoffPolicy, type RetryPolicy } from '../../../src/registry/http/retry.js'
import { RegistryRepository, type RegistryRepositoryOptions } from '../../../src/registry/repository.js'
import { image, type Content } from '../../helpers/content.js'
import { startFaultProxy, type FaultProxy, type InterceptContext, type ProxyRequestRecord } from '../../helpers/registry/fault-proxy.js'
import { startRegistry, type RunningRegistry } from '../../helpers/registry/server.js'

/** A proxy intercept hook: true when it answered the request itself. */
export type Intercept = (req: IncomingMessage, ctx: InterceptContext) => Promise<boolean>

export interface TestRegistry {
  registry: RunningRegistry
  proxy: FaultProxy
  /** The proxy's intercept hook for the current test (cleared after each test, with the faults). */
  intercept: Intercept | undefined
  /** A repository on the registry itself (no proxy). */
  direct(repository: string, options?: RegistryRepositoryOptions): RegistryRepository
  /** A repository reached through the fault proxy. */
  proxied(repository: string, options?: RegistryRepositoryOptions, retry?: RetryPolicy): RegistryRepository
}

/** Retries without waiting long: tests should not sleep through backoff. */
export const fastRetry = (): RetryPolicy => backoffPolicy({ baseMs: 1, maxDelayMs: 20 })

/**
 * Starts a registry and a proxy before the file's tests and stops them after. The returned object
 * is filled in by the `before` hook. Faults and the intercept hook are cleared after each test;
 * clients are closed after the file.
 */
export function useRegistry(): TestRegistry {
  const clients: RegistryClient[] = []
  const client = (retry: RetryPolicy): RegistryClient => {
    const c = new RegistryClient({ retry })
    clients.push(c)
    return c
  }
  const env = { intercept: undefined } as TestRegistry
  before(async () => {
    env.registry = await startRegistry('plain')
    env.proxy = await startFaultProxy(env.registry, { intercept: (req, ctx) => env.intercept?.(req, ctx) ?? Promise.resolve(false) })
    const directClient = client(fastRetry())
    const proxyClient = client(fastRetry())
    env.direct = (repository, options) => new RegistryRepository({ registry: env.registry.host, repository }, directClient, options)
    env.proxied = (repository, options, retry) =>
      new RegistryRepository({ registry: env.proxy.host, repository }, retry ? client(retry) : proxyClient, options)
  })
  afterEach(() => {
    env.proxy.clearFaults()
    env.intercept = undefined
  })
  after(async () => {
    await Promise.all(clients.map((c) => c.close()))
    await env.proxy?.stop()
    await env.registry?.stop()
  })
  return env
}

let repositories = 0
/** A repository name no other test uses. */
export function freshRepository(prefix = 'test'): string {
  return `${prefix}/r${++repositories}`
}

/** Pushes contents in order (children before parents). */
export async function pushAll(repo: RegistryRepository, ...contents: Content[]): Promise<void> {
  for (const c of contents) await repo.push(c.desc, c.bytes)
}

/**
 * A fresh repository reached through the proxy, holding `image(label)` (config, layer and
 * manifest), its manifest tagged `tag` when one is given.
 */
export async function proxiedImage(
  env: TestRegistry,
  prefix: string,
  label: string,
  tag?: string,
): Promise<{ name: string; img: ReturnType<typeof image>; repo: RegistryRepository }> {
  const name = freshRepository(prefix)
  const img = image(label)
  const repo = env.proxied(name)
  await pushAll(repo, img.config, img.layer, img.manifest)
  if (tag !== undefined) await repo.tag(img.manifest.desc, tag)
  return { name, img, repo }
}

/** `METHOD /path` of each logged request, without the query (upload state tokens differ per run). */
export function requestLines(records: readonly ProxyRequestRecord[]): string[] {
  return records.map((r) => `${r.method} ${r.path.replace(/\?.*$/, '')}`)
}

/** Requests logged while `action` ran. */
export async function logged(proxy: FaultProxy, action: () => Promise<unknown>): Promise<ProxyRequestRecord[]> {
  const start = proxy.requests.length
  await action()
  return proxy.requests.slice(start)
}

/** One exchange as an intercept hook may rewrite it. */
export interface Exchange {
  status: number
  headers: Record<string, string>
  body: Buffer
}

export interface ForwardChanges {
  /** Request headers to set (a value of `undefined` removes the header). */
  requestHeaders?: Record<string, string | undefined>
  /** Rewrites the upstream answer before the client gets it. */
  response?: (answer: Exchange) => Exchange
}

/**
 * Forwards `req` to the upstream registry with `changes` applied and answers the client, with
 * absolute Locations pointing at the proxy as the proxy itself does. For intercept hooks.
 */
export async function forwardChanged(req: IncomingMessage, ctx: InterceptContext, changes: ForwardChanges = {}): Promise<void> {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers))
    if (typeof v === 'string' && !['host', 'connection', 'transfer-encoding'].includes(k)) headers[k] = v
  for (const [k, v] of Object.entries(changes.requestHeaders ?? {})) {
    if (v === undefined) delete headers[k]
    else headers[k] = v
  }
  const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await ctx.body()
  const up = await request(new URL(req.url ?? '/', ctx.upstream), {
    method: req.method as 'GET',
    headers,
    ...(body !== undefined && { body }),
  })
  const upHeaders: Record<string, string> = {}
  for (const [k, v] of Object.entries(up.headers))
    if (typeof v === 'string' && !['connection', 'transfer-encoding', 'keep-alive'].includes(k)) upHeaders[k] = v
  if (upHeaders.location?.startsWith(ctx.upstream.origin))
    upHeaders.location = ctx.proxyUrl + upHeaders.location.slice(ctx.upstream.origin.length)
  let answer: Exchange = { status: up.statusCode, headers: upHeaders, body: Buffer.from(await up.body.arrayBuffer()) }
  if (changes.response) answer = changes.response(answer)
  if (req.method !== 'HEAD') answer.headers['content-length'] = String(answer.body.length)
  ctx.res.writeHead(answer.status, answer.headers)
  ctx.res.end(req.method === 'HEAD' ? undefined : answer.body)
}
