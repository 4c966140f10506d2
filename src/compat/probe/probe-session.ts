/**
 * One probe run: the client, the repositories it writes to, the answers so far, and what it
 * pushed (for the clean-up). Requests go through the one RegistryClient (auth, TLS, retries of
 * 429/5xx); a registry refusal comes back as an Answer instead of an exception, because for a
 * probe a refusal is a result (docs/registries.md, "`registry check` and its report").
 */
import { randomBytes } from 'node:crypto'
import { readBounded } from '../../util/streams.js'
import { messageOf } from '../../errors.js'
import type { Descriptor } from '../../oci/descriptor.js'
import { MAX_MANIFEST_BYTES } from '../../oci/manifest.js'
import { isManifest } from '../../oci/media-types.js'
import { headerValue, type HttpMethod, type RegistryClient, type RequestBody } from '../../registry/http/client.js'
import { AuthenticationError, RegistryResponseError } from '../../registry/http/response-errors.js'
import { unknownCapabilities, type Capability, type CapabilityResult, type Evidence, type Support } from '../capabilities.js'
import { classifyPushError, evidenceOf } from '../classify.js'

/** A registry's answer as a probe sees it; status 0 when no answer came (network error). */
export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** The body of a 2xx answer (bounded to 4 MiB); empty otherwise. */
  body: Buffer
  /** `request`, `status`, `codes` and the registry's message, ready for a report. */
  evidence: Evidence
  /** The error codes of a refusal. */
  codes: string[]
  /** What the client threw for a refusal or a lost connection (for classifyPushError). */
  error?: unknown
}

export interface ProbeRequest {
  method: HttpMethod
  /** Path under the registry (`/v2/…`), or an absolute same-origin URL (a Location). */
  path: string
  query?: Record<string, string | undefined>
  headers?: Record<string, string>
  body?: RequestBody
  /** The token scopes, as whole scope strings; see ProbeSession.scopes. */
  scopes: readonly string[]
}

/** Something the probe pushed, so it can be deleted at the end. */
export interface Pushed {
  repository: string
  desc: Descriptor
  /** Tags it was pushed or tagged under. */
  tags: string[]
}

export class ProbeSession {
  /** Every capability's answer so far. */
  readonly results: Record<Capability, CapabilityResult> = unknownCapabilities()
  /** Manifests pushed, in push order (children before parents). */
  readonly manifests: Pushed[] = []
  /** Blobs pushed, in push order. */
  readonly blobs: Pushed[] = []
  /** A short random id: scratch repository and tag names carry it, so runs never collide. */
  readonly runId = randomBytes(4).toString('hex')
  /** The repository every probe writes to (set by the P0 step). */
  repository = ''
  /** A second repository for the mount probe; undefined when the registry does not create repositories. */
  mountRepository: string | undefined

  constructor(
    readonly client: RegistryClient,
    /** Registry as written in references. */
    readonly registry: string,
    readonly signal: AbortSignal | undefined,
  ) {}

  /** A tag for this run: `ocibundle-probe-<run>-<label>`. */
  tag(label: string): string {
    return `ocibundle-probe-${this.runId}-${label}`
  }

  /** Token scopes for `actions` on `repository` (default the probe repository). */
  scopes(actions: 'pull' | 'pull,push' | 'delete', repository = this.repository): string[] {
    return [`repository:${repository}:${actions}`]
  }

  /** Records an answer; a later record of the same capability replaces it. */
  record(capability: Capability, support: Support, evidence: Evidence): void {
    this.results[capability] = { support, evidence }
  }

  support(capability: Capability): Support {
    return this.results[capability].support
  }

  /** Notes pushed content for the clean-up (a manifest pushed again under another tag adds the tag). */
  pushed(repository: string, desc: Descriptor, tag?: string): void {
    const list = isManifest(desc.mediaType) ? this.manifests : this.blobs
    let entry = list.find((p) => p.repository === repository && p.desc.digest === desc.digest)
    if (!entry) {
      entry = { repository, desc, tags: [] }
      list.push(entry)
    }
    if (tag !== undefined && !entry.tags.includes(tag)) entry.tags.push(tag)
  }

  /**
   * Sends one request. 2xx answers come back with their body read (4 MiB at most); refusals
   * (4xx, 5xx after the client's retries, 401 after the challenge) come back as answers with
   * their codes; a network failure is an answer with status 0. Only an abort throws.
   */
  async send(req: ProbeRequest): Promise<Answer> {
    const request = `${req.method} ${pathOnly(req.path)}`
    try {
      const res = await this.client.request({ registry: this.registry, ...req, ...(this.signal && { signal: this.signal }) })
      const body = await readBounded(res.body, MAX_MANIFEST_BYTES, `the answer to ${request}`)
      return { status: res.status, headers: res.headers, body, evidence: { request, status: res.status }, codes: [] }
    } catch (err) {
      if (this.signal?.aborted) throw err
      if (err instanceof RegistryResponseError) {
        const evidence = { ...evidenceOf(err), request }
        return { status: err.status, headers: {}, body: Buffer.alloc(0), evidence, codes: evidence.codes ?? [], error: err }
      }
      if (err instanceof AuthenticationError) {
        return {
          status: 401,
          headers: {},
          body: Buffer.alloc(0),
          evidence: { request, status: 401, note: err.message },
          codes: [],
          error: err,
        }
      }
      return {
        status: 0,
        headers: {},
        body: Buffer.alloc(0),
        evidence: { request, note: `no answer: ${messageOf(err)}` },
        codes: [],
        error: err,
      }
    }
  }
}

/** A header of an answer (first value). */
export function answerHeader(answer: Answer, name: string): string | undefined {
  return headerValue(answer.headers[name])
}

/**
 * Whether an answer that is not the expected success says nothing about the capability:
 * credentials (401/403), rate limits, server errors and lost connections.
 */
function saysNothing(answer: Answer): boolean {
  return answer.status === 0 || answer.status === 401 || answer.status === 403 || answer.status === 429 || answer.status >= 500
}

/** `supported` when `ok`, `unknown` when the answer says nothing, else `unsupported`. */
export function judge(ok: boolean, answer: Answer): Support {
  if (ok) return 'supported'
  return saysNothing(answer) ? 'unknown' : 'unsupported'
}

/**
 * Support from a manifest PUT, judged as the publisher's fallbacks would: unsupported exactly
 * when classifyPushError calls the refusal a reason to try another representation; `unknown`
 * for credentials, a missing repository or blob, or server trouble.
 */
export function manifestSupport(ok: boolean, answer: Answer): Support {
  if (ok) return 'supported'
  // Accepted, but not the bytes sent (see putManifest): the representation does not survive.
  if (answer.status === 201) return 'unsupported'
  return answer.error !== undefined && classifyPushError(answer.error).fallback ? 'unsupported' : 'unknown'
}

/** The path of a path or URL, without query, upload ids shown as `<session>` (upload state stays out of reports). */
function pathOnly(path: string): string {
  const noQuery = path.split('?')[0]!
  return (noQuery.startsWith('/') ? noQuery : new URL(noQuery).pathname).replace(/\/blobs\/uploads\/.+$/, '/blobs/uploads/<session>')
}

/** `e` with `text` added to its note. */
export function withNote(e: Evidence, text: string): Evidence {
  return { ...e, note: e.note ? `${e.note}; ${text}` : text }
}
