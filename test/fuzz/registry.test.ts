/**
 * Property test of the registry client against hostile or broken registries: a local server
 * answers each request from a generated script (any status, wrong or missing headers, bodies
 * that are garbage, short, cut, or stop coming, `Link` headers that loop, challenges that make no
 * sense). Every library call ends, within the time limits, with a result or one of the
 * documented errors; none hangs and none surfaces undici's own errors.
 */
import assert from 'node:assert/strict'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import { descriptorFromBytes } from '../../src/oci/descriptor.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { RegistryClient } from '../../src/registry/http/client.js'
import { backoffPolicy } from '../../src/registry/http/retry.js'
import { RegistryRepository } from '../../src/registry/repository.js'
import { isDocumentedFailure, params } from './runs.js'

/** One scripted answer. */
interface Answer {
  status: number
  headers: Record<string, string>
  body: { bytes: Uint8Array } | { stallAfter: number } | { cutAfter: number } | { noHeaders: true }
}

const LAYER = Buffer.from('a layer the registry may or may not serve')
const LAYER_DESC = descriptorFromBytes(MediaTypes.OciLayer, LAYER)
const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.OciManifest, config: LAYER_DESC, layers: [] }))
const MANIFEST_DESC = descriptorFromBytes(MediaTypes.OciManifest, MANIFEST)

const answer: fc.Arbitrary<Answer> = fc.record({
  status: fc.constantFrom(200, 201, 202, 204, 206, 301, 307, 400, 401, 403, 404, 405, 416, 429, 500, 502, 503),
  headers: fc.record(
    {
      'content-type': fc.constantFrom(MediaTypes.OciManifest, MediaTypes.OciIndex, 'text/html', 'application/json'),
      'docker-content-digest': fc.constantFrom(MANIFEST_DESC.digest, LAYER_DESC.digest, 'sha256:00', 'garbage'),
      location: fc.constantFrom('/v2/fuzz/app/blobs/uploads/1', 'http://[::1', 'https://elsewhere.example/x', '/v2/fuzz/app/tags/list'),
      link: fc.constantFrom('</v2/fuzz/app/tags/list>; rel="next"', '<http://[>; rel="next"', '<?n=1>; rel=next', 'garbage'),
      'www-authenticate': fc.constantFrom('Bearer realm="http://127.0.0.1:1/token"', 'Basic', 'Bearer realm=', 'garbage,,,'),
      'retry-after': fc.constantFrom('0', '-1', 'soon', 'Wed, 21 Oct 2015 07:28:00 GMT'),
      range: fc.constantFrom('0-0', '0-10', 'bytes 5-1', 'x'),
    },
    { requiredKeys: [] },
  ),
  // Stalls cost a time limit each (undici's timers tick about every half second): rarer.
  body: fc.oneof(
    {
      arbitrary: fc
        .constantFrom(MANIFEST, LAYER, Buffer.from('{"tags":["a","b"]}'), Buffer.from('{"errors":[{"code":"DENIED"}]}'))
        .map((bytes) => ({ bytes })),
      weight: 4,
    },
    { arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes })), weight: 3 },
    { arbitrary: fc.nat({ max: 20 }).map((cutAfter) => ({ cutAfter })), weight: 2 },
    { arbitrary: fc.nat({ max: 20 }).map((stallAfter) => ({ stallAfter })), weight: 1 },
    { arbitrary: fc.constant({ noHeaders: true as const }), weight: 1 },
  ),
})

let script: Answer[] = []
let served = 0
let server: Server
let host: string
const sockets = new Set<Socket>()

function respond(res: ServerResponse, a: Answer, method: string): void {
  const body = a.body
  if ('noHeaders' in body) return // never answers: the client's header limit ends it
  const bytes = 'bytes' in body ? Buffer.from(body.bytes) : LAYER
  res.writeHead(a.status, { 'content-length': String(bytes.length), ...a.headers })
  if (method === 'HEAD') return void res.end()
  if ('bytes' in body) return void res.end(bytes)
  res.write(bytes.subarray(0, 'stallAfter' in body ? body.stallAfter : body.cutAfter))
  if ('cutAfter' in body) res.socket?.destroy()
  // stallAfter: nothing more is sent; the client's idle limit ends it.
}

before(async () => {
  server = createServer((req, res) => {
    req.resume()
    req.on('end', () => respond(res, script[served++ % script.length]!, req.method ?? 'GET'))
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(async () => {
  for (const s of sockets) s.destroy()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const operations = {
  resolve: (r: RegistryRepository) => r.resolve('v1'),
  fetchReference: async (r: RegistryRepository) => (await r.fetchReference('v1')).body.toArray(),
  listTags: async (r: RegistryRepository) => {
    const tags: string[] = []
    for await (const t of r.listTags()) if (tags.push(t) > 10_000) throw new Error('tag listing does not end')
    return tags
  },
  fetchBlob: async (r: RegistryRepository) => (await r.fetch(LAYER_DESC)).toArray(),
  pushBlob: (r: RegistryRepository) => r.push(LAYER_DESC, LAYER),
  pushManifest: (r: RegistryRepository) => r.push(MANIFEST_DESC, MANIFEST),
  chunkedPush: (r: RegistryRepository) =>
    new RegistryRepository({ registry: host, repository: 'fuzz/app' }, clientOf(r), { uploadMode: 'chunked' }).push(LAYER_DESC, LAYER),
}
const clients = new WeakMap<RegistryRepository, RegistryClient>()
const clientOf = (r: RegistryRepository): RegistryClient => clients.get(r)!

describe('fuzz: hostile registries', () => {
  test('every call ends with a result or a documented error, within the time limits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(answer, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(...(Object.keys(operations) as Array<keyof typeof operations>)),
        async (answers, op) => {
          script = answers
          served = 0
          const client = new RegistryClient({
            hosts: { [host]: { plainHttp: true, connectTimeoutMs: 500, headersTimeoutMs: 100, idleTimeoutMs: 100 } },
            retry: backoffPolicy({ maxRetries: 1, baseMs: 1, maxDelayMs: 5 }),
          })
          const repo = new RegistryRepository({ registry: host, repository: 'fuzz/app' }, client, { maxResumes: 2 })
          clients.set(repo, client)
          try {
            await operations[op](repo)
          } catch (err) {
            assert.ok(isDocumentedFailure(err), `${op}: undocumented failure: ${(err as Error)?.stack ?? String(err)}`)
          } finally {
            await client.close()
          }
        },
      ),
      params(25),
    )
  })
})
