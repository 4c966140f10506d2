/**
 * probeRegistry against the real reference registry (distribution 2.8 with delete enabled):
 * what it finds there (docs/registries.md, distribution row), the verdict, the clean-up, token
 * auth with per-request scopes, and the only failures that stop a probe (P0).
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { CAPABILITIES, parseCapabilityReport, type CapabilityReport } from '../../src/compat/capabilities.js'
import { probeRegistry } from '../../src/compat/probes.js'
import { renderReport } from '../../src/cli/render-report.js'
import { planFromReport } from '../../src/compat/strategies.js'
import { OcibundleError } from '../../src/errors.js'
import { RegistryAuthenticator } from '../../src/registry/auth/authenticator.js'
import { RegistryClient } from '../../src/registry/http/client.js'
import { AuthenticationError } from '../../src/registry/http/response-errors.js'
import { NotARegistryError } from '../../src/registry/http/response-errors.js'
import { backoffPolicy, noRetry } from '../../src/registry/http/retry.js'
import { startFaultProxy, type FaultProxy } from '../helpers/registry/fault-proxy.js'
import { freePort } from '../helpers/registry/ports.js'
import { registryRequest } from '../helpers/registry/raw-http.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { DISTRIBUTION_UNSUPPORTED } from './helpers.js'

let plain: RunningRegistry
let token: RunningRegistry
let proxy: FaultProxy
const clients: RegistryClient[] = []
const client = (options: ConstructorParameters<typeof RegistryClient>[0] = {}): RegistryClient => {
  const c = new RegistryClient({ retry: backoffPolicy({ baseMs: 1, maxDelayMs: 20 }), ...options })
  clients.push(c)
  return c
}

before(async () => {
  ;[plain, token] = await Promise.all([startRegistry('plain'), startRegistry('token')])
  proxy = await startFaultProxy(plain)
})
after(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await proxy?.stop()
  await Promise.all([plain?.stop(), token?.stop()])
})

describe('probeRegistry on distribution 2.8', () => {
  let report: CapabilityReport
  before(async () => {
    report = await probeRegistry(client(), { registry: proxy.host, repository: 'acme/app' })
  })

  test('finds every capability supported except the four distribution 2.8 lacks', () => {
    const found = Object.fromEntries(CAPABILITIES.map((c) => [c, report.capabilities[c].support]))
    const expected = Object.fromEntries(CAPABILITIES.map((c) => [c, DISTRIBUTION_UNSUPPORTED.includes(c) ? 'unsupported' : 'supported']))
    assert.deepEqual(found, expected)
  })

  test("the evidence of what it lacks is distribution's own answers", () => {
    const { capabilities: c } = report
    assert.match(c['single-post-upload'].evidence.note ?? '', /opened an upload session instead/)
    assert.equal(c['single-post-upload'].evidence.status, 202)
    assert.match(c['tag-list-pagination'].evidence.note ?? '', /no Link header for n=1/)
    assert.deepEqual([c['referrers-api'].evidence.status, c['referrers-api'].evidence.note], [404, '404 page not found'])
    assert.deepEqual([c['delete-tag'].evidence.status, c['delete-tag'].evidence.codes], [400, ['DIGEST_INVALID']])
    assert.match(
      c['delete-tag'].evidence.request ?? '',
      /^DELETE \/v2\/acme\/app\/probe-[0-9a-f]{8}\/manifests\/ocibundle-probe-[0-9a-f]{8}-artifact$/,
    )
  })

  test('verdict: the first-choice representation, which planFromReport picks again from the report', () => {
    assert.equal(report.verdict, 'bundles publish here as: oci-index + cnab-config (portable)')
    const representation = { index: 'oci-index', config: 'cnab-config', shape: 'portable', manifestRefs: 'digest' }
    assert.deepEqual(report.representation, representation)
    const plan = planFromReport(report)
    assert.ok(!('blocked' in plan))
    assert.deepEqual({ index: plan.index, config: plan.config, shape: plan.shape, manifestRefs: plan.manifestRefs }, representation)
    assert.deepEqual(plan.reasons, [])
  })

  test('writes only to a scratch repository under the given one, and deletes everything it wrote', async () => {
    assert.match(report.repository, /^acme\/app\/probe-[0-9a-f]{8}$/)
    assert.deepEqual(report.leftovers, [])
    assert.deepEqual(report.auth, { scheme: 'none' })
    const written = new Set(
      proxy.requests
        .filter((r) => ['PUT', 'POST', 'PATCH'].includes(r.method))
        .map((r) => /^\/v2\/(.+?)\/(manifests|blobs)\//.exec(r.path)?.[1]),
    )
    assert.deepEqual([...written].sort(), [report.repository, `${report.repository}-mount`])
    const tags = await registryRequest(plain, `/v2/${report.repository}/tags/list`)
    assert.deepEqual(tags.status === 200 ? (tags.json<{ tags: string[] | null }>().tags ?? []) : [], [])
  })

  test('the report is valid JSON for `registry check --json`, and renders for people', () => {
    assert.deepEqual(parseCapabilityReport(JSON.parse(JSON.stringify(report))), report)
    const text = renderReport(report)
    assert.match(
      text,
      /^oci-index \(P3\.9\) +yes +PUT \/v2\/acme\/app\/probe-[0-9a-f]{8}\/manifests\/ocibundle-probe-[0-9a-f]{8}-oci-index → 201$/m,
    )
    assert.ok(text.endsWith(report.verdict))
  })

  test('without a repository, the scratch repository is ocibundle-probe/probe-<random>', async () => {
    const second = await probeRegistry(client(), { registry: plain.host })
    assert.match(second.repository, /^ocibundle-probe\/probe-[0-9a-f]{8}$/)
    assert.equal(second.verdict, report.verdict)
  })
})

describe('probeRegistry with token auth', () => {
  const login = (password: string | undefined) =>
    client({
      auth: new RegistryAuthenticator(async () => (password === undefined ? undefined : { username: token.username!, password }), {
        retry: noRetry,
      }),
    })

  test('records the Bearer challenge and probes with per-request scopes (pull; pull,push; delete)', async () => {
    token.tokenRequests!.length = 0
    const report = await probeRegistry(login(token.password), { registry: token.host, repository: 'team/app' })
    assert.deepEqual(report.auth, { scheme: 'bearer', realm: token.tokenIssuer!.realm, service: 'ocibundle-test-registry' })
    assert.equal(report.verdict, 'bundles publish here as: oci-index + cnab-config (portable)')
    assert.equal(report.capabilities['delete-manifest'].support, 'supported')
    assert.deepEqual(report.leftovers, [])
    const scopes = new Set(token.tokenRequests!.flatMap((r) => r.scopes))
    for (const s of ['pull', 'pull,push', 'delete']) assert.ok(scopes.has(`repository:${report.repository}:${s}`), s)
    assert.ok(scopes.has(`repository:${report.repository}-mount:pull,push`))
  })

  test('P0: refused credentials stop the probe with an AuthenticationError', async () => {
    await assert.rejects(probeRegistry(login(undefined), { registry: token.host }), AuthenticationError)
    await assert.rejects(probeRegistry(login('wrong-password'), { registry: token.host }), AuthenticationError)
  })

  test('P0.5: no push rights stop the probe too', async () => {
    const issuer = token.tokenIssuer!
    const previous = issuer.policy
    issuer.policy = (_account, requested) => requested.actions.filter((a) => a === 'pull')
    try {
      await assert.rejects(probeRegistry(login(token.password), { registry: token.host }), AuthenticationError)
    } finally {
      issuer.policy = previous
    }
  })
})

describe('probeRegistry: the failures that stop it', () => {
  test('an unreachable registry', async () => {
    const host = `127.0.0.1:${await freePort()}`
    await assert.rejects(
      probeRegistry(client({ retry: noRetry }), { registry: host }),
      (err: unknown) => err instanceof OcibundleError && err.message.startsWith(`cannot reach ${host}`),
    )
  })

  test('a server that does not serve /v2/ (Nexus behind a path, NEXUS-3)', async () => {
    const server = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
      await assert.rejects(
        probeRegistry(client(), { registry: host }),
        (err: unknown) =>
          err instanceof NotARegistryError &&
          err.status === 404 &&
          /does not answer as a container registry/.test(err.message) &&
          /NEXUS-3/.test(err.suggestions.join()),
      )
    } finally {
      server.close()
    }
  })

  test('an aborted signal', async () => {
    await assert.rejects(probeRegistry(client(), { registry: plain.host, signal: AbortSignal.abort() }), { name: 'AbortError' })
  })
})
