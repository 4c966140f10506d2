/**
 * Docker registry bearer tokens (JWT, ES256) as CNCF distribution 2.8 verifies them
 * (registry/auth/token/token.go):
 * - `iss` must be the configured issuer and `aud` the configured service. 2.8 reads `aud` as a
 *   single string (3.x also takes a list), so it is a string here;
 * - `exp` / `nbf` are checked with a small leeway;
 * - the signing key comes from the header: `x5c` (a chain verified against `rootcertbundle`),
 *   or `jwk`, or a `kid` equal to the libtrust key ID of a bundled key. `x5c` holding the signing
 *   certificate itself, which is also the bundle, is the simplest of these that verifies reliably;
 * - ES256 signatures are the raw r‖s concatenation (JOSE), not DER.
 */
import { randomBytes, sign } from 'node:crypto'
import type { SigningCert } from './certs.js'

/** One entry of the `access` claim: what the token allows on one resource. */
export interface AccessEntry {
  /** `repository` or `registry` (e.g. `registry:catalog:*`). */
  type: string
  name: string
  actions: string[]
}

export interface TokenClaims {
  iss: string
  /** The account name; empty for anonymous tokens. */
  sub: string
  aud: string
  exp: number
  nbf: number
  iat: number
  jti: string
  access: AccessEntry[]
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url')
}

/** Signs `claims` with `signer`'s key; the header carries `signer`'s certificate as `x5c`. */
export function signToken(claims: TokenClaims, signer: SigningCert): string {
  const header = { typ: 'JWT', alg: 'ES256', x5c: [signer.cert.raw.toString('base64')] }
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`
  const signature = sign('sha256', Buffer.from(input), { key: signer.key, dsaEncoding: 'ieee-p1363' })
  return `${input}.${b64url(signature)}`
}

/** Claims with the usual timing: valid from 10 s ago (clock rounding) for `ttlSeconds`. */
export function makeClaims(fields: {
  issuer: string
  service: string
  account?: string
  access: AccessEntry[]
  ttlSeconds: number
}): TokenClaims {
  const now = Math.floor(Date.now() / 1000)
  return {
    iss: fields.issuer,
    sub: fields.account ?? '',
    aud: fields.service,
    exp: now + fields.ttlSeconds,
    nbf: now - 10,
    iat: now,
    jti: randomBytes(12).toString('hex'),
    access: fields.access,
  }
}

/** Decodes (without verifying) a token's header and claims: for tests that inspect what was granted. */
export function decodeToken(token: string): { header: Record<string, unknown>; claims: TokenClaims } {
  const [header, claims] = token.split('.')
  if (header === undefined || claims === undefined) throw new Error(`not a JWT: ${token.slice(0, 40)}`)
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as TokenClaims,
  }
}

/**
 * Parses one scope `type:name:actions` (`repository:x/y:pull,push`). The name may itself contain
 * colons (`host:port/repo`), so type is before the first colon and actions after the last.
 * Returns undefined for a malformed scope. The legacy class syntax `repository(plugin)` is reduced
 * to its type, as distribution does.
 */
export function parseScope(scope: string): AccessEntry | undefined {
  const first = scope.indexOf(':')
  const last = scope.lastIndexOf(':')
  if (first <= 0 || last === first) return undefined
  const type = scope.slice(0, first).replace(/\(.*\)$/, '')
  const name = scope.slice(first + 1, last)
  const actions = scope
    .slice(last + 1)
    .split(',')
    .filter((a) => a !== '')
  if (!name) return undefined
  return { type, name, actions }
}
