/**
 * Registries behind a forward proxy, through a real one: tinyproxy with Basic proxy
 * authentication (test/helpers/registry/forward-proxy.ts). Its log proves each request went
 * through it: CONNECT for https registries, absolute-URI forwarding for plain-HTTP ones. The
 * proxy's password never appears in any output.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { json, runCli, type CliResult } from '../helpers/cli.js'
import { startForwardProxy, type ForwardProxy } from '../helpers/registry/forward-proxy.js'
import { freePort } from '../helpers/registry/ports.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const WEB = 'example.com/ocibundle/shop-web:2.3.1'
const PASSWORD = `pw-${randomBytes(6).toString('hex')}`

let dir: TempDir
let images: string
let webDigest: string
let proxy: ForwardProxy
let plain: RunningRegistry
let tls: RunningRegistry
let remote: RunningRegistry

/** An IPv4 address of this machine that is not loopback: the environment's proxy applies to it. */
function outwardAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address
  assert.ok(address, 'the proxy-from-environment tests need an IPv4 address other than loopback on this machine')
  return address
}

before(async () => {
  dir = await makeTempDir('proxy-cli-')
  images = join(dir.path, 'images')
  ;[webDigest, proxy, plain, tls, remote] = await Promise.all([
    makeExampleImages(images).then((made) => made.get(WEB)!.digest),
    startForwardProxy({ username: 'ci-proxy', password: PASSWORD }),
    startRegistry('plain'),
    startRegistry('tls'),
    startRegistry('plain', { host: outwardAddress() }),
  ])
})
after(async () => {
  await Promise.all([proxy.stop(), plain.stop(), tls.stop(), remote.stop()])
  await dir.cleanup()
})

/** An environment without any proxy variable of the machine running the tests. */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const cleared = Object.fromEntries(
    ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'].map((n) => [n, '']),
  )
  return { ...cleared, DOCKER_CONFIG: join(dir.path, 'docker'), XDG_CONFIG_HOME: join(dir.path, 'xdg'), ...extra }
}

function assertNoSecret(...runs: CliResult[]): void {
  for (const r of runs) assert.ok(!(r.stdout + r.stderr).includes(PASSWORD), `the proxy password was printed:\n${r.stdout}\n${r.stderr}`)
}

/** Runs `fn` and returns the request lines the proxy received meanwhile. */
async function through(fn: () => Promise<void>): Promise<string[]> {
  const before = (await proxy.requests()).length
  await fn()
  return (await proxy.requests()).slice(before)
}

describe('--proxy', () => {
  test('an https registry is reached through a CONNECT tunnel, with the proxy credentials of the URL', async () => {
    let copy: CliResult | undefined
    const seen = await through(async () => {
      copy = await runCli(['copy', '--ca-file', tls.caFile!, '--proxy', proxy.url, `${images}@${webDigest}`, `${tls.host}/shop/web:1`], {
        env: env(),
      })
      assert.equal(copy.code, 0, copy.stderr)
    })
    assert.ok(seen.length > 0 && seen.every((r) => r === `CONNECT ${tls.host}`), seen.join('\n'))
    const resolved = await runCli(['resolve', '--ca-file', tls.caFile!, '--proxy', proxy.url, `${tls.host}/shop/web:1`], { env: env() })
    assert.equal(resolved.stdout.trim(), webDigest)
    assertNoSecret(copy!, resolved)
  })

  test('a plain-HTTP registry is reached by forwarding: the proxy sees every request', async () => {
    const seen = await through(async () => {
      const r = await runCli(['copy', '--proxy', proxy.url, `${images}@${webDigest}`, `${plain.host}/shop/web:1`], { env: env() })
      assert.equal(r.code, 0, r.stderr)
      assertNoSecret(r)
    })
    assert.ok(seen.includes(`HEAD http://${plain.host}/v2/shop/web/manifests/${webDigest}`), seen.join('\n'))
    assert.ok(
      seen.some((r) => r.startsWith(`PUT http://${plain.host}/v2/shop/web/manifests/`)),
      seen.join('\n'),
    )
  })

  test('wrong proxy credentials: the proxy refused, named without its credentials (exit 1), also in --json and DEBUG output', async () => {
    const wrong = proxy.url.replace(PASSWORD, 'not-the-password')
    const args = ['resolve', '--ca-file', tls.caFile!, '--proxy', wrong, `${tls.host}/shop/web:1`]
    const r = await runCli(args, { env: env() })
    assert.equal(r.code, 1, r.stderr)
    assert.match(
      r.stderr,
      new RegExp(
        `the proxy http://\\*\\*\\*@${proxy.host.replace('.', '\\.')} refused the request to ${tls.host.replace('.', '\\.')}: authentication required \\(401\\)`,
      ),
    )
    assert.match(r.stderr, /give the proxy credentials in its URL/)
    const asJson = await runCli([...args, '--json'], { env: env() })
    assert.equal(json(asJson).error?.code, 'ERR_PROXY')
    const debug = await runCli(args, { env: env({ DEBUG: '1' }) })
    for (const run of [r, asJson, debug]) assert.ok(!(run.stdout + run.stderr).includes('not-the-password'), run.stderr)
  })

  test('a proxy that cannot be reached is named as such, not the registry', async () => {
    const closed = await freePort()
    const r = await runCli(['resolve', '--proxy', `http://u:${PASSWORD}@127.0.0.1:${closed}`, `${plain.host}/shop/web:1`], { env: env() })
    assert.equal(r.code, 1)
    assert.match(r.stderr, new RegExp(`the proxy http://\\*\\*\\*@127\\.0\\.0\\.1:${closed} cannot be reached \\(ECONNREFUSED\\)`))
    assertNoSecret(r)
  })
})

describe('the proxy setting of the host configuration file', () => {
  test('a per-host proxy is used for that registry; proxy false connects directly whatever the environment says', async () => {
    const file = join(dir.path, 'hosts.json')
    await writeFile(
      file,
      JSON.stringify({ hosts: { [tls.host]: { caFile: tls.caFile, proxy: proxy.url }, [plain.host]: { proxy: false } } }),
    )
    const seen = await through(async () => {
      const r = await runCli(['resolve', `${tls.host}/shop/web:1`], { env: env({ OCIBUNDLE_CONFIG: file }) })
      assert.equal(r.stdout.trim(), webDigest, r.stderr)
      const closed = await freePort()
      const direct = await runCli(['resolve', `${plain.host}/shop/web:1`], {
        env: env({ OCIBUNDLE_CONFIG: file, HTTP_PROXY: `http://127.0.0.1:${closed}`, ALL_PROXY: `http://127.0.0.1:${closed}` }),
      })
      assert.equal(direct.stdout.trim(), webDigest, direct.stderr)
    })
    assert.deepEqual(seen, [`CONNECT ${tls.host}`])
  })
})

describe('proxies from the environment', () => {
  const ref = () => `${remote.host}/env/web:1`

  test('HTTP_PROXY, http_proxy and ALL_PROXY carry a plain-HTTP registry on another address of this machine', async () => {
    for (const [name, i] of [
      ['HTTP_PROXY', 1],
      ['http_proxy', 2],
      ['ALL_PROXY', 3],
    ] as const) {
      const seen = await through(async () => {
        const r = await runCli(['copy', '--plain-http', `${images}@${webDigest}`, `${ref()}${i}`], { env: env({ [name]: proxy.url }) })
        assert.equal(r.code, 0, `${name}: ${r.stderr}`)
        assertNoSecret(r)
      })
      assert.ok(
        seen.some((r) => r.startsWith(`PUT http://${remote.host}/v2/env/web/manifests/`)),
        `${name}: ${seen.join('\n')}`,
      )
    }
  })

  test('NO_PROXY by address, by CIDR block, and * send requests directly; loopback registries never use the proxy', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`
    const address = remote.host.split(':')[0]!
    const seen = await through(async () => {
      for (const noProxy of [address, `${address.split('.').slice(0, 2).join('.')}.0.0/16`, '*', `other.example,${remote.host}`]) {
        const r = await runCli(['resolve', '--plain-http', `${ref()}1`], { env: env({ HTTP_PROXY: closed, NO_PROXY: noProxy }) })
        assert.equal(r.stdout.trim(), webDigest, `NO_PROXY=${noProxy}: ${r.stderr}`)
      }
      const local = await runCli(['resolve', `${plain.host}/shop/web:1`], { env: env({ HTTP_PROXY: closed, HTTPS_PROXY: closed }) })
      assert.equal(local.stdout.trim(), webDigest, local.stderr)
    })
    assert.deepEqual(seen, [])
  })

  test('an unusable proxy variable fails the requests it would carry, naming the variable, without its value; others are unaffected', async () => {
    const bad = env({ HTTPS_PROXY: `ftp://user:${PASSWORD}@proxy:2121` })
    const r = await runCli(['resolve', `${remote.host}/env/web:1`], { env: bad })
    assert.equal(r.code, 1)
    assert.match(r.stderr, /fix or unset HTTPS_PROXY/)
    const local = await runCli(['resolve', `${plain.host}/shop/web:1`], { env: bad })
    assert.equal(local.stdout.trim(), webDigest, local.stderr)
    assert.match(r.stderr, /the proxy ftp:\/\/\*\*\*@proxy:2121 from HTTPS_PROXY is not an http or https proxy URL/)
    assertNoSecret(r)
  })
})
