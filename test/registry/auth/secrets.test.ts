/**
 * Secrets (passwords, Basic headers, identity and bearer tokens) never appear in thrown errors,
 * even when a token server or registry echoes them back in its error body.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, test } from 'node:test'
import { RegistryAuthenticator } from '../../../src/registry/auth/authenticator.js'
import { basicAuthorization, type Credential } from '../../../src/registry/auth/credential.js'
import { fetchBearerToken } from '../../../src/registry/auth/token-request.js'
import { RegistryClient } from '../../../src/registry/http/client.js'
import { AuthenticationError } from '../../../src/registry/http/response-errors.js'
import { noRetry } from '../../../src/registry/http/retry.js'
import { mockNetwork, type MockHandler, type MockNetwork } from './mock-network.js'
import { assertNoSecrets, thrownBy } from './no-secrets.js'

const PASSWORD = 'Sup3r-Secret-Passw0rd'
const USER = { username: 'alice', password: PASSWORD }
const BASIC = basicAuthorization(USER).slice('Basic '.length)
const REFRESH = 'refresh-token-0123456789abcdef'
const ISSUED = 'issued-bearer-token-abcdef0123'
const SECRETS = [PASSWORD, BASIC, REFRESH, ISSUED]

let net: MockNetwork | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
})

/** A registry with a Bearer challenge whose token server answers with `token`. */
/** A Bearer registry that refuses every token, echoing it and the Authorization header in its error body. */
function clientWith(credential: Credential | undefined, token: MockHandler): RegistryClient {
  const challenge = 'Bearer realm="https://auth.example/token",service="r"'
  net = mockNetwork({
    'https://r.example': (req) =>
      req.headers.authorization === undefined
        ? { status: 401, headers: { 'www-authenticate': challenge } }
        : {
            status: 401,
            headers: { 'www-authenticate': `${challenge},error="invalid_token"` },
            body: { errors: [{ code: 'DENIED', message: `token ${ISSUED} refused, you sent ${req.headers.authorization}` }] },
          },
    'https://auth.example': token,
  })
  return new RegistryClient({
    auth: new RegistryAuthenticator(async () => credential, { retry: noRetry }),
    dispatcher: net.agent,
    retry: noRetry,
  })
}

const get = (client: RegistryClient) => () =>
  client.request({ method: 'GET', registry: 'r.example', path: '/v2/', scopes: ['repository:a:pull'] })

describe('secrets never reach errors', () => {
  test('token server echoing the password and the Basic header in a 401', async () => {
    const client = clientWith(USER, (req) => ({ status: 401, body: { details: `bad login ${PASSWORD} (${req.headers.authorization})` } }))
    const err = await thrownBy(get(client))
    assert.ok(err instanceof AuthenticationError)
    assert.match(err.message, /bad login \*\*\* \(Basic \*\*\*\)/)
    assertNoSecrets(err, SECRETS)
  })

  test('token server echoing the refresh token in a 400', async () => {
    const client = clientWith({ identityToken: REFRESH }, (req) => ({ status: 400, body: `invalid grant: ${req.body}` }))
    const err = await thrownBy(get(client))
    assert.ok(err instanceof AuthenticationError)
    assertNoSecrets(err, SECRETS)
  })

  test('registry refusing an issued token, echoing it and the Authorization header', async () => {
    const client = clientWith(USER, () => ({ status: 200, body: { token: ISSUED } }))
    const err = await thrownBy(get(client))
    assert.ok(err instanceof AuthenticationError)
    assertNoSecrets(err, SECRETS)
  })

  test('registry answering 403 with the token and Authorization header in its body (RegistryResponseError)', async () => {
    net = mockNetwork({
      'https://r.example': (req) =>
        req.headers.authorization === undefined
          ? { status: 401, headers: { 'www-authenticate': 'Bearer realm="https://auth.example/token",service="r"' } }
          : {
              status: 403,
              body: { errors: [{ code: 'DENIED', message: `no access for ${req.headers.authorization}`, detail: { token: ISSUED } }] },
            },
      'https://auth.example': () => ({ status: 200, body: { token: ISSUED } }),
    })
    const client = new RegistryClient({ auth: new RegistryAuthenticator(async () => USER), dispatcher: net.agent, retry: noRetry })
    const err = await thrownBy(get(client))
    assert.match(String(err), /answered 403: DENIED: no access for Bearer \*\*\*/)
    assertNoSecrets(err, SECRETS)
  })

  test('registry refusing Basic credentials and echoing the decoded password', async () => {
    net = mockNetwork({
      'https://r.example': () => ({
        status: 401,
        headers: { 'www-authenticate': 'Basic realm="r"' },
        body: `login alice:${PASSWORD} refused`,
      }),
    })
    const client = new RegistryClient({ auth: new RegistryAuthenticator(async () => USER), dispatcher: net.agent, retry: noRetry })
    const err = await thrownBy(get(client))
    assert.ok(err instanceof AuthenticationError)
    assertNoSecrets(err, SECRETS)
  })

  test('network failure of a token request with credentials (real socket, refused)', async () => {
    const err = await thrownBy(() =>
      fetchBearerToken({
        registry: 'r.example',
        realm: new URL('http://127.0.0.1:1/token'),
        scopes: ['repository:a:pull'],
        credential: USER,
        retry: noRetry,
        userAgent: 'test',
        now: Date.now,
      }),
    )
    assert.match(String(err), /GET http:\/\/127\.0\.0\.1:1\/token failed/)
    assertNoSecrets(err, SECRETS)
  })

  test('network failure of an OAuth2 request', async () => {
    const err = await thrownBy(() =>
      fetchBearerToken({
        registry: 'r.example',
        realm: new URL('http://127.0.0.1:1/token'),
        scopes: [],
        credential: { identityToken: REFRESH },
        retry: noRetry,
        userAgent: 'test',
        now: Date.now,
      }),
    )
    assertNoSecrets(err, SECRETS)
  })
})
