/**
 * The HTTP layer's safety rules, with real sockets: credentials never follow a redirect to
 * another origin, an upload Location on another origin is refused before anything is sent
 * there, Retry-After is read in both forms, and a one-shot body is never retried.
 */
import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { after, before, describe, test } from 'node:test'
import { anonymous, RegistryClient, type Authenticator } from '../../../src/registry/http/client.js'
import { RegistryResponseError } from '../../../src/registry/http/response-errors.js'
import { backoffPolicy, parseRetryAfter } from '../../../src/registry/http/retry.js'
import { RegistryRepository } from '../../../src/registry/repository.js'
import { descriptorFromBytes } from '../../../src/oci/descriptor.js'

interface Seen {
  method: string
  url: string
  headers: IncomingHttpHeaders
}

async function serve(
  handler: (req: Seen, res: import('node:http').ServerResponse) => void,
): Promise<{ server: Server; host: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers }
    seen.push(entry)
    req.resume()
    req.on('end', () => handler(entry, res))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, host: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

/** Sends a fixed Authorization header, as a cached token would be. */
const secret: Authenticator = { header: async () => 'Bearer top-secret-token', challenge: async () => undefined }
const fast = backoffPolicy({ baseMs: 1, maxDelayMs: 5 })

describe('registry HTTP client safety', () => {
  let registry: Awaited<ReturnType<typeof serve>>
  let storage: Awaited<ReturnType<typeof serve>>
  before(async () => {
    storage = await serve((_req, res) => res.end('blob bytes'))
    registry = await serve((req, res) => {
      if (req.url.startsWith('/v2/x/blobs/elsewhere')) {
        res.writeHead(307, { location: `http://${storage.host}/bucket/blob` }).end()
      } else if (req.url.startsWith('/v2/x/blobs/here')) {
        res.writeHead(307, { location: '/v2/x/blobs/moved' }).end()
      } else if (req.method === 'HEAD') {
        res.writeHead(404).end() // no blob here yet: the push must upload
      } else if (req.url.startsWith('/v2/x/blobs/uploads/')) {
        res.writeHead(202, { location: `http://${storage.host}/upload/session` }).end()
      } else {
        res.end('ok')
      }
    })
  })
  after(() => {
    registry.server.close()
    storage.server.close()
  })

  test('a redirect to another origin (object storage) is followed without the Authorization header', async () => {
    const client = new RegistryClient({ auth: secret, retry: fast })
    const res = await client.request({ method: 'GET', registry: registry.host, path: '/v2/x/blobs/elsewhere', scopes: [] })
    assert.equal(await new Response(Readable.toWeb(res.body) as ReadableStream).text(), 'blob bytes')
    assert.equal(registry.seen.at(-1)!.headers.authorization, 'Bearer top-secret-token')
    assert.equal(storage.seen.at(-1)!.url, '/bucket/blob')
    assert.equal(storage.seen.at(-1)!.headers.authorization, undefined)
    await client.close()
  })

  test('a redirect within the same origin keeps the Authorization header', async () => {
    const client = new RegistryClient({ auth: secret, retry: fast })
    const res = await client.request({ method: 'GET', registry: registry.host, path: '/v2/x/blobs/here', scopes: [] })
    res.body.resume()
    const last = registry.seen.at(-1)!
    assert.equal(last.url, '/v2/x/blobs/moved')
    assert.equal(last.headers.authorization, 'Bearer top-secret-token')
    await client.close()
  })

  test('an upload Location on another origin is refused and nothing is sent there', async () => {
    const before = storage.seen.length
    const client = new RegistryClient({ auth: secret, retry: fast })
    const repo = new RegistryRepository({ registry: registry.host, repository: 'x' }, client)
    const data = Buffer.from('content')
    await assert.rejects(repo.push(descriptorFromBytes('application/octet-stream', data), data), /another origin|refusing/i)
    assert.equal(storage.seen.length, before, 'the foreign host received no request')
    await client.close()
  })
})

describe('retries', () => {
  test('Retry-After is read as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-23T10:00:00Z')
    assert.equal(parseRetryAfter('3', now), 3000)
    assert.equal(parseRetryAfter('Mon, 23 Nov 2026 10:00:05 GMT', now), 5000)
    assert.equal(parseRetryAfter('Mon, 23 Nov 2026 09:00:00 GMT', now), 0)
    assert.equal(parseRetryAfter('soon', now), undefined)
  })

  test('the policy retries 408, 429, 5xx and network errors a bounded number of times, with capped delays', () => {
    const policy = backoffPolicy({ maxRetries: 3, baseMs: 100, maxDelayMs: 1000, random: () => 0.999 })
    for (const status of [408, 429, 500, 502, 503, 504]) assert.notEqual(policy.delayFor(0, { status }), undefined, String(status))
    for (const status of [400, 401, 403, 404, 409]) assert.equal(policy.delayFor(0, { status }), undefined, String(status))
    assert.notEqual(policy.delayFor(0, { error: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) }), undefined)
    assert.equal(policy.delayFor(0, { error: new Error('no code') }), undefined)
    assert.equal(policy.delayFor(3, { status: 503 }), undefined, 'gives up after maxRetries')
    assert.ok(policy.delayFor(2, { status: 503 })! <= 400)
    assert.equal(policy.delayFor(0, { status: 429, retryAfter: '60' }), 1000, 'Retry-After is capped too')
  })

  test('a request whose body can only be read once is not retried', async () => {
    const flaky = await serve((_req, res) => res.writeHead(503).end())
    const client = new RegistryClient({ auth: anonymous, retry: backoffPolicy({ baseMs: 1, maxDelayMs: 2 }) })
    const oneShot = Readable.from([Buffer.from('payload')])
    await assert.rejects(
      client.request({
        method: 'PUT',
        registry: flaky.host,
        path: '/v2/x/blobs/uploads/1',
        body: oneShot,
        headers: { 'content-length': '7' },
        scopes: [],
      }),
      (err: unknown) => err instanceof RegistryResponseError && err.status === 503,
    )
    assert.equal(flaky.seen.length, 1)
    const replayable = Buffer.from('payload')
    await assert.rejects(
      client.request({ method: 'PUT', registry: flaky.host, path: '/v2/x/blobs/uploads/1', body: replayable, scopes: [] }),
    )
    assert.equal(flaky.seen.length, 1 + 5, 'bytes are sent again: first try plus 4 retries')
    flaky.server.close()
    await client.close()
  })
})
