/**
 * When to try a request again: 408, 429 and 5xx answers and network errors, with exponential
 * backoff and full jitter, honouring Retry-After (seconds or HTTP date), bounded in count and in
 * total waiting time. Only requests whose body can be sent again are ever retried (the client
 * checks that). Policy after oras-go retry/policy.go.
 */

import { RegistryResponseError } from './response-errors.js'
import { isTransportFailure, NetworkError } from './transport-errors.js'

/** How an attempt ended, as a RetryPolicy is told. */
export interface RetryOutcome {
  /** HTTP status, when an answer came. */
  status?: number
  /** The Retry-After header of that answer. */
  retryAfter?: string
  /** The network error, when no answer came. */
  error?: unknown
}

/** Decides whether and when RegistryClient tries a failed request again. */
export interface RetryPolicy {
  /** Milliseconds to wait before attempt `attempt + 1`, or undefined to give up. */
  delayFor(attempt: number, outcome: RetryOutcome): number | undefined
}

/** Options of backoffPolicy. */
export interface BackoffOptions {
  /** Retries after the first attempt. Default 4. */
  maxRetries?: number
  /** First backoff in ms. Default 250. */
  baseMs?: number
  /** Longest single wait in ms, also the cap for Retry-After. Default 10 000. */
  maxDelayMs?: number
  /** Random source in [0, 1); tests pass a fixed one. Undefined → Math.random. */
  random?: () => number
  /** Clock for HTTP-date Retry-After values, in ms since the epoch. Undefined → Date.now. */
  now?: () => number
}

const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504])
/** Errors where the request may not have reached the server, or the answer was cut off. */
const RETRY_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
])

/**
 * A RetryPolicy that retries 408, 429, 500, 502, 503 and 504 answers and network errors that may
 * not have reached the server (ECONNRESET, ETIMEDOUT, undici socket errors, …), at most
 * `maxRetries` times. It waits what Retry-After says, capped at `maxDelayMs`; else a random
 * time up to `baseMs` × 2^attempt (full jitter), capped the same way.
 */
export function backoffPolicy(o: BackoffOptions = {}): RetryPolicy {
  const maxRetries = o.maxRetries ?? 4
  const base = o.baseMs ?? 250
  const cap = o.maxDelayMs ?? 10_000
  const random = o.random ?? Math.random
  const now = o.now ?? Date.now
  return {
    delayFor(attempt, outcome) {
      if (attempt >= maxRetries) return undefined
      if (outcome.status !== undefined && !RETRY_STATUSES.has(outcome.status)) return undefined
      if (outcome.status === undefined && !isRetryableError(outcome.error)) return undefined
      const after = outcome.retryAfter === undefined ? undefined : parseRetryAfter(outcome.retryAfter, now())
      if (after !== undefined) return Math.min(after, cap)
      return Math.floor(random() * Math.min(cap, base * 2 ** attempt))
    },
  }
}

/** The policy RegistryClient uses unless told otherwise: backoffPolicy with its defaults (4 retries, 250 ms base, 10 s cap). */
export const defaultRetryPolicy: RetryPolicy = backoffPolicy()

/** A RetryPolicy that never retries: every failure reaches the caller at once. */
export const noRetry: RetryPolicy = { delayFor: () => undefined }

/**
 * How a failure thrown by RegistryClient reads as a RetryOutcome, for callers that retry at a
 * higher level (an upload starting a new session): a registry's answer by its status and
 * Retry-After, a NetworkError by the transport failure behind it. Undefined for anything else
 * (wrong content, our own refusals), which is never retried.
 */
export function retryOutcomeOf(err: unknown): RetryOutcome | undefined {
  if (err instanceof RegistryResponseError)
    return { status: err.status, ...(err.retryAfter !== undefined && { retryAfter: err.retryAfter }) }
  if (err instanceof NetworkError) return { error: err.cause }
  return isTransportFailure(err) ? { error: err } : undefined
}

function isRetryableError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && RETRY_ERROR_CODES.has(code)
}

/**
 * Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3), in ms from `now` (ms since
 * the epoch); 0 for a date in the past, undefined for a value that is neither.
 */
export function parseRetryAfter(value: string, now: number): number | undefined {
  const v = value.trim()
  if (/^\d+$/.test(v)) return Number(v) * 1000
  const at = Date.parse(v)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}
