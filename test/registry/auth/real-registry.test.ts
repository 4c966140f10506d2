/**
 * Authentication against the real CNCF distribution registry (test/helpers/registry/server.ts):
 * htpasswd Basic, the token flow (anonymous, Basic on the token GET, OAuth2 refresh token, exact
 * scopes, the token cache), TLS with a private CA, verifyCredentials, and createRegistryClient
 * wiring Docker credentials and host settings.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { OcibundleError } from '../../../src/errors.js'
import { RegistryAuthenticator } from '../../../src/registry/auth/authenticator.js'
import type { Credential, PasswordCredential } from '../../../src/registry/auth/credential.js'
import { repositoryScope } from '../../../src/registry/auth/scope.js'
import { createRegistryClient } from '../../../src/registry/config/create-registry-client.js'
import { saveCredentials } from '../../../src/registry/credentials/save-credentials.js'
import { verifyCredentials } from '../../../src/registry/credentials/verify-credentials.js'
import { RegistryClient, releaseBody, type RegistryRequest } from '../../../src/registry/http/client.js'
import { AuthenticationError } from '../../../src/registry/http/response-errors.js'
import type { HostConfig } from '../../../src/registry/http/host-config.js'
import { noRetry } from '../../../src/registry/http/retry.js'
import { startRegistry, type RunningRegistry } from '../../helpers/registry/server.js'
import { makeCredentialEnv, type CredentialEnv } from '../credentials/credential-env.js'
import { assertNoSecrets, thrownBy } from './no-secrets.js'

const EMPTY_DIGEST = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

let basic: RunningRegistry
let token: RunningRegistry
let tls: RunningRegistry
const clients: RegistryClient[] = []

before(async () => {
  ;[basic, token, tls] = await Promise.all([startRegistry('basic'), startRegistry('token'), startRegistry('tls')])
})
after(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await Promise.all([basic?.stop(), token?.stop(), tls?.stop()])
})

function clientFor(credential: Credential | undefined, hosts: Record<string, HostConfig> = {}): RegistryClient {
  const client = new RegistryClient({ auth: new RegistryAuthenticator(async () => credential, { retry: noRetry }), hosts, retry: noRetry })
  clients.push(client)
  return client
}

async function send(client: RegistryClient, req: Omit<RegistryRequest, 'scopes'> & { scopes?: string[] }): Promise<number> {
  const res = await client.request({ scopes: [], ...req })
  releaseBody(res.body)
  return res.status
}

const login = (r: RunningRegistry): PasswordCredential => ({ username: r.username!, password: r.password! })

describe('Basic (htpasswd)', () => {
  test('GET /v2/ with the credentials: 200; Basic is then sent up front', async () => {
    const client = clientFor(login(basic))
    assert.equal(await send(client, { method: 'GET', registry: basic.host, path: '/v2/' }), 200)
    assert.equal(await send(client, { method: 'GET', registry: basic.host, path: '/v2/_catalog' }), 200)
    const catalog = basic
      .logs()
      .split('\n')
      .filter((l) => l.includes('"GET /v2/_catalog HTTP'))
    assert.equal(catalog.length, 1, 'no 401 round trip for the second request')
    assert.match(catalog[0]!, /" 200 /)
  })

  test('without credentials: AuthenticationError suggesting login', async () => {
    await assert.rejects(send(clientFor(undefined), { method: 'GET', registry: basic.host, path: '/v2/' }), (err: unknown) => {
      assert.ok(err instanceof AuthenticationError)
      assert.deepEqual(err.suggestions, [`log in first: ocibundle login ${basic.host}`])
      return true
    })
  })

  test('a wrong password: AuthenticationError without the password in it', async () => {
    const err = await thrownBy(() =>
      send(clientFor({ username: basic.username!, password: 'Wrong-Password-123' }), { method: 'GET', registry: basic.host, path: '/v2/' }),
    )
    assert.ok(err instanceof AuthenticationError)
    assertNoSecrets(err, ['Wrong-Password-123', Buffer.from(`${basic.username}:Wrong-Password-123`).toString('base64')])
  })

  test('verifyCredentials accepts the right login and refuses a wrong one', async () => {
    await verifyCredentials({ retry: noRetry }, basic.host, login(basic))
    await assert.rejects(verifyCredentials({ retry: noRetry }, basic.host, { username: 'testuser', password: 'nope' }), AuthenticationError)
  })
})

describe('token (Bearer)', () => {
  const repo = 'team/app'
  const pull = repositoryScope(repo, ['pull'])
  const push = repositoryScope(repo, ['pull', 'push'])

  test('anonymous pull token for exactly the requested scope', async () => {
    token.tokenRequests!.length = 0
    const client = clientFor(undefined)
    assert.equal(
      await send(client, { method: 'GET', registry: token.host, path: `/v2/${repo}/tags/list`, scopes: [pull], expect: [200, 404] }),
      404,
    )
    assert.equal(token.tokenRequests!.length, 1)
    const [req] = token.tokenRequests!
    assert.deepEqual(
      { method: req!.method, scopes: req!.scopes, account: req!.account, service: req!.service },
      { method: 'GET', scopes: [pull], account: undefined, service: 'ocibundle-test-registry' },
    )
  })

  test('push is refused anonymously (the token grants pull only)', async () => {
    await assert.rejects(
      send(clientFor(undefined), {
        method: 'POST',
        registry: token.host,
        path: `/v2/${repo}/blobs/uploads/`,
        scopes: [push],
        expect: [202],
      }),
      AuthenticationError,
    )
  })

  test('with a password: token GET with Basic for pull,push; the same scopes again make no token request', async () => {
    token.tokenRequests!.length = 0
    const client = clientFor(login(token))
    assert.equal(
      await send(client, { method: 'POST', registry: token.host, path: `/v2/${repo}/blobs/uploads/`, scopes: [push], expect: [202] }),
      202,
    )
    assert.deepEqual(
      token.tokenRequests!.map((r) => [r.method, r.account, r.scopes]),
      [['GET', 'testuser', [push]]],
    )
    assert.equal(
      await send(client, { method: 'POST', registry: token.host, path: `/v2/${repo}/blobs/uploads/`, scopes: [push], expect: [202] }),
      202,
    )
    assert.equal(token.tokenRequests!.length, 1, 'cached token reused')
    assert.equal(
      await send(client, { method: 'GET', registry: token.host, path: `/v2/${repo}/tags/list`, scopes: [pull], expect: [200, 404] }),
      404,
    )
    assert.deepEqual(
      token.tokenRequests!.map((r) => r.scopes),
      [[push], [pull]],
      'new scopes: one more token request',
    )
  })

  test('a mount: one token covering push on the target and pull on the source', async () => {
    token.tokenRequests!.length = 0
    const scopes = [repositoryScope('team/target', ['pull', 'push']), repositoryScope('team/source', ['pull'])]
    const status = await send(clientFor(login(token)), {
      method: 'POST',
      registry: token.host,
      path: '/v2/team/target/blobs/uploads/',
      query: { mount: EMPTY_DIGEST, from: 'team/source' },
      scopes,
      expect: [201, 202],
    })
    assert.equal(status, 202, 'blob absent: the registry opens an upload instead')
    assert.deepEqual(
      token.tokenRequests!.map((r) => r.scopes),
      [['repository:team/source:pull', 'repository:team/target:pull,push']],
    )
    assert.deepEqual(
      token.tokenRequests![0]!.granted.map((g) => g.actions),
      [['pull'], ['pull', 'push']],
    )
  })

  test('an identity token: OAuth2 refresh-token POST with client_id', async () => {
    token.tokenRequests!.length = 0
    const client = clientFor({ identityToken: token.tokenIssuer!.refreshToken })
    assert.equal(
      await send(client, { method: 'POST', registry: token.host, path: `/v2/${repo}/blobs/uploads/`, scopes: [push], expect: [202] }),
      202,
    )
    const [req] = token.tokenRequests!
    assert.deepEqual(
      { method: req!.method, grantType: req!.grantType, clientId: req!.clientId, scopes: req!.scopes, account: req!.account },
      { method: 'POST', grantType: 'refresh_token', clientId: 'ocibundle', scopes: [push], account: 'testuser' },
    )
  })

  test("a revoked identity token: AuthenticationError with the server's reason, token not in it", async () => {
    const err = await thrownBy(() =>
      send(clientFor({ identityToken: 'not-the-refresh-token' }), { method: 'GET', registry: token.host, path: '/v2/' }),
    )
    assert.ok(err instanceof AuthenticationError)
    assert.match(err.message, /refused the identity token .*: invalid refresh token/)
    assertNoSecrets(err, ['not-the-refresh-token', token.tokenIssuer!.refreshToken])
  })

  test("a wrong password: the token server's 401 becomes an AuthenticationError suggesting login", async () => {
    await assert.rejects(
      send(clientFor({ username: 'testuser', password: 'wrong' }), { method: 'GET', registry: token.host, path: '/v2/' }),
      (err: unknown) => {
        assert.ok(err instanceof AuthenticationError)
        assert.match(err.message, /refused the user name or password for 127\.0\.0\.1:\d+: incorrect username or password/)
        assert.deepEqual(err.suggestions, [`log in again: ocibundle login ${token.host}`])
        return true
      },
    )
  })

  test('concurrent requests on a fresh client share one token request', async () => {
    token.tokenRequests!.length = 0
    const client = clientFor(login(token))
    await Promise.all(
      Array.from({ length: 6 }, () =>
        send(client, { method: 'GET', registry: token.host, path: `/v2/${repo}/tags/list`, scopes: [pull], expect: [200, 404] }),
      ),
    )
    assert.equal(token.tokenRequests!.length, 1)
  })

  test('verifyCredentials goes through the token flow', async () => {
    await verifyCredentials({ retry: noRetry }, token.host, login(token))
    await assert.rejects(
      verifyCredentials({ retry: noRetry }, token.host, { username: 'testuser', password: 'wrong' }),
      AuthenticationError,
    )
  })
})

describe('TLS with a private CA', () => {
  test('works with the CA file', async () => {
    assert.equal(
      await send(clientFor(undefined, { [tls.host]: { plainHttp: false, caFile: tls.caFile! } }), {
        method: 'GET',
        registry: tls.host,
        path: '/v2/',
      }),
      200,
    )
  })

  test('fails without it, suggesting --ca-file', async () => {
    await assert.rejects(
      send(clientFor(undefined, { [tls.host]: { plainHttp: false } }), { method: 'GET', registry: tls.host, path: '/v2/' }),
      (err: unknown) => {
        assert.ok(err instanceof OcibundleError)
        assert.ok(
          err.suggestions.some((s) => s.includes('--ca-file')),
          err.suggestions.join('; '),
        )
        return true
      },
    )
  })

  test('works with insecure (no verification)', async () => {
    assert.equal(
      await send(clientFor(undefined, { [tls.host]: { plainHttp: false, insecure: true } }), {
        method: 'GET',
        registry: tls.host,
        path: '/v2/',
      }),
      200,
    )
  })
})

describe('createRegistryClient', () => {
  let ce: CredentialEnv
  before(async () => {
    ce = await makeCredentialEnv()
  })
  after(() => ce.cleanup())

  async function create(options: Parameters<typeof createRegistryClient>[0] = {}, registries?: string[]): Promise<RegistryClient> {
    const client = await createRegistryClient({ env: ce.env, retry: noRetry, ...options }, registries)
    clients.push(client)
    return client
  }

  test("uses the login saved in Docker's config (Basic and token registries)", async () => {
    await saveCredentials(basic.host, login(basic), { env: ce.env })
    await saveCredentials(token.host, login(token), { env: ce.env })
    const client = await create()
    assert.equal(await send(client, { method: 'GET', registry: basic.host, path: '/v2/' }), 200)
    assert.equal(
      await send(client, {
        method: 'POST',
        registry: token.host,
        path: '/v2/team/app/blobs/uploads/',
        scopes: [repositoryScope('team/app', ['pull', 'push'])],
        expect: [202],
      }),
      202,
    )
  })

  test('--ca-file for the TLS registry (HTTPS even though it is on loopback)', async () => {
    const client = await create({ caFile: tls.caFile! }, [tls.host])
    assert.equal(await send(client, { method: 'GET', registry: tls.host, path: '/v2/' }), 200)
  })

  test('OCIBUNDLE_INSECURE for the TLS registry', async () => {
    const client = await createRegistryClient({ env: { ...ce.env, OCIBUNDLE_INSECURE: tls.host }, retry: noRetry })
    clients.push(client)
    assert.equal(await send(client, { method: 'GET', registry: tls.host, path: '/v2/' }), 200)
  })
})
