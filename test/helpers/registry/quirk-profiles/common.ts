/**
 * What the quirk profiles share: the profile shape, routing of `/v2/` paths, answering with a
 * registry's error, reading a manifest PUT, and forwarding with a rewritten answer.
 *
 * Error bodies are the ones the sources of docs/evidence.md quote where they have them. Where the
 * evidence only records a status, the body is a distribution-style error whose message starts with
 * "quirk proxy" and says so: nothing here pretends to be a quotation it is not.
 */
import type { IncomingMessage } from 'node:http'
import { request, type Dispatcher } from 'undici'
import type { Capability } from '../../../../src/compat/capabilities.js'
import type { InterceptContext } from '../fault-proxy.js'

export type QuirkProfileName =
  | 'dockerhub-2019'
  | 'ecr'
  | 'ecr-2019'
  | 'gcr'
  | 'quay'
  | 'nexus-2020'
  | 'ghcr'
  | 'github-packages-2020'
  | 'referrers-api'
  | 'gitlab'
  | 'tag-required'
  | 'harbor-1.10'
  | 'artifactory-2025'
  | 'acr'

/** How a registry refuses a manifest pushed without a tag (`tag-required`, see tag-required.ts). */
export type UntaggedRefusal = 'TAG_INVALID' | 'MANIFEST_INVALID' | 'UNSUPPORTED'

/** State one proxy keeps across requests. */
export interface QuirkState {
  /** Repositories that exist (ECR profiles: created with QuirkProxy.createRepository). */
  repositories: Set<string>
  /** ECR: the `Range` of each upload's first PATCH, by upload id (ECR-4). */
  firstRanges: Map<string, string>
  /** For forwarding by hand (TLS upstreams need their CA). */
  dispatcher: Dispatcher | undefined
  /** `referrers-api`, `acr`: the referrers pushed through the proxy, by repository and subject digest. */
  referrers: Map<string, Map<string, ReferrerEntry[]>>
  /** `tag-required`: the form of the refusal. */
  untaggedRefusal: UntaggedRefusal
}

/** A referrer as the referrers API lists it. */
export interface ReferrerEntry {
  mediaType: string
  digest: string
  size: number
  artifactType?: string
  annotations?: Record<string, string>
}

export interface QuirkProfile {
  name: QuirkProfileName
  /** What the profile emulates, with evidence ids (docs/evidence.md). */
  summary: string
  /** Capabilities (src/compat) the probe must find unsupported here, beyond distribution 2.8's own. */
  disables: readonly Capability[]
  /** Capabilities the probe cannot measure here as a consequence (e.g. no second repository). */
  unknowable: readonly Capability[]
  /** Capabilities the probe must find supported here although distribution 2.8 lacks them. */
  enables?: readonly Capability[]
  /** Answers a request itself (true) or lets the proxy forward it (false); see InterceptContext. */
  handle(req: IncomingMessage, ctx: InterceptContext, state: QuirkState): Promise<boolean>
}

export interface Route {
  /** Repository name. */
  name: string
  endpoint: 'manifests' | 'blobs' | 'uploads' | 'tags' | 'referrers'
  /** Tag, digest or upload id after the endpoint (empty when none). */
  reference: string
}

const ROUTE = /^\/v2\/(.+?)\/(manifests|blobs\/uploads|blobs|tags|referrers)(?:\/([^?]*))?(?:\?.*)?$/

/** The repository and endpoint of a `/v2/<name>/…` path; undefined for `/v2/` and other paths. */
export function routeOf(req: IncomingMessage): Route | undefined {
  const m = ROUTE.exec(req.url ?? '')
  if (!m) return undefined
  const endpoint = m[2] === 'blobs/uploads' ? 'uploads' : (m[2] as Route['endpoint'])
  return { name: m[1]!, endpoint, reference: m[3] ?? '' }
}

/** Answers with `status` and a JSON (object) or text (string) body, after reading the request body (no EPIPE for the client). */
export async function reply(
  req: IncomingMessage,
  ctx: InterceptContext,
  status: number,
  body: object | string,
  headers: Record<string, string> = {},
): Promise<true> {
  await ctx.body()
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  ctx.res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'docker-distribution-api-version': 'registry/2.0',
    ...headers,
  })
  ctx.res.end(req.method === 'HEAD' ? undefined : text)
  return true
}

/** A distribution-style error body. */
export function errorBody(code: string, message: string, detail?: unknown): object {
  return { errors: [{ code, message, ...(detail !== undefined && { detail }) }] }
}

/** The body of a manifest PUT, parsed (undefined when it is not JSON), with its Content-Type. */
export async function manifestPut(
  req: IncomingMessage,
  ctx: InterceptContext,
): Promise<{ mediaType: string; doc: Record<string, unknown> | undefined }> {
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim()
  try {
    const doc = JSON.parse((await ctx.body()).toString('utf8')) as unknown
    return { mediaType, doc: typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined }
  } catch {
    return { mediaType, doc: undefined }
  }
}

export const INDEX_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']
export const IMAGE_MANIFEST_TYPES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json']

/** `oci` or `docker` for the four manifest types, undefined for anything else. */
export function familyOf(mediaType: unknown): 'oci' | 'docker' | undefined {
  if (typeof mediaType !== 'string') return undefined
  if (mediaType.startsWith('application/vnd.oci.image.'))
    return mediaType.endsWith('manifest.v1+json') || mediaType.endsWith('index.v1+json') ? 'oci' : undefined
  return mediaType === INDEX_TYPES[1] || mediaType === IMAGE_MANIFEST_TYPES[1] ? 'docker' : undefined
}

/**
 * Forwards the request upstream (with its buffered body; to `path` when given) and answers the
 * client with `rewrite` applied to the upstream's status and headers; absolute Locations are
 * pointed at the proxy, as the fault proxy does.
 */
export async function forwardRewritten(
  req: IncomingMessage,
  ctx: InterceptContext,
  state: QuirkState,
  rewrite: (answer: { status: number; headers: Record<string, string> }) => { status: number; headers: Record<string, string> },
  path: string = req.url ?? '/',
): Promise<true> {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers))
    if (typeof v === 'string' && !['host', 'connection', 'transfer-encoding', 'content-length'].includes(k)) headers[k] = v
  const body = await ctx.body()
  const up = await request(new URL(path, ctx.upstream), {
    method: req.method as Dispatcher.HttpMethod,
    headers,
    ...(req.method !== 'GET' && req.method !== 'HEAD' && { body }),
    ...(state.dispatcher && { dispatcher: state.dispatcher }),
  })
  const upHeaders: Record<string, string> = {}
  for (const [k, v] of Object.entries(up.headers))
    if (typeof v === 'string' && !['connection', 'transfer-encoding', 'keep-alive'].includes(k)) upHeaders[k] = v
  if (upHeaders.location?.startsWith(ctx.upstream.origin))
    upHeaders.location = ctx.proxyUrl + upHeaders.location.slice(ctx.upstream.origin.length)
  const upBody = Buffer.from(await up.body.arrayBuffer())
  const answer = rewrite({ status: up.statusCode, headers: upHeaders })
  if (req.method !== 'HEAD') answer.headers['content-length'] = String(upBody.length)
  ctx.res.writeHead(answer.status, answer.headers)
  ctx.res.end(req.method === 'HEAD' ? undefined : upBody)
  return true
}
