/**
 * Nothing waits forever: the connect, header and idle limits against a local server that stops
 * answering, the settings that change them (host configuration file, options, flags), transport
 * failures reported as NetworkError with the exit code of the README's table, and pagination
 * that stops on a Link that leads back to a page already read.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { join } from 'node:path'
import { after, afterEach, before, describe, test } from 'node:test'
import { registryOptions } from '../../../src/cli/registry-flags.js'
import { ExitCode, exitCodeFor } from '../../../src/cli/exit-codes.js'
import { loadHostConfigFile } from '../../../src/registry/config/host-config-file.js'
import { resolveHostConfigs } from '../../../src/registry/config/resolve-host-configs.js'
import { RegistryClient } from '../../../src/registry/http/client.js'
import { backoffPolicy } from '../../../src/registry/http/retry.js'
import { DEFAULT_TIMEOUTS } from '../../../src/registry/http/timeouts.js'
import { NetworkError } from '../../../src/registry/http/transport-errors.js'
import { RegistryRepository } from '../../../src/registry/repository.js'
import { makeTempDir } from '../../helpers/tmp.js'

let server: Server
let host: string
let handler: (req: IncomingMessage, res: ServerResponse) => void = () => {}
let requests: string[] = []
const sockets = new Set<Socket>()

before(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    handler(req, res)
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterEach(() => {
  for (const s of sockets) s.destroy()
  requests = []
})
after(() => new Promise<void>((resolve) => server.close(() => resolve())))

function repository(limits: { headersTimeoutMs?: number; idleTimeoutMs?: number } = {}): {
  repo: RegistryRepository
  client: RegistryClient
} {
  const client = new RegistryClient({
    hosts: { [host]: { plainHttp: true, ...limits } },
    retry: backoffPolicy({ maxRetries: 1, baseMs: 1, maxDelayMs: 5 }),
  })
  return { repo: new RegistryRepository({ registry: host, repository: 'acme/app' }, client), client }
}

describe('time limits', () => {
  test('a server that never sends headers: each attempt ends at the header limit, and the last reports what stalled', async () => {
    handler = () => {}
    const { repo, client } = repository({ headersTimeoutMs: 200 })
    try {
      await assert.rejects(repo.resolve('v1'), (err: unknown) => {
        assert.ok(err instanceof NetworkError)
        assert.equal(err.stalled, 'headers')
        assert.match(err.message, /no response headers within 200 ms/)
        assert.match(err.suggestions.join(' '), /--headers-timeout/)
        assert.equal(exitCodeFor(err), ExitCode.Failure)
        return true
      })
      assert.deepEqual(requests, ['HEAD /v2/acme/app/manifests/v1', 'HEAD /v2/acme/app/manifests/v1'])
    } finally {
      await client.close()
    }
  })

  test("the GET /v2/ check made after an answer unlike a registry's ends at the header limit too", { timeout: 20_000 }, async () => {
    handler = (req, res) => {
      if (req.url === '/v2/') return // never answers
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': '0' })
      res.end()
    }
    const { repo, client } = repository({ headersTimeoutMs: 200 })
    try {
      const outcome = await repo.resolve('v1').then(
        () => 'resolved',
        (err: unknown) => (err as Error).constructor.name,
      )
      // The check gave no answer, so it says nothing: resolve goes on as without it (HEAD had no digest: GET).
      assert.deepEqual(requests, ['HEAD /v2/acme/app/manifests/v1', 'GET /v2/', 'GET /v2/acme/app/manifests/v1'])
      assert.equal(outcome, 'InvalidContentError')
    } finally {
      await client.close()
    }
  })

  test('a body that stops coming: the manifest is requested again, and the last failure says the body stalled', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': '100' })
      res.write('{"schemaVersion":')
    }
    const { repo, client } = repository({ idleTimeoutMs: 200 })
    try {
      await assert.rejects(repo.fetchReference('v1'), (err: unknown) => err instanceof NetworkError && err.stalled === 'body')
      assert.equal(requests.length, 2)
    } finally {
      await client.close()
    }
  })

  test("a body shorter than its Content-Length is undici's error no more: NetworkError, exit code 1", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': '100' })
      res.end('{"schemaVersion":2}'.padEnd(10))
      res.socket?.destroy()
    }
    const { repo, client } = repository()
    try {
      await assert.rejects(
        repo.fetchReference('v1'),
        (err: unknown) => err instanceof NetworkError && exitCodeFor(err) === ExitCode.Failure,
      )
    } finally {
      await client.close()
    }
  })

  test('tag listing stops on a Link that leads back to a page already read', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', link: '</v2/acme/app/tags/list?n=2>; rel="next"' })
      res.end(JSON.stringify({ name: 'acme/app', tags: ['a', 'b'] }))
    }
    const { repo, client } = repository()
    try {
      const tags: string[] = []
      for await (const t of repo.listTags()) tags.push(t)
      assert.deepEqual(tags, ['a', 'b', 'a', 'b'])
      assert.deepEqual(requests, ['GET /v2/acme/app/tags/list', 'GET /v2/acme/app/tags/list?n=2'])
    } finally {
      await client.close()
    }
  })

  test('the limits are set per host in the configuration file, by option for every host, and by flag in seconds', async () => {
    const dir = await makeTempDir()
    try {
      const file = join(dir.path, 'config.json')
      await writeFile(
        file,
        JSON.stringify({ hosts: { 'slow.example': { connectTimeoutMs: 5000, headersTimeoutMs: 120000, idleTimeoutMs: 90000 } } }),
      )
      assert.deepEqual(await loadHostConfigFile(file), {
        'slow.example': { connectTimeoutMs: 5000, headersTimeoutMs: 120000, idleTimeoutMs: 90000 },
      })
      await writeFile(file, JSON.stringify({ hosts: { 'slow.example': { idleTimeoutMs: -1 } } }))
      await assert.rejects(loadHostConfigFile(file), /idleTimeoutMs must be a whole number of milliseconds/)

      const options = registryOptions({ 'connect-timeout': 3, 'headers-timeout': 40, 'idle-timeout': 50 })
      assert.deepEqual(options, { connectTimeoutMs: 3000, headersTimeoutMs: 40000, idleTimeoutMs: 50000 })
      await writeFile(file, '{}')
      const hosts = await resolveHostConfigs({
        file,
        env: {},
        flags: { ...options, registries: ['a.example'] },
      })
      assert.deepEqual(hosts['*'], { connectTimeoutMs: 3000, headersTimeoutMs: 40000, idleTimeoutMs: 50000 })
      assert.equal(hosts['a.example'], undefined)
      assert.deepEqual(DEFAULT_TIMEOUTS, { connectMs: 30_000, headersMs: 60_000, idleMs: 60_000 })
    } finally {
      await dir.cleanup()
    }
  })
})
