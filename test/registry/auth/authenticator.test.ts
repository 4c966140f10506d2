/**
 * RegistryAuthenticator driven by RegistryClient over a MockAgent network: the Bearer flows
 * (anonymous, Basic credentials on the GET, OAuth2 refresh token), Basic, registry tokens, the
 * token cache (scopes, expiry, single flight, refresh after a refusal) and realm validation.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, test } from 'node:test'
import { RegistryAuthenticator } from '../../../src/registry/auth/authenticator.js'
import type { Credential } from '../../../src/registry/auth/credential.js'
import { repositoryScope } from '../../../src/registry/auth/scope.js'
import { RegistryClient, releaseBody } from '../../../src/registry/http/client.js'
import { AuthenticationError } from '../../../src/registry/http/response-errors.js'
import { backoffPolicy, noRetry } from '../../../src/registry/http/retry.js'
import { mockNetwork, type MockHandler, type MockNetwork, type RecordedRequest } from './mock-network.js'

const REGISTRY = 'registry.example'
const ORIGIN = `https://${REGISTRY}`
const AUTH_ORIGIN = 'https://auth.example'
const REALM = `${AUTH_ORIGIN}/token`
const SERVICE = 'registry.example'
const PULL = repositoryScope('team/app', ['pull'])
const PUSH = repositoryScope('team/app', ['pull', 'push'])
const PASSWORD: Credential = { username: 'alice', password: 'p4ssw0rd-secret' }

let net: MockNetwork | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
})

interface Setup {
  client: RegistryClient
  net: MockNetwork
  /** Token-server requests. */
  tokenRequests(): RecordedRequest[]
  /** Registry requests, as `Authorization` header values (or `-` for none). */
  registryAuth(): string[]
  /** Tokens the registry accepts from now on; all issued ones by default. */
  valid: Set<string>
  lookups: string[]
  clock: { now: number }
}

interface SetupOptions {
  credential?: Credential
  challenge?: string
  /** Replaces the token server. */
  token?: MockHandler
  expiresIn?: number
  retry?: ReturnType<typeof backoffPolicy>
}

function setup(o: SetupOptions = {}): Setup {
  const valid = new Set<string>()
  const clock = { now: Date.UTC(2025, 0, 1) }
  let issued = 0
  const challenge = o.challenge ?? `Bearer realm="${REALM}",service="${SERVICE}"`
  const token: MockHandler =
    o.token ??
    (() => {
      const t = `tok-${++issued}`
      valid.add(t)
      return { status: 200, body: { token: t, expires_in: o.expiresIn ?? 300 } }
    })
  net = mockNetwork({
    [ORIGIN]: (req) => {
      const auth = req.headers.authorization
      const ok = auth !== undefined && (valid.has(auth.replace(/^Bearer /, '')) || auth === basicOf(PASSWORD))
      return ok
        ? { status: 200, body: {} }
        : {
            status: 401,
            headers: { 'www-authenticate': challenge },
            body: { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
          }
    },
    [AUTH_ORIGIN]: token,
  })
  const lookups: string[] = []
  const auth = new RegistryAuthenticator(
    async (registry) => {
      lookups.push(registry)
      return o.credential
    },
    { retry: o.retry ?? noRetry, now: () => clock.now },
  )
  const client = new RegistryClient({ auth, dispatcher: net.agent, retry: noRetry })
  const n = net
  return {
    client,
    net: n,
    tokenRequests: () => n.requests.filter((r) => r.url.origin === AUTH_ORIGIN),
    registryAuth: () => n.requests.filter((r) => r.url.origin === ORIGIN).map((r) => r.headers.authorization ?? '-'),
    valid,
    lookups,
    clock,
  }
}

function basicOf(c: Credential): string {
  const { username, password } = c as { username: string; password: string }
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
}

async function get(s: Setup, scopes: string[], path = '/v2/team/app/manifests/1'): Promise<number> {
  const res = await s.client.request({ method: 'GET', registry: REGISTRY, path, scopes })
  releaseBody(res.body)
  return res.status
}

describe('Bearer token flow', () => {
  test('anonymous: the challenge leads to a token GET with service and scope, then a retry with the token', async () => {
    const s = setup()
    assert.equal(await get(s, [PULL]), 200)
    const [tokenReq, ...more] = s.tokenRequests()
    assert.equal(more.length, 0)
    assert.equal(tokenReq!.method, 'GET')
    assert.equal(tokenReq!.url.searchParams.get('service'), SERVICE)
    assert.deepEqual(tokenReq!.url.searchParams.getAll('scope'), [PULL])
    assert.equal(tokenReq!.headers.authorization, undefined, 'anonymous token request')
    assert.deepEqual(s.registryAuth(), ['-', 'Bearer tok-1'])
  })

  test('with a password: Basic credentials on the token GET', async () => {
    const s = setup({ credential: PASSWORD })
    await get(s, [PUSH])
    assert.equal(s.tokenRequests()[0]!.headers.authorization, basicOf(PASSWORD))
  })

  test('with an identity token: the OAuth2 refresh-token POST form, scopes space-separated', async () => {
    const s = setup({
      credential: { identityToken: 'refresh-secret-123' },
      token: () => ({ status: 200, body: { access_token: 'oauth-tok', expires_in: 300 } }),
    })
    s.valid.add('oauth-tok')
    assert.equal(await get(s, [PUSH, repositoryScope('team/base', ['pull'])]), 200)
    const req = s.tokenRequests()[0]!
    assert.equal(req.method, 'POST')
    assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded')
    assert.equal(req.url.search, '', 'no query on the POST')
    const form = new URLSearchParams(req.body)
    assert.deepEqual(Object.fromEntries(form), {
      grant_type: 'refresh_token',
      refresh_token: 'refresh-secret-123',
      client_id: 'ocibundle',
      service: SERVICE,
      scope: 'repository:team/app:pull,push repository:team/base:pull',
    })
    assert.deepEqual(s.registryAuth(), ['-', 'Bearer oauth-tok'])
  })

  test('a mount asks one token for push on the target and pull on the source (scope repeated)', async () => {
    const s = setup({ credential: PASSWORD })
    const scopes = [repositoryScope('team/target', ['pull', 'push']), repositoryScope('team/source', ['pull'])]
    await get(s, scopes, '/v2/team/target/blobs/uploads/')
    assert.deepEqual(s.tokenRequests()[0]!.url.searchParams.getAll('scope'), [
      'repository:team/source:pull',
      'repository:team/target:pull,push',
    ])
  })

  test("scopes the challenge names are added to the request's", async () => {
    const s = setup({ challenge: `Bearer realm="${REALM}",service="${SERVICE}",scope="repository:team/app:pull repository:other:pull"` })
    await get(s, [repositoryScope('team/app', ['push'])])
    assert.deepEqual(s.tokenRequests()[0]!.url.searchParams.getAll('scope'), ['repository:other:pull', 'repository:team/app:pull,push'])
  })

  test('the cached token is sent up front for the same scopes; no second token request', async () => {
    const s = setup()
    await get(s, [PULL])
    await get(s, [PULL])
    assert.equal(s.tokenRequests().length, 1)
    assert.deepEqual(s.registryAuth(), ['-', 'Bearer tok-1', 'Bearer tok-1'])
  })

  test('new scopes on a known Bearer registry: a token is fetched before the request (no 401 round trip)', async () => {
    const s = setup()
    await get(s, [PULL])
    await get(s, [PUSH])
    assert.deepEqual(
      s.tokenRequests().map((r) => r.url.searchParams.getAll('scope')),
      [[PULL], [PUSH]],
    )
    assert.deepEqual(s.registryAuth(), ['-', 'Bearer tok-1', 'Bearer tok-2'])
  })

  test('expiry: the token is reused until 10 s before it expires, then fetched again', async () => {
    const s = setup({ expiresIn: 120 })
    await get(s, [PULL])
    s.clock.now += 109_000
    await get(s, [PULL])
    assert.equal(s.tokenRequests().length, 1)
    s.clock.now += 2_000 // 111 s: inside the 10 s margin
    await get(s, [PULL])
    assert.equal(s.tokenRequests().length, 2)
  })

  test('concurrent requests for the same scopes share one token request', async () => {
    const s = setup()
    await get(s, [PULL]) // learn the scheme
    s.net.requests.length = 0
    const statuses = await Promise.all(Array.from({ length: 8 }, () => get(s, [PUSH])))
    assert.deepEqual(statuses, Array(8).fill(200))
    assert.equal(s.tokenRequests().length, 1)
  })

  test('concurrent first requests (no scheme known yet) also share one token request', async () => {
    const s = setup()
    await Promise.all(Array.from({ length: 5 }, () => get(s, [PULL])))
    assert.equal(s.tokenRequests().length, 1)
  })

  test('a refused cached token is replaced: the challenge fetches a new one and the request succeeds', async () => {
    const s = setup()
    await get(s, [PULL])
    s.valid.delete('tok-1') // revoked server-side
    assert.equal(await get(s, [PULL]), 200)
    assert.equal(s.tokenRequests().length, 2)
    assert.deepEqual(s.registryAuth(), ['-', 'Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2'])
  })

  test('the credential lookup runs once per registry', async () => {
    const s = setup({ credential: PASSWORD })
    await get(s, [PULL])
    await get(s, [PUSH])
    assert.deepEqual(s.lookups, [REGISTRY])
  })

  test('token server answers 503 then 200: the token request is retried', async () => {
    let calls = 0
    const s = setup({
      retry: backoffPolicy({ baseMs: 1, maxDelayMs: 1 }),
      token: () => (++calls === 1 ? { status: 503, body: 'busy' } : { status: 200, body: { token: 'late', expires_in: 300 } }),
    })
    s.valid.add('late')
    assert.equal(await get(s, [PULL]), 200)
    assert.equal(calls, 2)
  })
})

describe('Bearer failures', () => {
  test('token server refuses the password: AuthenticationError suggesting login', async () => {
    const s = setup({ credential: PASSWORD, token: () => ({ status: 401, body: { details: 'incorrect username or password' } }) })
    await assert.rejects(get(s, [PULL]), (err: unknown) => {
      assert.ok(err instanceof AuthenticationError)
      assert.match(err.message, /refused the user name or password for registry\.example: incorrect username or password/)
      assert.deepEqual(err.suggestions, [`log in again: ocibundle login ${REGISTRY}`])
      return true
    })
  })

  test('token server refuses anonymous access: "requires credentials"', async () => {
    const s = setup({ token: () => ({ status: 401, body: { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] } }) })
    await assert.rejects(
      get(s, [PULL]),
      /registry\.example requires credentials: the token server https:\/\/auth\.example\/token refused anonymous access: authentication required/,
    )
  })

  test('refused identity token: says it may have expired', async () => {
    const s = setup({ credential: { identityToken: 'old-refresh-token' }, token: () => ({ status: 401, body: '' }) })
    await assert.rejects(get(s, [PULL]), /refused the identity token \(it may have expired or been revoked\)/)
  })

  test('other statuses: the status and the start of the body', async () => {
    const s = setup({ token: () => ({ status: 400, body: `<html>${'x'.repeat(5000)}</html>` }) })
    await assert.rejects(get(s, [PULL]), (err: unknown) => {
      assert.ok(err instanceof AuthenticationError)
      assert.match(err.message, /^token request GET https:\/\/auth\.example\/token for registry\.example answered 400: <html>x+$/)
      assert.ok(err.message.length < 400)
      return true
    })
  })

  test('a token answer without a token', async () => {
    const s = setup({ token: () => ({ status: 200, body: { expires_in: 60 } }) })
    await assert.rejects(get(s, [PULL]), /answered without a token/)
  })

  test('an http realm for an https registry is refused before any token request', async () => {
    const s = setup({ credential: PASSWORD, challenge: 'Bearer realm="http://auth.example/token",service="x"' })
    await assert.rejects(get(s, [PULL]), (err: unknown) => err instanceof AuthenticationError && /must use HTTPS/.test(err.message))
    assert.equal(s.tokenRequests().length, 0)
  })

  test('a Bearer challenge without realm', async () => {
    const s = setup({ challenge: 'Bearer service="x"' })
    await assert.rejects(get(s, [PULL]), /Bearer challenge without a realm/)
  })
})

describe('Basic and registry tokens', () => {
  test('Basic challenge: retried with the password, and sent up front afterwards', async () => {
    const s = setup({ credential: PASSWORD, challenge: 'Basic realm="registry"' })
    assert.equal(await get(s, [PULL]), 200)
    assert.equal(await get(s, [PUSH]), 200)
    assert.deepEqual(s.registryAuth(), ['-', basicOf(PASSWORD), basicOf(PASSWORD)])
    assert.equal(s.tokenRequests().length, 0)
  })

  test('Basic challenge without credentials: AuthenticationError suggesting login', async () => {
    const s = setup({ challenge: 'Basic realm="registry"' })
    await assert.rejects(get(s, [PULL]), (err: unknown) => {
      assert.ok(err instanceof AuthenticationError)
      assert.match(err.message, /refused anonymous access/)
      assert.deepEqual(err.suggestions, [`log in first: ocibundle login ${REGISTRY}`])
      return true
    })
  })

  test('Basic challenge with an identity token only: nothing to answer with', async () => {
    const s = setup({ credential: { identityToken: 'x-token' }, challenge: 'Basic realm="registry"' })
    await assert.rejects(get(s, [PULL]), AuthenticationError)
    assert.deepEqual(s.registryAuth(), ['-'])
  })

  test('Basic and Bearer offered: Bearer is used', async () => {
    const s = setup({ credential: PASSWORD, challenge: `Basic realm="r", Bearer realm="${REALM}",service="${SERVICE}"` })
    await get(s, [PULL])
    assert.equal(s.tokenRequests().length, 1)
  })

  test('a stored registry token is sent as the bearer token without any token request', async () => {
    const s = setup({ credential: { registryToken: 'static-registry-token' } })
    s.valid.add('static-registry-token')
    await get(s, [PULL])
    await get(s, [PUSH])
    assert.equal(s.tokenRequests().length, 0)
    assert.deepEqual(s.registryAuth(), ['-', 'Bearer static-registry-token', 'Bearer static-registry-token'])
  })

  test('a refused registry token is not sent twice', async () => {
    const s = setup({ credential: { registryToken: 'revoked-registry-token' } })
    await assert.rejects(get(s, [PULL]), AuthenticationError)
    await assert.rejects(get(s, [PULL]), AuthenticationError)
    assert.deepEqual(s.registryAuth(), ['-', 'Bearer revoked-registry-token', 'Bearer revoked-registry-token'])
  })
})
