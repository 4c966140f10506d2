/**
 * TokenCache: keys, the expiry margin, single-flight fetches, failures not cached, and callers
 * that give up without failing the shared fetch.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { normalizeScopes } from '../../../src/registry/auth/scope.js'
import { TOKEN_EXPIRY_MARGIN_MS, TokenCache, tokenCacheKey } from '../../../src/registry/auth/token-cache.js'
import type { BearerToken } from '../../../src/registry/auth/token-request.js'

/** A fetch the test resolves by hand, counting its calls. */
function deferredFetch(): {
  fetch: () => Promise<BearerToken>
  calls: () => number
  resolve(t: BearerToken): void
  reject(e: Error): void
} {
  let calls = 0
  let settle: { resolve(t: BearerToken): void; reject(e: Error): void } | undefined
  return {
    fetch: () => {
      calls++
      return new Promise<BearerToken>((resolve, reject) => (settle = { resolve, reject }))
    },
    calls: () => calls,
    resolve: (t) => settle!.resolve(t),
    reject: (e) => settle!.reject(e),
  }
}

describe('tokenCacheKey', () => {
  test('same registry and scope set in any order → same key; other registry or scopes → other key', () => {
    const a = tokenCacheKey('r.example', normalizeScopes(['repository:a:push', 'repository:a:pull', 'repository:b:pull']))
    const b = tokenCacheKey('r.example', normalizeScopes(['repository:b:pull', 'repository:a:pull,push']))
    assert.equal(a, b)
    assert.notEqual(a, tokenCacheKey('other.example', normalizeScopes(['repository:b:pull', 'repository:a:pull,push'])))
    assert.notEqual(a, tokenCacheKey('r.example', normalizeScopes(['repository:a:pull,push'])))
  })
})

describe('TokenCache', () => {
  test('a token is served until the safety margin before its expiry', async () => {
    let now = 1_000_000
    const cache = new TokenCache(() => now)
    await cache.fetch('k', async () => ({ token: 't', expiresAt: now + 60_000 }))
    assert.equal(cache.get('k'), 't')
    now += 60_000 - TOKEN_EXPIRY_MARGIN_MS - 1
    assert.equal(cache.get('k'), 't')
    now += 1
    assert.equal(cache.get('k'), undefined)
    assert.equal(cache.get('other'), undefined)
  })

  test('concurrent fetches for one key run once; another key runs its own', async () => {
    const cache = new TokenCache()
    const d = deferredFetch()
    const waits = [cache.fetch('k', d.fetch), cache.fetch('k', d.fetch), cache.fetch('k', d.fetch)]
    const other = cache.fetch('k2', async () => ({ token: 'other', expiresAt: Date.now() + 60_000 }))
    d.resolve({ token: 'shared', expiresAt: Date.now() + 60_000 })
    assert.deepEqual(await Promise.all(waits), ['shared', 'shared', 'shared'])
    assert.equal(await other, 'other')
    assert.equal(d.calls(), 1)
  })

  test('a failed fetch reaches every waiter and is not cached', async () => {
    const cache = new TokenCache()
    const d = deferredFetch()
    const waits = [cache.fetch('k', d.fetch), cache.fetch('k', d.fetch)]
    d.reject(new Error('token server down'))
    for (const w of waits) await assert.rejects(w, /token server down/)
    assert.equal(cache.get('k'), undefined)
    await cache.fetch('k', async () => ({ token: 'again', expiresAt: Date.now() + 60_000 }))
    assert.equal(cache.get('k'), 'again')
  })

  test('a caller whose signal aborts stops waiting; the others still get the token', async () => {
    const cache = new TokenCache()
    const d = deferredFetch()
    const controller = new AbortController()
    const quitter = cache.fetch('k', d.fetch, controller.signal)
    const stayer = cache.fetch('k', d.fetch)
    controller.abort(new Error('user cancelled'))
    await assert.rejects(quitter, /user cancelled/)
    d.resolve({ token: 't', expiresAt: Date.now() + 60_000 })
    assert.equal(await stayer, 't')
  })
})
