/**
 * Token responses: `token` vs `access_token`, the default and minimum lifetime, and `issued_at`
 * with a server clock that is right, ahead or behind.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseTokenResponse } from '../../../src/registry/auth/token-request.js'
import { AuthenticationError } from '../../../src/registry/http/response-errors.js'

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0)
const req = { registry: 'r.example', realm: new URL('https://auth.example/token?x=1'), now: () => NOW }
const parse = (doc: unknown) => parseTokenResponse(req, Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)))

describe('parseTokenResponse', () => {
  test('token, or access_token when token is absent', () => {
    assert.equal(parse({ token: 'a', access_token: 'a' }).token, 'a')
    assert.equal(parse({ access_token: 'b' }).token, 'b')
    assert.equal(parse({ token: '', access_token: 'c' }).token, 'c')
  })

  test('expires_in; 60 s when absent, invalid or shorter (Docker raises short lifetimes to 60 s)', () => {
    assert.equal(parse({ token: 't', expires_in: 3600 }).expiresAt, NOW + 3_600_000)
    assert.equal(parse({ token: 't' }).expiresAt, NOW + 60_000)
    assert.equal(parse({ token: 't', expires_in: '300' }).expiresAt, NOW + 60_000)
    assert.equal(parse({ token: 't', expires_in: 10 }).expiresAt, NOW + 60_000)
  })

  test('issued_at in the recent past shortens the lifetime by the elapsed time', () => {
    const issuedAt = new Date(NOW - 5_000).toISOString()
    assert.equal(parse({ token: 't', expires_in: 300, issued_at: issuedAt }).expiresAt, NOW + 295_000)
  })

  test('issued_at in the future or before the whole lifetime (clock skew) is ignored', () => {
    assert.equal(parse({ token: 't', expires_in: 300, issued_at: new Date(NOW + 60_000).toISOString() }).expiresAt, NOW + 300_000)
    assert.equal(parse({ token: 't', expires_in: 300, issued_at: new Date(NOW - 3_600_000).toISOString() }).expiresAt, NOW + 300_000)
    assert.equal(parse({ token: 't', expires_in: 300, issued_at: 'yesterday' }).expiresAt, NOW + 300_000)
  })

  test('no token, or not JSON: AuthenticationError naming the realm without its query', () => {
    assert.throws(
      () => parse({ expires_in: 60 }),
      (err: unknown) =>
        err instanceof AuthenticationError &&
        err.message === 'the token server https://auth.example/token for r.example answered without a token',
    )
    assert.throws(() => parse('<html>'), /answered something that is not JSON/)
    assert.throws(() => parse('null'), /without a token/)
  })
})
