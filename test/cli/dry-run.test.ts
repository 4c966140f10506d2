/**
 * --dry-run on push and copy: the plan says what would be pushed, mounted, tagged and found
 * there already, in which representation, and nothing is written: the registry's access log
 * shows no PUT, POST, PATCH or DELETE, and a layout directory that did not exist still does not.
 */
import assert from 'node:assert/strict'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { json, runCli } from '../helpers/cli.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const SHOP = 'bundles/shop/bundle.json'
const WEB = 'example.com/ocibundle/shop-web:2.3.1'

interface Planned {
  dryRun: {
    writes: Array<{ action: string; descriptor: { digest: string; mediaType: string }; tag?: string; from?: string }>
    present: unknown[]
  }
}

let dir: TempDir
let images: string
let web: string
let reg: RunningRegistry

before(async () => {
  dir = await makeTempDir('dry-run-')
  images = join(dir.path, 'images')
  const [made, started] = await Promise.all([makeExampleImages(images), startRegistry('plain')])
  web = made.get(WEB)!.digest
  reg = started
})
after(async () => {
  await reg.stop()
  await dir.cleanup()
})

const env = () => ({
  DOCKER_CONFIG: join(dir.path, 'docker'),
  XDG_CONFIG_HOME: join(dir.path, 'xdg'),
  XDG_CACHE_HOME: join(dir.path, 'cache'),
})

/** Runs `fn` and returns the writes the registry received meanwhile. */
async function writesDuring(fn: () => Promise<void>): Promise<string[]> {
  const before = reg.requests().length
  await fn()
  return reg
    .requests()
    .slice(before)
    .filter((l) => /^(PUT|POST|PATCH|DELETE) /.test(l))
}

describe('push --dry-run', () => {
  test('of bundle.json: every blob, manifest and the tag in the plan, the representation, and no write', async () => {
    let plan: Planned['dryRun'] | undefined
    const writes = await writesDuring(async () => {
      const r = await runCli(['push', '--dry-run', '--json', SHOP, `${reg.host}/acme/shop`, '--images', images, '--auto-update'], {
        env: env(),
      })
      assert.equal(r.code, 0, r.stderr)
      const result = json<Planned & { representation: { index: string }; digest: string }>(r).result
      assert.equal(result.representation.index, 'oci-index')
      plan = result.dryRun
      assert.ok(plan.writes.some((w) => w.action === 'tag' && w.tag === 'v2.3.1' && w.descriptor.digest === result.digest))
    })
    assert.deepEqual(writes, [])
    assert.ok(plan!.writes.filter((w) => w.action === 'push').length >= 15, JSON.stringify(plan))
    assert.ok(plan!.writes.some((w) => w.descriptor.digest === web))
    assert.equal((await runCli(['resolve', `${reg.host}/acme/shop:v2.3.1`], { env: env() })).code, 6, 'the tag does not exist')
  })

  test('human output lists each planned write and the totals', async () => {
    const r = await runCli(['push', '--dry-run', SHOP, `${reg.host}/acme/shop`, '--images', images, '--auto-update'], { env: env() })
    assert.match(r.stdout, /^Dry run: push .* \(nothing was written\)$/m)
    assert.match(r.stdout, /^ {2}would push {5}sha256:[0-9a-f]{64} {2}oci\.image\.layer\.v1\.tar\+gzip/m)
    assert.match(r.stdout, /^ {2}would tag {6}v2\.3\.1 → sha256:/m)
    assert.match(r.stdout, /^ {2}in all: \d+ pushes \(.*\), 0 mounts, 1 tag; 0 already there$/m)
  })

  test('after a real push, a dry run finds the bundle there and would write nothing', async () => {
    const real = await runCli(['push', SHOP, `${reg.host}/acme/shop`, '--images', images, '--auto-update'], { env: env() })
    assert.equal(real.code, 0, real.stderr)
    const writes = await writesDuring(async () => {
      const r = await runCli(['push', '--dry-run', '--json', SHOP, `${reg.host}/acme/shop`, '--images', images, '--auto-update'], {
        env: env(),
      })
      assert.equal(r.code, 0, r.stderr)
      const result = json<Planned & { unchanged: boolean }>(r).result
      assert.equal(result.unchanged, true)
      assert.deepEqual(
        result.dryRun.writes.filter((w) => w.action !== 'tag').map((w) => w.descriptor.digest),
        [],
        'nothing to push: every blob and manifest is there',
      )
    })
    assert.deepEqual(writes, [])
  })
})

describe('copy --dry-run', () => {
  test('within one registry: blobs planned as mounts, manifests as pushes, no write', async () => {
    const writes = await writesDuring(async () => {
      const r = await runCli(['copy', '--dry-run', '--json', `${reg.host}/acme/shop@${web}`, `${reg.host}/mirror/web:1`], { env: env() })
      assert.equal(r.code, 0, r.stderr)
      const plan = json<Planned>(r).result.dryRun
      const mounts = plan.writes.filter((w) => w.action === 'mount')
      assert.ok(mounts.length >= 4 && mounts.every((m) => m.from === 'acme/shop'), JSON.stringify(plan))
      assert.ok(plan.writes.some((w) => w.action === 'push' && w.descriptor.digest === web))
    })
    assert.deepEqual(writes, [])
    assert.equal((await runCli(['resolve', `${reg.host}/mirror/web:1`], { env: env() })).code, 6)
  })

  test('into a layout directory that does not exist: the plan, and no directory', async () => {
    const out = join(dir.path, 'never-created')
    const r = await runCli(['copy', '--dry-run', `${images}@${web}`, `${out}:web`])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /in all: 7 pushes/)
    await assert.rejects(stat(out))
  })
})
