/**
 * A web server where a registry was expected (the wrong port, a proxy's error page, a repository
 * manager without its Docker connector): every command says so once, with the status and what
 * to check, instead of "manifest not found" or an HTML page per image. A real registry is never
 * taken for something else.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { unlikeRegistry } from '../../src/registry/http/registry-answer.js'
import { json, runCli } from '../helpers/cli.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const PAGE = '<!DOCTYPE html><html><head><title>Welcome to the intranet</title></head><body>hello</body></html>'

let dir: TempDir
let images: string
let web: Server
let webHost: string
const seen: string[] = []

before(async () => {
  dir = await makeTempDir('not-a-registry-')
  images = join(dir.path, 'images')
  await makeExampleImages(images)
  // Answers every path with an HTML page: 200 at /, 404 elsewhere, as a plain web server does.
  web = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    req.resume()
    res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' })
    res.end(req.method === 'HEAD' ? undefined : PAGE)
  })
  web.listen(0, '127.0.0.1')
  await once(web, 'listening')
  webHost = `127.0.0.1:${(web.address() as AddressInfo).port}`
})
after(async () => {
  web.closeAllConnections()
  web.close()
  await dir.cleanup()
})

const env = () => ({
  DOCKER_CONFIG: join(dir.path, 'docker'),
  XDG_CONFIG_HOME: join(dir.path, 'xdg'),
  XDG_CACHE_HOME: join(dir.path, 'cache'),
})

function assertOneNotARegistryError(r: { code: number; stdout: string; stderr: string }): void {
  assert.equal(r.code, 1, r.stderr)
  const said = r.stderr.match(/does not answer as a container registry/g) ?? []
  assert.equal(said.length, 1, r.stderr)
  assert.match(
    r.stderr,
    new RegExp(`GET http://${webHost.replace('.', '\\.')}/v2/ answered 404 with text/html, the page "Welcome to the intranet"`),
  )
  assert.match(r.stderr, /check the host and port/)
  assert.ok(!r.stderr.includes('<html'), 'no HTML is printed')
}

describe('a web server where a registry was expected', () => {
  test('inspect says it is not a registry (exit 1), not that a manifest is missing', async () => {
    const r = await runCli(['inspect', `${webHost}/acme/shop:v1`], { env: env() })
    assertOneNotARegistryError(r)
    assert.doesNotMatch(r.stderr, /not found/)
  })

  test('push of a four-image bundle says it once, and sends nothing after the check', async () => {
    seen.length = 0
    const r = await runCli(['push', 'bundles/shop/bundle.json', `${webHost}/acme/shop`, '--images', images, '--auto-update'], {
      env: env(),
    })
    assertOneNotARegistryError(r)
    assert.deepEqual(
      seen.filter((s) => !s.startsWith('HEAD ')),
      ['GET /v2/'],
      'one API version check; the other requests were HEADs of the first blobs in flight',
    )
  })

  test('tag ls, resolve and login fail the same way; --json carries the error code', async () => {
    for (const args of [
      ['tag', 'ls', `${webHost}/acme/shop`],
      ['resolve', `${webHost}/acme/shop:v1`],
    ]) {
      assertOneNotARegistryError(await runCli(args, { env: env() }))
    }
    const login = await runCli(['login', webHost, '--username', 'u', '--password-stdin'], { env: env(), input: 'p\n' })
    assert.equal(login.code, 1)
    assert.match(login.stderr, /does not answer as a container registry/)
    const asJson = json(await runCli(['resolve', '--json', `${webHost}/acme/shop:v1`], { env: env() }))
    assert.equal(asJson.status, 1)
    assert.equal(asJson.error?.code, 'ERR_NOT_A_REGISTRY')
  })
})

describe('the real registry is never taken for something else', () => {
  let reg: RunningRegistry
  before(async () => {
    reg = await startRegistry('plain')
  })
  after(() => reg.stop())

  test('a missing manifest on distribution stays "not found" (exit 6)', async () => {
    const r = await runCli(['inspect', `${reg.host}/acme/shop:v1`], { env: env() })
    assert.equal(r.code, 6, r.stderr)
    assert.doesNotMatch(r.stderr, /does not answer as a container registry/)
  })
})

describe('what counts as unlike a registry', () => {
  const head = (status: number, headers: Record<string, string>) => unlikeRegistry({ status, headers })
  test('without the API version header: a web page for a 2xx, a 404 that is not JSON, a 401 that is no challenge', () => {
    assert.equal(head(200, { 'content-type': 'text/html' }), true)
    assert.equal(head(404, {}), true)
    assert.equal(head(404, { 'content-type': 'text/plain' }), true)
    assert.equal(head(401, {}), true)
  })
  test('the API version header, a JSON error body, a challenge, other 2xx, and refusals a proxy in front may send are not', () => {
    assert.equal(head(404, { 'docker-distribution-api-version': 'registry/2.0', 'content-type': 'text/html' }), false)
    assert.equal(head(404, { 'content-type': 'application/json; charset=utf-8' }), false)
    assert.equal(head(401, { 'www-authenticate': 'Bearer realm="x"' }), false)
    assert.equal(head(200, { 'content-type': 'application/octet-stream' }), false)
    assert.equal(head(413, { 'content-type': 'text/html' }), false)
    assert.equal(head(503, { 'content-type': 'text/plain' }), false)
  })
})
