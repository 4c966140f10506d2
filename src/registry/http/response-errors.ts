/**
 * Errors from registry responses. The distribution spec's JSON error format is parsed when the
 * body has it; otherwise the start of the raw body is kept (Docker Hub's `{"details":…}`, HTML
 * pages from proxies). Bodies are read with a bound because they come from the network.
 * Reference: https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#error-codes
 */
import type { Readable } from 'node:stream'
import { OcibundleError, type ErrorOptions } from '../../errors.js'

/** Error bodies are small; anything longer is cut (ggcr reads 64 KiB, oras 8 KiB). */
export const MAX_ERROR_BODY_BYTES = 64 * 1024

/** One entry of the `errors` list of a registry's error body (distribution spec "Error Codes"). */
export interface RegistryErrorDetail {
  /** The spec's error code, e.g. `MANIFEST_UNKNOWN`, `DENIED`; `UNKNOWN` for Docker Hub's `{"details":…}` bodies. */
  code: string
  /** Human-readable text from the registry. */
  message?: string
  /** Whatever further detail the registry gave, unparsed. */
  detail?: unknown
}

/** A non-2xx answer from a registry, with its parsed error codes. */
export class RegistryResponseError extends OcibundleError {
  override readonly code: string = 'ERR_REGISTRY_RESPONSE'
  /** The answer's `Retry-After` header, for a caller that retries at a higher level. */
  readonly retryAfter?: string
  constructor(
    /** The request's HTTP method. */
    readonly method: string,
    /** The request URL without query string (queries can carry upload state). */
    readonly url: string,
    /** The HTTP status of the answer. */
    readonly status: number,
    /** The errors of the body in the spec's format; empty when it had none. */
    readonly errors: readonly RegistryErrorDetail[],
    /** The start of a body that was not in the spec's format, for the message. */
    readonly rawBody = '',
    options: ErrorOptions & { retryAfter?: string } = {},
  ) {
    super(formatRegistryError(method, url, status, errors, rawBody), options)
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter
  }

  /** Whether the registry's error body holds any of `codes` (e.g. `hasCode('DIGEST_INVALID', 'SIZE_INVALID')`). */
  hasCode(...codes: string[]): boolean {
    return this.errors.some((e) => codes.includes(e.code))
  }

  /** Worth retrying later: rate limits, timeouts and server-side failures. */
  get temporary(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500 || this.hasCode('TOOMANYREQUESTS', 'UNAVAILABLE')
  }
}

/** The registry refused our credentials, or we have none for it. */
export class AuthenticationError extends OcibundleError {
  override readonly code: string = 'ERR_AUTH'
}

/** Something answers on the registry's address, but not as a registry (HTML, no API version header, no OCI error body). */
export class NotARegistryError extends OcibundleError {
  override readonly code: string = 'ERR_NOT_A_REGISTRY'
  constructor(
    /** The registry as references name it. */
    readonly registry: string,
    /** The URL of the API version check that decided it. */
    readonly url: string,
    /** Its HTTP status. */
    readonly status: number,
    /** What it answered with: its content type and, for an HTML page, its title. */
    readonly answer: string,
  ) {
    super(
      `${registry} does not answer as a container registry: GET ${url} answered ${status}${answer ? ` with ${answer}` : ''}, not the registry API (no Docker-Distribution-API-Version header, no registry error body)`,
      {
        suggestions: [
          `check the host and port: a registry answers GET ${url} with 200 or 401`,
          'if a web server or proxy is in front of the registry, check that it passes /v2/ on to the registry',
          'on Nexus, use the port or host of the Docker connector: the registry API must be at /v2/ on the root of a host (NEXUS-3)',
        ],
      },
    )
  }
}

function formatRegistryError(method: string, url: string, status: number, errors: readonly RegistryErrorDetail[], raw: string): string {
  const title = /^\s*(<!doctype html|<html)/i.test(raw) ? htmlTitle(raw) : undefined
  const what =
    errors.length > 0
      ? errors.map((e) => (e.message ? `${e.code}: ${e.message}` : e.code)).join('; ')
      : title !== undefined || /^\s*(<!doctype html|<html)/i.test(raw)
        ? `an HTML page${title !== undefined ? ` ("${title}")` : ''}, not a registry error`
        : raw.trim().slice(0, 200) || 'no details'
  return `${method} ${url} answered ${status}: ${what}`
}

/** The `<title>` of an HTML page, white space collapsed, at most 120 characters; undefined when there is none. */
export function htmlTitle(text: string): string | undefined {
  const m = /<title[^>]*>([^<]*)<\/title>/i.exec(text)
  const title = m?.[1]?.replace(/\s+/g, ' ').trim()
  return title ? title.slice(0, 120) : undefined
}

/** Reads at most MAX_ERROR_BODY_BYTES of an error body and parses the spec's error format. */
export async function readErrorBody(body: Readable): Promise<{ errors: RegistryErrorDetail[]; raw: string }> {
  const chunks: Buffer[] = []
  let total = 0
  try {
    for await (const chunk of body) {
      const buf = Buffer.from(chunk as Uint8Array)
      chunks.push(buf.subarray(0, MAX_ERROR_BODY_BYTES - total))
      total += buf.length
      if (total >= MAX_ERROR_BODY_BYTES) break
    }
  } catch {
    // A body that breaks off still tells us the status; keep what arrived.
  } finally {
    body.destroy()
  }
  const raw = Buffer.concat(chunks).toString('utf8')
  return { errors: parseErrors(raw), raw }
}

function parseErrors(raw: string): RegistryErrorDetail[] {
  let doc: unknown
  try {
    doc = JSON.parse(raw)
  } catch {
    return []
  }
  const list = (doc as { errors?: unknown } | null)?.errors
  if (Array.isArray(list)) {
    return list
      .filter(
        (e): e is Record<string, unknown> => typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string',
      )
      .map((e) => ({
        code: e.code as string,
        ...(typeof e.message === 'string' && { message: e.message }),
        ...(e.detail !== undefined && { detail: e.detail }),
      }))
  }
  // Docker Hub answers some 400s with {"details": "..."} (HUB-6).
  const details = (doc as { details?: unknown } | null)?.details
  return typeof details === 'string' ? [{ code: 'UNKNOWN', message: details }] : []
}
