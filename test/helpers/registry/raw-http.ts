/**
 * Raw HTTP against a test registry, with no registry client in between: for tests of the harness
 * itself and for seeding registries with content a test then reads with the real client.
 * node:http/https rather than fetch, because fetch cannot be given a CA (the `tls` variant).
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
  text(): string
  json<T = unknown>(): T
}

/** The rejection of {@link rawRequest} when the connection dies mid-body: what did arrive. */
export interface IncompleteBodyError extends Error {
  code: 'ERR_BODY_INCOMPLETE'
  status: number
  headers: IncomingHttpHeaders
  partial: Buffer
}

export interface RawRequestOptions {
  method?: string
  headers?: OutgoingHttpHeaders
  body?: Buffer | string
  /** PEM CA(s) to trust for https (replaces the default trust store, like node's `ca`). */
  ca?: string | Buffer
  timeoutMs?: number
}

/**
 * One request on a fresh connection (no agent: a fault injected on one request cannot leak into
 * the next through a pooled socket). Rejects on connection errors and on a body cut short, so
 * tests can assert on truncation and resets.
 */
export function rawRequest(url: string | URL, options: RawRequestOptions = {}): Promise<RawResponse> {
  const target = typeof url === 'string' ? new URL(url) : url
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    // Once the head has arrived, connection errors are reported by the response's 'close'.
    let responded = false
    const req = send(
      target,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
        timeout: options.timeoutMs ?? 15_000,
        ...(options.ca ? { ca: options.ca } : {}),
      },
      (res) => {
        responded = true
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        // A connection that dies mid-body surfaces as an 'error' (ECONNRESET "aborted") and/or an
        // incomplete 'close': both become one IncompleteBodyError, with the bytes that arrived.
        let cause: Error | undefined
        res.on('error', (err) => (cause = err))
        res.on('close', () => {
          if (!res.complete) {
            const partial = Buffer.concat(chunks)
            const error = new Error(`response body cut short after ${partial.length} bytes (status ${res.statusCode})`, { cause })
            reject(Object.assign(error, { code: 'ERR_BODY_INCOMPLETE', status: res.statusCode, headers: res.headers, partial }))
            return
          }
          const body = Buffer.concat(chunks)
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            text: () => body.toString('utf8'),
            json: <T>() => JSON.parse(body.toString('utf8')) as T,
          })
        })
      },
    )
    req.on('timeout', () =>
      req.destroy(new Error(`timeout after ${options.timeoutMs ?? 15_000} ms: ${options.method ?? 'GET'} ${target.href}`)),
    )
    req.on('error', (err) => {
      if (!responded) reject(err)
    })
    req.end(options.body)
  })
}

/** `sha256:<hex>` of `data`. */
export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}

/** `Authorization` value for Basic credentials. */
export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
}

/** What the raw helpers need to reach a registry: its URL, and its CA for https. */
export interface RegistryEndpoint {
  url: string
  caFile?: string
}

function caOf(target: RegistryEndpoint): string | undefined {
  return target.caFile ? readFileSync(target.caFile, 'utf8') : undefined
}

/** Sends a request to `path` (starting with `/v2/`, or an absolute URL such as an upload Location). */
export function registryRequest(target: RegistryEndpoint, path: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  return rawRequest(new URL(path, target.url), { ca: caOf(target), ...options })
}

/**
 * Fetches a bearer token from `realm` (GET flow) for `scopes`, as `username`/`password` or
 * anonymously. Returns the token, or throws with the issuer's answer.
 */
export async function fetchToken(
  realm: string,
  service: string,
  scopes: readonly string[],
  creds?: { username: string; password: string },
): Promise<string> {
  const url = new URL(realm)
  url.searchParams.set('service', service)
  for (const scope of scopes) url.searchParams.append('scope', scope)
  const res = await rawRequest(url, { headers: creds ? { authorization: basicAuth(creds.username, creds.password) } : {} })
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text()}`)
  return res.json<{ token: string }>().token
}

/**
 * Uploads `data` into `repo` the way distribution 2.8 supports monolithically: POST an upload
 * session, then PUT `<Location>&digest=` with the whole body. Returns the digest.
 * @throws Error with the status and body when the registry does not answer 202 / 201.
 */
export async function pushBlob(
  target: RegistryEndpoint,
  repo: string,
  data: Buffer | string,
  headers: OutgoingHttpHeaders = {},
): Promise<string> {
  const digest = sha256(data)
  const post = await registryRequest(target, `/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { ...headers, 'content-length': 0 } })
  if (post.status !== 202) throw new Error(`POST blob upload: ${post.status} ${post.text()}`)
  const location = new URL(String(post.headers.location), target.url)
  location.searchParams.set('digest', digest)
  const put = await registryRequest(target, location.href, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': Buffer.byteLength(data) },
    body: data,
  })
  if (put.status !== 201) throw new Error(`PUT blob: ${put.status} ${put.text()}`)
  return digest
}

/** PUTs manifest bytes under `reference` (tag or digest) with `mediaType` as Content-Type. Returns the digest. */
export async function pushManifest(
  target: RegistryEndpoint,
  repo: string,
  reference: string,
  manifest: Buffer | string,
  mediaType: string,
  headers: OutgoingHttpHeaders = {},
): Promise<string> {
  const res = await registryRequest(target, `/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': mediaType, 'content-length': Buffer.byteLength(manifest) },
    body: manifest,
  })
  if (res.status !== 201) throw new Error(`PUT manifest ${repo}:${reference}: ${res.status} ${res.text()}`)
  return sha256(manifest)
}
