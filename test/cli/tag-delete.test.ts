/**
 * `ocibundle tag` and `ocibundle delete` against the real registry: tags added without uploading
 * a blob (the registry's access log shows only manifest PUTs), a tag that names other content
 * left alone without --force, a tag removed with distribution's fallback (it refuses DELETE by
 * tag), a manifest deleted by digest, the confirmation rule, and a registry that does not delete.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { json, runCli } from '../helpers/cli.js'
import { startQuirkProxy, type QuirkProxy } from '../helpers/registry/quirk-proxy.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const WEB = 'example.com/ocibundle/shop-web:2.3.1'
const API = 'example.com/ocibundle/shop-api:2.3.1'

let dir: TempDir
let images: string
let web: string
let api: string
let reg: RunningRegistry
let ghcr: QuirkProxy

before(async () => {
  dir = await makeTempDir('tag-delete-')
  images = join(dir.path, 'images')
  const [made, started] = await Promise.all([makeExampleImages(images), startRegistry('plain')])
  reg = started
  web = made.get(WEB)!.digest
  api = made.get(API)!.digest
  ghcr = await startQuirkProxy(reg, 'ghcr')
  for (const [digest, ref] of [
    [web, `${reg.host}/acme/web:1`],
    [api, `${reg.host}/acme/web:api`],
  ] as const) {
    const r = await runCli(['copy', `${images}@${digest}`, ref], { env: env() })
    assert.equal(r.code, 0, r.stderr)
  }
})
after(async () => {
  await ghcr.stop()
  await reg.stop()
  await dir.cleanup()
})

const env = () => ({ DOCKER_CONFIG: join(dir.path, 'docker'), XDG_CONFIG_HOME: join(dir.path, 'xdg') })
const resolve = async (ref: string) => (await runCli(['resolve', ref], { env: env() })).stdout.trim()

describe('ocibundle tag', () => {
  test('adds tags that name the same digest, and uploads no blob: the registry saw only manifest PUTs', async () => {
    const before = reg.requests().length
    const r = await runCli(['tag', '--json', `${reg.host}/acme/web:1`, 'stable', 'v1'], { env: env() })
    assert.equal(r.code, 0, r.stderr)
    const result = json<{ descriptor: { digest: string }; tags: Array<{ tag: string; outcome: string }> }>(r).result
    assert.equal(result.descriptor.digest, web)
    assert.deepEqual(
      result.tags.map((t) => `${t.tag} ${t.outcome}`),
      ['stable created', 'v1 created'],
    )
    assert.equal(await resolve(`${reg.host}/acme/web:stable`), web)
    assert.equal(await resolve(`${reg.host}/acme/web:v1`), web)
    const writes = reg
      .requests()
      .slice(before)
      .filter((l) => !/^(GET|HEAD) /.test(l))
    assert.deepEqual(writes.map((l) => l.replace(/ \d{3}$/, '')).sort(), [
      `PUT /v2/acme/web/manifests/stable`,
      `PUT /v2/acme/web/manifests/v1`,
    ])
  })

  test('a tag that names other content is left alone without --force; with --force it moves, and the output says from where', async () => {
    const refused = await runCli(['tag', `${reg.host}/acme/web:api`, 'stable'], { env: env() })
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /tag "stable" already names sha256:[0-9a-f]{64}, not this content/)
    assert.equal(await resolve(`${reg.host}/acme/web:stable`), web)
    const again = await runCli(['tag', `${reg.host}/acme/web:1`, 'stable'], { env: env() })
    assert.equal(again.stdout.trim(), 'Already there: stable')
    const moved = await runCli(['tag', '--force', `${reg.host}/acme/web:api`, 'stable'], { env: env() })
    assert.equal(moved.code, 0, moved.stderr)
    assert.match(moved.stdout, new RegExp(`Moved ${reg.host.replace('.', '\\.')}/acme/web:stable → ${api} \\(was ${web}\\)`))
    assert.equal(await resolve(`${reg.host}/acme/web:stable`), api)
  })

  test('a malformed new tag is a usage error, before anything is asked of the registry', async () => {
    const before = reg.requests().length
    const r = await runCli(['tag', `${reg.host}/acme/web:1`, 'not a tag'], { env: env() })
    assert.equal(r.code, 2)
    assert.equal(reg.requests().length, before)
  })
})

describe('ocibundle delete', () => {
  test('without --yes and without a terminal it refuses (exit 2) and deletes nothing', async () => {
    const r = await runCli(['delete', `${reg.host}/acme/web:v1`], { env: env() })
    assert.equal(r.code, 2)
    assert.match(r.stderr, /refusing to delete .* without --yes: stdin is not a terminal/)
    assert.equal(await resolve(`${reg.host}/acme/web:v1`), web)
  })

  test('a tag is removed and its manifest stays, although distribution refuses DELETE by tag', async () => {
    const r = await runCli(['delete', '--yes', '--json', `${reg.host}/acme/web:v1`], { env: env() })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(json<{ removes: string; deleted: boolean }>(r).result.removes, 'tag')
    assert.equal((await runCli(['resolve', `${reg.host}/acme/web:v1`], { env: env() })).code, 6)
    assert.equal(await resolve(`${reg.host}/acme/web@${web}`), web)
    assert.ok(
      reg.requests().some((l) => /^DELETE \/v2\/acme\/web\/manifests\/v1 400$/.test(l)),
      'the DELETE by tag was refused first',
    )
  })

  test('a digest deletes the manifest and every tag naming it', async () => {
    const r = await runCli(['delete', '-y', `${reg.host}/acme/web@${api}`], { env: env() })
    assert.equal(r.code, 0, r.stderr)
    for (const ref of [`${reg.host}/acme/web@${api}`, `${reg.host}/acme/web:api`, `${reg.host}/acme/web:stable`]) {
      assert.equal((await runCli(['resolve', ref], { env: env() })).code, 6, ref)
    }
  })

  test('a registry that does not delete (GHCR: 405 UNSUPPORTED) says so, with what to do', async () => {
    const r = await runCli(['delete', '--yes', `${ghcr.host}/acme/web@${web}`], { env: env() })
    assert.equal(r.code, 1)
    assert.match(r.stderr, /the registry does not allow deletion/)
    assert.match(r.stderr, /storage\.delete\.enabled/)
  })

  test('a reference without tag or digest is a usage error', async () => {
    assert.equal((await runCli(['delete', '--yes', `${reg.host}/acme/web`], { env: env() })).code, 2)
  })
})
