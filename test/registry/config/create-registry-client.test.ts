/**
 * createRegistryClient wires host settings (environment → plain HTTP for a named host) and
 * Docker credentials (DOCKER_CONFIG) into one client; checked over a MockAgent network.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, test } from 'node:test'
import { createRegistryClient } from '../../../src/registry/config/create-registry-client.js'
import { releaseBody } from '../../../src/registry/http/client.js'
import { noRetry } from '../../../src/registry/http/retry.js'
import { mockNetwork, type MockNetwork } from '../auth/mock-network.js'
import { b64, makeCredentialEnv, type CredentialEnv } from '../credentials/credential-env.js'

let ce: CredentialEnv
let net: MockNetwork
beforeEach(async () => {
  ce = await makeCredentialEnv()
})
afterEach(async () => {
  await net.close()
  await ce.cleanup()
})

test('plain HTTP from OCIBUNDLE_PLAIN_HTTP and the login from DOCKER_CONFIG', async () => {
  const basic = `Basic ${b64('ci:ci-password')}`
  net = mockNetwork({
    'http://registry.lan:5000': (req) =>
      req.headers.authorization === basic
        ? { status: 200, body: {} }
        : { status: 401, headers: { 'www-authenticate': 'Basic realm="lan"' } },
  })
  await ce.writeConfig({ auths: { 'registry.lan:5000': { auth: b64('ci:ci-password') } } })
  const client = await createRegistryClient({
    env: { ...ce.env, OCIBUNDLE_PLAIN_HTTP: 'registry.lan:5000' },
    dispatcher: net.agent,
    retry: noRetry,
    userAgent: 'ocibundle-test',
  })
  assert.equal(client.origin('registry.lan:5000'), 'http://registry.lan:5000')
  const res = await client.request({ method: 'GET', registry: 'registry.lan:5000', path: '/v2/', scopes: [] })
  releaseBody(res.body)
  assert.equal(res.status, 200)
  assert.deepEqual(
    net.requests.map((r) => [r.headers.authorization ?? '-', r.headers['user-agent']]),
    [
      ['-', 'ocibundle-test'],
      [basic, 'ocibundle-test'],
    ],
  )
  await client.close()
})

test('a malformed host configuration file fails the creation with its path', async () => {
  net = mockNetwork({})
  const file = join(ce.root, 'bad.json')
  await writeFile(file, '{"hosts": {"a": {"plainHttp": "yes"}}}')
  await assert.rejects(createRegistryClient({ env: ce.env, configFile: file }), /bad\.json: hosts\["a"\]\.plainHttp must be true or false/)
})
