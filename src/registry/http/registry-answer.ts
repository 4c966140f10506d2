/**
 * Telling a registry from something else on the same address: a web server on the wrong port, a
 * proxy's HTML error page, a repository manager that serves its Docker API on another port.
 * Without this, such an answer turns into a misleading "manifest not found" or an HTML page
 * printed once per image.
 *
 * Registries answer the API version check `GET /v2/` with 200 or 401 (distribution spec,
 * "Determining support": https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#determining-support),
 * send `Docker-Distribution-API-Version: registry/2.0` on their answers (distribution does on every
 * one: https://github.com/distribution/distribution/blob/v2.8.2/registry/handlers/app.go) and
 * write errors as a JSON body with an `errors` list. An answer with none of that where a
 * registry would have answered (see unlikeRegistry) is suspicious; `GET /v2/` then decides,
 * once per registry and client.
 */
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import { htmlTitle, NotARegistryError, readErrorBody } from './response-errors.js'
import { request } from './undici.js'

/** The parts of a response the check looks at. */
export interface AnswerHead {
  status: number
  headers: Record<string, string | string[] | undefined>
}

/**
 * Whether an answer from the registry's own origin is unlike a registry's, without the API
 * version header: a web page where the API answers (2xx HTML), a "not found" that is no
 * registry error body (404 without JSON), or a 401 that is no challenge. Other refusals (400,
 * 413, 5xx) come as often from a proxy in front of a real registry and are left to the caller.
 */
export function unlikeRegistry(res: AnswerHead): boolean {
  if (first(res.headers['docker-distribution-api-version']) !== undefined) return false
  const type = (first(res.headers['content-type']) ?? '').toLowerCase()
  if (res.status >= 200 && res.status < 300) return type.includes('html')
  if (type.includes('json')) return false
  return res.status === 404 || (res.status === 401 && first(res.headers['www-authenticate']) === undefined)
}

/**
 * Asks `GET <origin>/v2/` and returns NotARegistryError when the answer is not the registry
 * API, undefined when it is, or when no answer came (the network error will show elsewhere).
 * `limits` are the host's time limits (requestTimeoutOptions): a server that never answers the
 * check must not hold the command forever.
 */
export async function checkRegistryApi(
  registry: string,
  origin: string,
  dispatcher: Dispatcher,
  userAgent: string,
  limits: { headersTimeout: number; bodyTimeout: number },
  signal?: AbortSignal,
): Promise<NotARegistryError | undefined> {
  const url = `${origin}/v2/`
  let res: Dispatcher.ResponseData
  try {
    res = await request(url, { method: 'GET', headers: { 'user-agent': userAgent }, dispatcher, ...limits, ...(signal && { signal }) })
  } catch {
    return undefined
  }
  const { raw } = await readErrorBody(res.body as Readable)
  const head = { status: res.statusCode, headers: res.headers }
  const type = (first(res.headers['content-type']) ?? '').split(';')[0]!.trim()
  const challenge = res.statusCode === 401 && first(res.headers['www-authenticate']) !== undefined
  // A server error says nothing about what the server is; the request's own error will show.
  if (hasApiHeader(head) || challenge || res.statusCode >= 500) return undefined
  if (res.statusCode === 200 && !type.includes('html')) return undefined
  const title = type.includes('html') ? htmlTitle(raw) : undefined
  return new NotARegistryError(registry, url, res.statusCode, [type, title && `the page "${title}"`].filter(Boolean).join(', '))
}

function hasApiHeader(res: AnswerHead): boolean {
  return first(res.headers['docker-distribution-api-version']) !== undefined
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}
