/**
 * The undici entry points loaded from their own modules (src/registry/http/undici.ts, and the
 * proxy modules of src/registry/http/proxy.ts) behave as the package's: path and query reach the
 * server, the global dispatcher is the default, an Agent can be passed, a request goes through a
 * proxy, and the index of 110 modules is not loaded.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createDispatcher } from '../../../src/registry/http/proxy.js'
import { Agent, request } from '../../../src/registry/http/undici.js'

async function withServer(fn: (origin: string, seen: string[]) => Promise<void>): Promise<void> {
  const seen: string[] = []
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    res.end(`hello ${req.url}`)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen)
  } finally {
    server.closeAllConnections()
    server.close()
  }
}

describe('undici entry points', () => {
  test('request sends method, path and query, through the global dispatcher when none is given', async () => {
    await withServer(async (origin, seen) => {
      const res = await request(`${origin}/v2/a/tags/list?n=2&last=x`)
      assert.equal(res.statusCode, 200)
      assert.equal(await res.body.text(), 'hello /v2/a/tags/list?n=2&last=x')
      assert.deepEqual(seen, ['GET /v2/a/tags/list?n=2&last=x'])
    })
  })

  test('request goes through the Agent it is given', async () => {
    await withServer(async (origin, seen) => {
      const agent = new Agent({ connections: 1 })
      let dispatched = 0
      const counting = agent.compose((dispatch) => (opts, handler) => {
        dispatched++
        return dispatch(opts, handler)
      })
      const res = await request(new URL('/v2/', origin), { method: 'HEAD', dispatcher: counting })
      assert.equal(res.statusCode, 200)
      await res.body.dump()
      assert.equal(dispatched, 1)
      assert.deepEqual(seen, ['HEAD /v2/'])
      await agent.close()
    })
  })

  test('the proxy dispatcher forwards plain HTTP through a proxy, with the credentials of its URL', async () => {
    await withServer(async (origin, seen) => {
      // A forward proxy in a few lines: it answers absolute-URI requests itself, recording what it got.
      const proxied: string[] = []
      const proxyServer: Server = createServer((req, res) => {
        proxied.push(`${req.method} ${req.url} ${req.headers['proxy-authorization'] ?? ''}`)
        res.end('from the proxy')
      })
      proxyServer.listen(0, '127.0.0.1')
      await once(proxyServer, 'listening')
      const dispatcher = createDispatcher({}, `http://u:p@127.0.0.1:${(proxyServer.address() as AddressInfo).port}`, {})
      try {
        const res = await request(`${origin}/v2/`, { dispatcher })
        assert.equal(await res.body.text(), 'from the proxy')
        assert.deepEqual(proxied, [`GET ${origin}/v2/ Basic ${Buffer.from('u:p').toString('base64')}`])
        assert.deepEqual(seen, [], 'nothing reached the server directly')
      } finally {
        await dispatcher.close()
        proxyServer.closeAllConnections()
        proxyServer.close()
      }
    })
  })

  test('loading the registry client does not load the undici package index', async () => {
    const client = fileURLToPath(new URL('../../../src/registry/http/client.ts', import.meta.url))
    const script = `await import(${JSON.stringify(client)}); const { createRequire } = await import('node:module'); const r = createRequire(${JSON.stringify(client)}); console.log(Object.keys(r.cache).filter((k) => /undici[\\\\/]index\\.js$/.test(k)).length)`
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script])
    assert.equal(stdout.trim(), '0')
  })
})

describe('the undici internals are pinned', () => {
  test('package.json names one exact undici version, and it is the one installed', async () => {
    const { readFile } = await import('node:fs/promises')
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { dependencies: Record<string, string> }
    const pinned = pkg.dependencies.undici!
    assert.match(pinned, /^\d+\.\d+\.\d+$/, `undici must be pinned exactly (the CLI loads its internal modules), not "${pinned}"`)
    const installed = JSON.parse(await readFile('node_modules/undici/package.json', 'utf8')) as { version: string }
    assert.equal(installed.version, pinned)
  })

  test('the internal entry points are what the package exports under its public names', async () => {
    const { createRequire } = await import('node:module')
    const require = createRequire(import.meta.url)
    const undici = require('undici') as typeof import('undici')
    assert.equal(Agent, undici.Agent, 'lib/dispatcher/agent.js is the public Agent')
    const global = require('undici/lib/global.js') as { getGlobalDispatcher: unknown }
    assert.equal(global.getGlobalDispatcher, undici.getGlobalDispatcher)
    const proxyAgent = require('undici/lib/dispatcher/proxy-agent.js') as unknown
    assert.equal(proxyAgent, undici.ProxyAgent, 'lib/dispatcher/proxy-agent.js is the public ProxyAgent')
    const dispatcher = require('undici/lib/dispatcher/dispatcher.js') as unknown
    assert.equal(dispatcher, undici.Dispatcher, 'lib/dispatcher/dispatcher.js is the public Dispatcher')
    const apiConnect = require('undici/lib/api/api-connect.js') as unknown
    assert.equal(
      (undici.Dispatcher.prototype as unknown as { connect: unknown }).connect,
      apiConnect,
      'lib/api/api-connect.js is Dispatcher#connect, which ProxyAgent tunnels with',
    )
    const wrapHandler = require('undici/lib/handler/wrap-handler.js') as { wrap?: unknown }
    assert.equal(typeof wrapHandler.wrap, 'function', 'lib/handler/wrap-handler.js wraps legacy handlers')
    const apiRequest = require('undici/lib/api/api-request.js') as unknown
    assert.equal(typeof apiRequest, 'function')
    assert.equal(
      (undici.Dispatcher.prototype as unknown as { request: unknown }).request,
      apiRequest,
      'lib/api/api-request.js is Dispatcher#request',
    )
  })
})
