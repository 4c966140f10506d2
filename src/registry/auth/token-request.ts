/**
 * Getting a bearer token from a token server (the `realm` of a Bearer challenge), in both flows
 * of the Docker token protocol:
 *  - `GET <realm>?service=…&scope=…&scope=…`, anonymous or with Basic credentials;
 *  - the OAuth2 `POST <realm>` form with `grant_type=refresh_token`, for identity tokens.
 * References:
 *  - https://github.com/distribution/distribution/blob/main/docs/content/spec/auth/token.md
 *  - https://github.com/distribution/distribution/blob/main/docs/content/spec/auth/oauth.md
 *  - oras-go registry/remote/auth/client.go (fetchDistributionToken, fetchOAuth2Token)
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Dispatcher } from 'undici'
import { request } from '../http/undici.js'
import { readBounded } from '../../util/streams.js'
import { releaseBody } from '../http/client.js'
import { bodyError, networkError } from '../http/transport-errors.js'
import { AuthenticationError, readErrorBody } from '../http/response-errors.js'
import type { RetryPolicy } from '../http/retry.js'
import {
  basicAuthorization,
  isIdentityTokenCredential,
  redact,
  secretsOf,
  type IdentityTokenCredential,
  type PasswordCredential,
} from './credential.js'

/** Token answers are a few kilobytes (a JWT, some metadata); more is not a token server. */
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024
/** token.md: "When omitted, this defaults to 60 seconds"; Docker also raises shorter lifetimes to 60 s. */
const DEFAULT_EXPIRES_IN_SECONDS = 60
/** A token server that does not answer in this time will not answer (undici's defaults are 5 minutes). */
const TOKEN_TIMEOUT_MS = 30_000
/** oauth.md makes `client_id` REQUIRED; it identifies the client, not the user. */
const OAUTH_CLIENT_ID = 'ocibundle'

export interface TokenRequest {
  /** Registry as written in references, for messages and the login suggestion. */
  registry: string
  /** The validated realm URL (see validateRealm). */
  realm: URL
  /** The challenge's `service` parameter. */
  service?: string
  /** Every scope the token must cover, normalised. */
  scopes: readonly string[]
  /** Undefined → an anonymous token (public pulls on Docker Hub, GHCR, …). */
  credential?: PasswordCredential | IdentityTokenCredential
  dispatcher?: Dispatcher
  retry: RetryPolicy
  userAgent: string
  /** Current time in ms, for the expiry. */
  now: () => number
}

export interface BearerToken {
  token: string
  /** Epoch ms after which the server no longer accepts the token. */
  expiresAt: number
}

/**
 * Fetches a token for `scopes`. Retries 408/429/5xx and network errors per the retry policy.
 * Throws AuthenticationError when the token server refuses the credentials (401/403) or answers
 * something that is not a token; the message never contains the credential or a token.
 */
export async function fetchBearerToken(req: TokenRequest): Promise<BearerToken> {
  const credential = req.credential
  const oauth2 = isIdentityTokenCredential(credential)
  const url = new URL(req.realm)
  const headers: Record<string, string> = { 'user-agent': req.userAgent, accept: 'application/json' }
  let body: string | undefined
  if (oauth2) {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credential.identityToken, client_id: OAUTH_CLIENT_ID })
    if (req.service !== undefined) form.set('service', req.service)
    if (req.scopes.length > 0) form.set('scope', req.scopes.join(' ')) // oauth.md: space-delimited
    body = form.toString()
    headers['content-type'] = 'application/x-www-form-urlencoded'
  } else {
    if (req.service !== undefined) url.searchParams.append('service', req.service)
    for (const scope of req.scopes) url.searchParams.append('scope', scope) // token.md: repeated
    if (credential !== undefined) headers.authorization = basicAuthorization(credential)
  }
  const method = oauth2 ? 'POST' : 'GET'
  for (let attempt = 0; ; attempt++) {
    let res: Dispatcher.ResponseData
    try {
      res = await request(url, {
        method,
        headers,
        ...(body !== undefined && { body }),
        ...(req.dispatcher && { dispatcher: req.dispatcher }),
        headersTimeout: TOKEN_TIMEOUT_MS,
        bodyTimeout: TOKEN_TIMEOUT_MS,
      })
    } catch (err) {
      const delay = req.retry.delayFor(attempt, { error: err })
      if (delay === undefined) throw networkError(method, req.realm, err)
      await sleep(delay)
      continue
    }
    if (res.statusCode >= 200 && res.statusCode < 300) {
      let bytes: Buffer
      try {
        bytes = await readBounded(res.body, MAX_TOKEN_RESPONSE_BYTES, 'the token response')
      } catch (err) {
        // A token answer that breaks off is retried like a request that got none.
        const delay = req.retry.delayFor(attempt, { error: err })
        if (delay === undefined) throw bodyError('the token response', req.realm.toString(), err)
        await sleep(delay)
        continue
      }
      return parseTokenResponse(req, bytes)
    }
    const retryAfter = res.headers['retry-after']
    const delay =
      res.statusCode === 401 || res.statusCode === 403
        ? undefined
        : req.retry.delayFor(attempt, { status: res.statusCode, ...(typeof retryAfter === 'string' && { retryAfter }) })
    if (delay === undefined) throw await refusal(req, method, res)
    releaseBody(res.body)
    await sleep(delay)
  }
}

/** The error for a token server's final non-2xx answer, with its (redacted, bounded) reason. */
async function refusal(req: TokenRequest, method: string, res: Dispatcher.ResponseData): Promise<Error> {
  const { errors, raw } = await readErrorBody(res.body)
  const reason = redact(
    errors.map((e) => e.message ?? e.code).join('; ') || oauth2Error(raw) || raw.trim().slice(0, 200),
    secretsOf(req.credential),
  )
  const where = `${req.realm.origin}${req.realm.pathname}`
  const because = reason === '' ? '' : `: ${reason}`
  const login = `log in: ocibundle login ${req.registry}`
  if (res.statusCode === 401 || res.statusCode === 403) {
    if (req.credential === undefined) {
      return new AuthenticationError(`${req.registry} requires credentials: the token server ${where} refused anonymous access${because}`, {
        suggestions: [login],
      })
    }
    const what = isIdentityTokenCredential(req.credential)
      ? 'identity token (it may have expired or been revoked)'
      : 'user name or password'
    return new AuthenticationError(`the token server ${where} refused the ${what} for ${req.registry}${because}`, {
      suggestions: [`log in again: ocibundle login ${req.registry}`],
    })
  }
  return new AuthenticationError(`token request ${method} ${where} for ${req.registry} answered ${res.statusCode}${because}`)
}

/**
 * Reads `token` or `access_token` (token.md: at least one is present; equal if both) and the
 * lifetime. `issued_at` shortens the lifetime by the time the answer took to reach us, unless it
 * lies in the future or before the lifetime began (the server's clock is off: ignore it).
 */
export function parseTokenResponse(req: Pick<TokenRequest, 'registry' | 'realm' | 'now'>, bytes: Uint8Array): BearerToken {
  let doc: unknown
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch {
    throw new AuthenticationError(
      `the token server ${req.realm.origin}${req.realm.pathname} for ${req.registry} answered something that is not JSON`,
    )
  }
  const fields = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>
  const token = nonEmptyString(fields.token) ?? nonEmptyString(fields.access_token)
  if (token === undefined) {
    throw new AuthenticationError(`the token server ${req.realm.origin}${req.realm.pathname} for ${req.registry} answered without a token`)
  }
  const expiresIn =
    typeof fields.expires_in === 'number' && Number.isFinite(fields.expires_in)
      ? Math.max(fields.expires_in, DEFAULT_EXPIRES_IN_SECONDS)
      : DEFAULT_EXPIRES_IN_SECONDS
  const now = req.now()
  let lifetimeMs = expiresIn * 1000
  const issuedAt = typeof fields.issued_at === 'string' ? Date.parse(fields.issued_at) : Number.NaN
  const elapsed = now - issuedAt
  if (elapsed >= 0 && elapsed < lifetimeMs) lifetimeMs -= elapsed
  return { token, expiresAt: now + lifetimeMs }
}

/** The reason in an OAuth2 error answer (RFC 6749 §5.2): `error_description`, else `error`. */
function oauth2Error(raw: string): string | undefined {
  try {
    const doc = JSON.parse(raw) as { error?: unknown; error_description?: unknown } | null
    return nonEmptyString(doc?.error_description) ?? nonEmptyString(doc?.error)
  } catch {
    return undefined
  }
}

function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}
