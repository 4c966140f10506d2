/**
 * The registry harness (test/helpers/registry/) against the real CNCF distribution 2.8 registry,
 * checked with raw HTTP and with skopeo: no ocibundle code is involved, so a failure here is the
 * harness's (or the environment's: run scripts/install-system-deps.sh).
 *
 * One registry per variant is shared by the whole file and started in parallel; each test uses
 * its own repository names.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { copyFile, mkdir, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { createServer, type Server } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'
import { tarOf } from '../helpers/tar.js'
import { INSTALL_HINT, requireBinary } from '../helpers/registry/bins.js'
import { decodeToken } from '../helpers/registry/jwt.js'
import { startRegistry, TEST_USERNAME, TOKEN_ISSUER, TOKEN_SERVICE, type RunningRegistry } from '../helpers/registry/server.js'
import { matchRequest, startFaultProxy, type FaultProxy } from '../helpers/registry/fault-proxy.js'
import {
  basicAuth,
  fetchToken,
  pushBlob,
  pushManifest,
  rawRequest,
  registryRequest,
  sha256,
  type IncompleteBodyError,
  type RegistryEndpoint,
} from '../helpers/registry/raw-http.js'
import { runSkopeo, writeTinyOciLayout, type TinyLayout } from '../helpers/registry/skopeo.js'

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'

/** Whether `pid` is a live process (a zombie awaiting its reaper counts as gone). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 3, after the parenthesised command name, is the state.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true
    await sleep(25)
  }
  return !isAlive(pid)
}

/** A tiny image: config + layer blobs and the OCI manifest over them. */
function tinyImage(label: string) {
  const layer = Buffer.from(`layer ${label}`)
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, label }))
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
    }),
  )
  return { layer, config, manifest }
}

/** Pushes a tiny image with raw requests and reads it back; the whole round trip a client does. */
async function roundTrip(target: RegistryEndpoint, repo: string, headers: Record<string, string>): Promise<void> {
  const img = tinyImage(repo)
  assert.equal(await pushBlob(target, repo, img.config, headers), sha256(img.config))
  assert.equal(await pushBlob(target, repo, img.layer, headers), sha256(img.layer))
  const digest = await pushManifest(target, repo, 'v1', img.manifest, OCI_MANIFEST, headers)
  const got = await registryRequest(target, `/v2/${repo}/manifests/v1`, { headers: { ...headers, accept: OCI_MANIFEST } })
  assert.equal(got.status, 200)
  assert.equal(got.headers['docker-content-digest'], digest)
  assert.deepEqual(got.body, img.manifest)
  const layer = await registryRequest(target, `/v2/${repo}/blobs/${sha256(img.layer)}`, { headers })
  assert.equal(layer.status, 200)
  assert.deepEqual(layer.body, img.layer)
}

describe('registry harness (real docker-registry 2.8)', () => {
  let plain: RunningRegistry
  let basic: RunningRegistry
  let tls: RunningRegistry
  let token: RunningRegistry
  let work: TempDir
  let layout: TinyLayout

  before(async () => {
    work = await makeTempDir('ocibundle-harness-')
    ;[plain, basic, tls, token, layout] = await Promise.all([
      startRegistry('plain'),
      startRegistry('basic'),
      startRegistry('tls'),
      startRegistry('token'),
      writeTinyOciLayout(`${work.path}/layout`, tarOf({ 'hello.txt': 'hello from the harness\n' }), 't'),
    ])
  })

  after(async () => {
    await Promise.all([plain, basic, tls, token].map((r) => r?.stop()))
    await work?.cleanup()
  })

  const tokenCreds = () => ({ username: TEST_USERNAME, password: token.password! })
  const pushToken = (repo: string) => fetchToken(token.tokenIssuer!.realm, TOKEN_SERVICE, [`repository:${repo}:pull,push`], tokenCreds())

  describe('GET /v2/', () => {
    it('plain answers 200 {} with the API version header', async () => {
      const res = await rawRequest(`${plain.url}/v2/`)
      assert.equal(res.status, 200)
      assert.equal(res.text(), '{}')
      assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0')
      assert.match(plain.url, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.equal(plain.host, plain.url.slice('http://'.length))
    })

    it('basic answers 401 with a Basic challenge, 200 with the credentials, 401 with a wrong password', async () => {
      const anon = await rawRequest(`${basic.url}/v2/`)
      assert.equal(anon.status, 401)
      assert.equal(anon.headers['www-authenticate'], `Basic realm="${TOKEN_SERVICE}"`)
      assert.equal(basic.username, TEST_USERNAME)
      assert.match(basic.password ?? '', /^[0-9a-f]{32}$/)
      const ok = await rawRequest(`${basic.url}/v2/`, { headers: { authorization: basicAuth(TEST_USERNAME, basic.password!) } })
      assert.equal(ok.status, 200)
      const wrong = await rawRequest(`${basic.url}/v2/`, { headers: { authorization: basicAuth(TEST_USERNAME, 'nope') } })
      assert.equal(wrong.status, 401)
    })

    it('tls answers 200 over https when the CA is trusted, and fails verification without it', async () => {
      assert.match(tls.url, /^https:\/\/127\.0\.0\.1:\d+$/)
      assert.ok(tls.caFile && existsSync(tls.caFile))
      const ca = readFileSync(tls.caFile, 'utf8')
      assert.equal((await rawRequest(`${tls.url}/v2/`, { ca })).status, 200)
      // The certificate is valid for localhost too (SAN DNS:localhost).
      assert.equal((await rawRequest(tls.url.replace('127.0.0.1', 'localhost') + '/v2/', { ca })).status, 200)
      await assert.rejects(rawRequest(`${tls.url}/v2/`), (err: NodeJS.ErrnoException) => {
        assert.match(String(err.code), /CERT|SIGNATURE/, String(err))
        return true
      })
    })

    it('token answers 401 with a Bearer challenge naming the issuer and service, 200 with a token', async () => {
      const anon = await rawRequest(`${token.url}/v2/`)
      assert.equal(anon.status, 401)
      assert.equal(anon.headers['www-authenticate'], `Bearer realm="${token.tokenIssuer!.realm}",service="${TOKEN_SERVICE}"`)
      const bearer = await fetchToken(token.tokenIssuer!.realm, TOKEN_SERVICE, [], tokenCreds())
      assert.equal((await rawRequest(`${token.url}/v2/`, { headers: { authorization: `Bearer ${bearer}` } })).status, 200)
      // Basic credentials are not accepted by a token-auth registry.
      assert.equal(
        (await rawRequest(`${token.url}/v2/`, { headers: { authorization: basicAuth(TEST_USERNAME, token.password!) } })).status,
        401,
      )
    })
  })

  describe('blob upload + manifest round trip', () => {
    it('plain', () => roundTrip(plain, 'harness/roundtrip', {}))
    it('basic (with credentials; refused without)', async () => {
      await roundTrip(basic, 'harness/roundtrip', { authorization: basicAuth(TEST_USERNAME, basic.password!) })
      await assert.rejects(pushBlob(basic, 'harness/anon', 'x'), /POST blob upload: 401/)
    })
    it('tls (with the CA)', () => roundTrip(tls, 'harness/roundtrip', {}))
    it('token (with a pull,push token)', async () => {
      await roundTrip(token, 'harness/roundtrip', { authorization: `Bearer ${await pushToken('harness/roundtrip')}` })
    })
  })

  describe('token issuer', () => {
    it('signs ES256 JWTs with x5c, the right iss/aud/sub and the granted access', async () => {
      const jwt = await pushToken('harness/claims')
      const { header, claims } = decodeToken(jwt)
      assert.equal(header.alg, 'ES256')
      assert.ok(Array.isArray(header.x5c) && header.x5c.length === 1)
      assert.equal(claims.iss, TOKEN_ISSUER)
      assert.equal(claims.aud, TOKEN_SERVICE)
      assert.equal(claims.sub, TEST_USERNAME)
      assert.ok(claims.exp > claims.iat && claims.nbf <= claims.iat && claims.jti)
      assert.deepEqual(claims.access, [{ type: 'repository', name: 'harness/claims', actions: ['pull', 'push'] }])
    })

    it('gives anonymous callers pull only: they can read but not push', async () => {
      const repo = 'harness/anon-pull'
      const img = tinyImage(repo)
      const writer = { authorization: `Bearer ${await pushToken(repo)}` }
      await pushBlob(token, repo, img.config, writer)
      await pushBlob(token, repo, img.layer, writer)
      await pushManifest(token, repo, 'v1', img.manifest, OCI_MANIFEST, writer)

      const anon = await fetchToken(token.tokenIssuer!.realm, TOKEN_SERVICE, [`repository:${repo}:pull,push`])
      assert.deepEqual(decodeToken(anon).claims.access, [{ type: 'repository', name: repo, actions: ['pull'] }])
      assert.equal(decodeToken(anon).claims.sub, '')
      const reader = { authorization: `Bearer ${anon}` }
      const got = await registryRequest(token, `/v2/${repo}/manifests/v1`, { headers: { ...reader, accept: OCI_MANIFEST } })
      assert.equal(got.status, 200)
      const post = await registryRequest(token, `/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: reader })
      assert.ok([401, 403].includes(post.status), `anonymous push got ${post.status}`)
      // distribution asks for the missing scope in its challenge (actions in map order: either way).
      assert.match(String(post.headers['www-authenticate']), new RegExp(`scope="repository:${repo}:(pull,push|push,pull)"`))
      assert.match(String(post.headers['www-authenticate']), /error="insufficient_scope"/)
    })

    it('records every request: method, scopes, account', async () => {
      const before = token.tokenRequests!.length
      await fetchToken(token.tokenIssuer!.realm, TOKEN_SERVICE, ['repository:a/b:pull', 'repository:c/d:pull,push,delete'], tokenCreds())
      await fetchToken(token.tokenIssuer!.realm, TOKEN_SERVICE, ['registry:catalog:*'])
      await assert.rejects(
        fetchToken(token.tokenIssuer!.realm, TOKEN_SERVICE, ['repository:a/b:pull'], { username: TEST_USERNAME, password: 'wrong' }),
        /401/,
      )
      const seen = token.tokenRequests!.slice(before)
      assert.deepEqual(
        seen.map((r) => ({ method: r.method, scopes: r.scopes, account: r.account, status: r.status })),
        [
          { method: 'GET', scopes: ['repository:a/b:pull', 'repository:c/d:pull,push,delete'], account: TEST_USERNAME, status: 200 },
          { method: 'GET', scopes: ['registry:catalog:*'], account: undefined, status: 200 },
          { method: 'GET', scopes: ['repository:a/b:pull'], account: undefined, status: 401 },
        ],
      )
      assert.deepEqual(seen[1]!.granted, [], 'anonymous callers get no catalog access')
    })

    it('speaks the OAuth2 POST form: password grant with a refresh token, then the refresh_token grant', async () => {
      const realm = token.tokenIssuer!.realm
      const post = (form: Record<string, string>) =>
        rawRequest(realm, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(form).toString(),
        })
      const repo = 'harness/oauth'
      const first = await post({
        grant_type: 'password',
        username: TEST_USERNAME,
        password: token.password!,
        client_id: 'harness',
        service: TOKEN_SERVICE,
        scope: `repository:${repo}:pull`,
        access_type: 'offline',
      })
      assert.equal(first.status, 200)
      const body = first.json<{ access_token: string; refresh_token: string; expires_in: number }>()
      assert.equal(body.refresh_token, token.tokenIssuer!.refreshToken)
      assert.ok(body.expires_in >= 60)

      const refreshed = await post({
        grant_type: 'refresh_token',
        refresh_token: body.refresh_token,
        client_id: 'harness',
        service: TOKEN_SERVICE,
        scope: `repository:${repo}:pull,push`,
      })
      assert.equal(refreshed.status, 200)
      const access = refreshed.json<{ access_token: string; refresh_token?: string }>()
      assert.equal(access.refresh_token, undefined, 'a refresh token only with access_type=offline')
      assert.equal(decodeToken(access.access_token).claims.sub, TEST_USERNAME)
      await pushBlob(token, repo, 'pushed with a refreshed token', { authorization: `Bearer ${access.access_token}` })

      assert.equal(
        (await post({ grant_type: 'password', username: TEST_USERNAME, password: 'wrong', client_id: 'harness', service: TOKEN_SERVICE }))
          .status,
        401,
      )
      assert.equal((await post({ grant_type: 'refresh_token', refresh_token: 'bogus', client_id: 'harness' })).status, 401)
      assert.equal(
        (await post({ grant_type: 'password', username: TEST_USERNAME, password: token.password! })).status,
        400,
        'client_id is required',
      )
      const last = token.tokenRequests!.at(-1)!
      assert.equal(last.method, 'POST')
      assert.equal(last.grantType, 'password')
      const grants = token.tokenRequests!.filter((r) => r.method === 'POST' && r.status === 200).map((r) => r.grantType)
      assert.deepEqual(grants, ['password', 'refresh_token'])
    })

    it('an expired token is refused by the registry', async () => {
      const expired = token.tokenIssuer!.mintToken({ account: TEST_USERNAME, access: [], ttlSeconds: -3600 })
      assert.equal((await rawRequest(`${token.url}/v2/`, { headers: { authorization: `Bearer ${expired}` } })).status, 401)
    })
  })

  describe('skopeo (a third-party client) against the harness', () => {
    it('copies an OCI layout to plain and reads it back with inspect --raw', async () => {
      const home = `${work.path}/skopeo-plain`
      await runSkopeo(
        ['copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${layout.dir}:${layout.tag}`, `docker://${plain.host}/x/y:t`],
        home,
      )
      const { stdout } = await runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${plain.host}/x/y:t`], home)
      assert.equal(stdout, layout.manifest.toString('utf8'))
    })

    it('copies to basic with --dest-creds', async () => {
      const home = `${work.path}/skopeo-basic`
      const creds = `${TEST_USERNAME}:${basic.password}`
      await runSkopeo(
        [
          'copy',
          '--preserve-digests',
          '--dest-tls-verify=false',
          '--dest-creds',
          creds,
          `oci:${layout.dir}:${layout.tag}`,
          `docker://${basic.host}/x/y:t`,
        ],
        home,
      )
      const { stdout } = await runSkopeo(['inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${basic.host}/x/y:t`], home)
      assert.equal(stdout, layout.manifest.toString('utf8'))
      await assert.rejects(
        runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${basic.host}/x/y:t`], home),
        /unauthorized|authentication required/i,
      )
    })

    it('copies to token with --dest-creds, through the issuer', async () => {
      const home = `${work.path}/skopeo-token`
      const creds = `${TEST_USERNAME}:${token.password}`
      const before = token.tokenRequests!.length
      await runSkopeo(
        [
          'copy',
          '--preserve-digests',
          '--dest-tls-verify=false',
          '--dest-creds',
          creds,
          `oci:${layout.dir}:${layout.tag}`,
          `docker://${token.host}/x/y:t`,
        ],
        home,
      )
      const { stdout } = await runSkopeo(['inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${token.host}/x/y:t`], home)
      assert.equal(stdout, layout.manifest.toString('utf8'))
      const asked = token.tokenRequests!.slice(before)
      assert.ok(
        asked.some((r) => r.account === TEST_USERNAME && r.scopes.includes('repository:x/y:pull,push')),
        JSON.stringify(asked),
      )
    })

    it('pushes to tls when given the CA (--dest-cert-dir)', async () => {
      const home = `${work.path}/skopeo-tls`
      const certDir = `${work.path}/skopeo-tls-certs`
      await mkdir(certDir, { recursive: true })
      await copyFile(tls.caFile!, `${certDir}/ca.crt`)
      await runSkopeo(
        ['copy', '--preserve-digests', '--dest-cert-dir', certDir, `oci:${layout.dir}:${layout.tag}`, `docker://${tls.host}/x/y:t`],
        home,
      )
      const { stdout } = await runSkopeo(['inspect', '--raw', '--cert-dir', certDir, `docker://${tls.host}/x/y:t`], home)
      assert.equal(stdout, layout.manifest.toString('utf8'))
    })
  })

  describe('fault proxy', () => {
    let proxy: FaultProxy
    let big: Buffer
    let bigDigest: string
    const repo = 'harness/faults'

    before(async () => {
      proxy = await startFaultProxy(plain)
      big = Buffer.alloc(256 * 1024)
      for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff
      bigDigest = await pushBlob(plain, repo, big)
    })
    after(() => proxy?.stop())

    const blobPath = () => `/v2/${repo}/blobs/${bigDigest}`

    it('forwards requests and records method, path, status and headers', async () => {
      proxy.requests.length = 0
      const res = await rawRequest(`${proxy.url}/v2/?probe=1`, { headers: { 'x-test': 'yes' } })
      assert.equal(res.status, 200)
      assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0')
      assert.equal(res.headers.via, '1.1 ocibundle-fault-proxy')
      const blob = await rawRequest(proxy.url + blobPath())
      assert.deepEqual(blob.body, big)
      assert.deepEqual(
        proxy.requests.map((r) => [r.method, r.path, r.status]),
        [
          ['GET', '/v2/?probe=1', 200],
          ['GET', blobPath(), 200],
        ],
      )
      assert.equal(proxy.requests[0]!.requestHeaders['x-test'], 'yes')
      assert.equal(proxy.requests[1]!.responseHeaders['docker-content-digest'], bigDigest)
    })

    it('rewrites upstream Location headers so an upload continues through the proxy', async () => {
      proxy.requests.length = 0
      const post = await rawRequest(`${proxy.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' })
      assert.equal(post.status, 202)
      assert.ok(String(post.headers.location).startsWith(`${proxy.url}/v2/${repo}/blobs/uploads/`), String(post.headers.location))
      // The full monolithic upload, driven through the proxy by the helper.
      const digest = await pushBlob(proxy, repo, 'uploaded through the proxy')
      const methods = proxy.requests.map((r) => `${r.method} ${r.status}`)
      assert.deepEqual(methods, ['POST 202', 'POST 202', 'PUT 201'])
      assert.match(proxy.requests[2]!.path, new RegExp(`^/v2/${repo}/blobs/uploads/[0-9a-f-]+\\?_state=.*&digest=sha256%3A`))
      assert.equal(proxy.requests[2]!.responseHeaders.location, `${proxy.url}/v2/${repo}/blobs/${digest}`)
      assert.equal((await rawRequest(`${plain.url}/v2/${repo}/blobs/${digest}`)).text(), 'uploaded through the proxy')
    })

    it('answers status faults without forwarding (503 once, 429 with Retry-After, times: 2)', async () => {
      proxy.requests.length = 0
      const once = proxy.addFault({ match: matchRequest('GET', /^\/v2\/$/), action: { status: 503 } })
      const first = await rawRequest(`${proxy.url}/v2/`)
      assert.equal(first.status, 503)
      assert.equal(first.json<{ errors: Array<{ code: string }> }>().errors[0]!.code, 'UNAVAILABLE')
      assert.equal((await rawRequest(`${proxy.url}/v2/`)).status, 200, 'times defaults to 1')
      assert.equal(once.hits, 1)
      assert.equal(once.remaining, 0)

      proxy.addFault({ match: matchRequest('HEAD', bigDigest), times: 2, action: { status: 429, headers: { 'retry-after': '1' } } })
      const statuses: number[] = []
      for (let i = 0; i < 3; i++) {
        const res = await rawRequest(proxy.url + blobPath(), { method: 'HEAD' })
        statuses.push(res.status)
        if (res.status === 429) assert.equal(res.headers['retry-after'], '1')
      }
      assert.deepEqual(statuses, [429, 429, 200])
      assert.deepEqual(
        proxy.requests.map((r) => [r.status, r.fault]),
        [
          [503, 'status'],
          [200, undefined],
          [429, 'status'],
          [429, 'status'],
          [200, undefined],
        ],
      )
    })

    it('drains the request body before a status fault answers a large PUT', async () => {
      proxy.addFault({ match: matchRequest('PUT', '/blobs/uploads/'), action: { status: 500, body: 'boom' } })
      const post = await rawRequest(`${proxy.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' })
      const location = new URL(String(post.headers.location))
      location.searchParams.set('digest', sha256(big))
      const put = await rawRequest(location, {
        method: 'PUT',
        body: Buffer.concat([big, big, big, big]),
        headers: { 'content-type': 'application/octet-stream' },
      })
      assert.equal(put.status, 500)
      assert.equal(put.text(), 'boom')
    })

    it('resets the connection after n body bytes (and only once)', async () => {
      proxy.addFault({ match: matchRequest('GET', bigDigest), action: { resetAfterBytes: 1000 } })
      await assert.rejects(rawRequest(proxy.url + blobPath()), (err: IncompleteBodyError) => {
        assert.equal(err.code, 'ERR_BODY_INCOMPLETE')
        assert.equal(err.status, 200)
        assert.equal(err.headers['content-length'], String(big.length))
        assert.ok(err.partial.length <= 1000, `got ${err.partial.length} bytes`)
        assert.deepEqual(err.partial, big.subarray(0, err.partial.length))
        assert.equal((err.cause as NodeJS.ErrnoException | undefined)?.code, 'ECONNRESET')
        return true
      })
      assert.deepEqual((await rawRequest(proxy.url + blobPath())).body, big)
      assert.equal(proxy.requests.at(-2)!.fault, 'reset')
    })

    it('truncates: full Content-Length announced, connection closed after n bytes', async () => {
      proxy.addFault({ match: matchRequest('GET', bigDigest), action: { truncateAfterBytes: 4096 } })
      await assert.rejects(rawRequest(proxy.url + blobPath()), (err: IncompleteBodyError) => {
        assert.equal(err.code, 'ERR_BODY_INCOMPLETE')
        assert.equal(err.headers['content-length'], String(big.length))
        assert.equal(err.partial.length, 4096)
        assert.deepEqual(err.partial, big.subarray(0, 4096))
        return true
      })
    })

    it('truncates a response without Content-Length too (the proxy computes it)', async () => {
      // distribution sizes all its answers, so the source of a chunked body is an intercepting
      // proxy; a second proxy in front of it truncates.
      const chunked = await startFaultProxy(plain, {
        intercept: async (req, ctx) => {
          if (!req.url?.startsWith('/chunked')) return false
          ctx.res.writeHead(200, { 'content-type': 'application/octet-stream' })
          ctx.res.write(big.subarray(0, 1000))
          ctx.res.end(big.subarray(1000, 3000))
          return true
        },
      })
      const outer = await startFaultProxy(chunked)
      try {
        outer.addFault({ match: matchRequest('GET', '/chunked'), action: { truncateAfterBytes: 10 } })
        await assert.rejects(rawRequest(`${outer.url}/chunked`), (err: IncompleteBodyError) => {
          assert.equal(err.headers['content-length'], '3000')
          assert.equal(err.partial.length, 10)
          return true
        })
      } finally {
        await outer.stop()
        await chunked.stop()
      }
    })

    it('corrupts the body: same length, every byte flipped', async () => {
      proxy.addFault({ match: matchRequest('GET', bigDigest), action: { corruptBody: true } })
      const res = await rawRequest(proxy.url + blobPath())
      assert.equal(res.status, 200)
      assert.equal(res.body.length, big.length)
      assert.notEqual(sha256(res.body), bigDigest)
      assert.equal(res.body[0], big[0]! ^ 0xff)
      assert.equal(res.body[big.length - 1], big[big.length - 1]! ^ 0xff)
    })

    it('delays, and clearFaults removes pending faults', async () => {
      proxy.addFault({ match: matchRequest('GET', /^\/v2\/$/), action: { delayMs: 300 } })
      const t0 = Date.now()
      assert.equal((await rawRequest(`${proxy.url}/v2/`)).status, 200)
      assert.ok(Date.now() - t0 >= 290, `took ${Date.now() - t0} ms`)
      proxy.addFault({ match: () => true, times: Infinity, action: { status: 500 } })
      proxy.clearFaults()
      assert.equal((await rawRequest(`${proxy.url}/v2/`)).status, 200)
    })

    it('lets an intercept hook answer some requests and read-then-forward others', async () => {
      const seenBodies: number[] = []
      const quirky = await startFaultProxy(plain, {
        intercept: async (req, ctx) => {
          if (req.url?.includes('/referrers/')) {
            ctx.res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' })
            ctx.res.end(JSON.stringify({ schemaVersion: 2, manifests: [] }))
            return true
          }
          if (req.method === 'PUT') seenBodies.push((await ctx.body()).length)
          return false
        },
      })
      try {
        const referrers = await rawRequest(`${quirky.url}/v2/${repo}/referrers/${bigDigest}`)
        assert.equal(referrers.status, 200)
        assert.deepEqual(referrers.json(), { schemaVersion: 2, manifests: [] })
        await pushBlob(quirky, repo, 'read by the hook, then forwarded')
        assert.deepEqual(seenBodies, [Buffer.byteLength('read by the hook, then forwarded')])
        assert.deepEqual(
          quirky.requests.map((r) => [r.method, r.status, r.intercepted ?? false]),
          [
            ['GET', 200, true],
            ['POST', 202, false],
            ['PUT', 201, false],
          ],
        )
      } finally {
        await quirky.stop()
      }
    })

    it('fronts an https upstream (tls variant) and leaves a token realm alone', async () => {
      const tlsProxy = await startFaultProxy(tls)
      const tokenProxy = await startFaultProxy(token)
      try {
        assert.equal((await rawRequest(`${tlsProxy.url}/v2/`)).status, 200)
        const post = await rawRequest(`${tlsProxy.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' })
        assert.ok(String(post.headers.location).startsWith(`${tlsProxy.url}/`), String(post.headers.location))
        const challenge = await rawRequest(`${tokenProxy.url}/v2/`)
        assert.equal(challenge.headers['www-authenticate'], `Bearer realm="${token.tokenIssuer!.realm}",service="${TOKEN_SERVICE}"`)
      } finally {
        await Promise.all([tlsProxy.stop(), tokenProxy.stop()])
      }
    })
  })

  describe('lifecycle', () => {
    it('retries on another port when the port is taken, and stop() leaves no process or dir behind', async () => {
      const blocker: Server = createServer()
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
      const busy = (blocker.address() as { port: number }).port
      try {
        const reg = await startRegistry('plain', { port: busy })
        assert.notEqual(reg.host, `127.0.0.1:${busy}`)
        assert.match(reg.logs(), /address already in use|listening on/)
        assert.ok(isAlive(reg.pid))
        assert.ok(existsSync(reg.storageDir))
        await reg.stop()
        await reg.stop() // idempotent
        assert.ok(!isAlive(reg.pid), `registry ${reg.pid} still running`)
        assert.ok(!existsSync(reg.storageDir))
        await assert.rejects(rawRequest(`${reg.url}/v2/`), /ECONNREFUSED/)
      } finally {
        blocker.close()
      }
    })

    it('fails with the registry log when it is not ready in time, and cleans up', async () => {
      await assert.rejects(startRegistry('plain', { readyTimeoutMs: 1 }), /did not become ready[\s\S]*/)
    })

    it('no registry survives its test process: exit hook and watchdog', async () => {
      const worker = fileURLToPath(new URL('./orphan-worker.ts', import.meta.url))
      const run = (mode: string) =>
        new Promise<{ pid: number; storageDir: string; child: ReturnType<typeof spawn> }>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', worker, mode], { stdio: ['ignore', 'pipe', 'inherit'] })
          let out = ''
          child.stdout.on('data', (c: Buffer) => {
            out += c.toString()
            const line = out.split('\n')[0]
            if (out.includes('\n') && line) resolve({ ...(JSON.parse(line) as { pid: number; storageDir: string }), child })
          })
          child.once('error', reject)
          child.once('exit', (code) => (out.includes('\n') ? undefined : reject(new Error(`worker exited ${code} before reporting`))))
        })
      const [natural, hung] = await Promise.all([run('natural'), run('hang')])
      // natural: the worker's event loop empties (nothing of the harness keeps it alive) and its
      // exit hook kills the registry and removes its dir.
      const naturalExit = await Promise.race([
        new Promise<number | null>((resolve) =>
          natural.child.exitCode !== null ? resolve(natural.child.exitCode) : natural.child.once('exit', resolve),
        ),
        sleep(10_000, 'hung' as const, { ref: false }),
      ])
      assert.equal(naturalExit, 0, 'a started registry must not keep the test process alive')
      assert.ok(await waitGone(natural.pid, 3000), 'exit hook did not kill the registry')
      assert.ok(!existsSync(natural.storageDir), 'exit hook did not remove the temp dir')
      // hang: SIGKILL runs no JS at all; the watchdog must notice and kill the registry.
      assert.ok(isAlive(hung.pid))
      hung.child.kill('SIGKILL')
      assert.ok(await waitGone(hung.pid, 5000), 'watchdog did not kill the orphaned registry')
      // Only its temp dir stays behind (no JS ran to remove it).
      await rm(dirname(hung.storageDir), { recursive: true, force: true })
    })

    it('names the install script when a tool is missing', () => {
      assert.throws(
        () => requireBinary('ocibundle-no-such-tool'),
        (err: Error) => err.message.includes(INSTALL_HINT) && err.message.includes('install-system-deps.sh'),
      )
      for (const tool of ['docker-registry', 'openssl', 'htpasswd', 'skopeo']) assert.ok(requireBinary(tool))
    })
  })
})
