/**
 * The README's air-gap walkthrough works as written: its commands are cut out of README.md and
 * run one by one with the built CLI, in an empty directory, against two registries started here
 * (`registry.example.com` is the connected side, `registry.internal:5000` the site's registry),
 * after the shop bundle was published and signed on the connected side.
 */
import assert from 'node:assert/strict'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { json, ROOT, runCli } from '../helpers/cli.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

let dir: TempDir
let connected: RunningRegistry
let site: RunningRegistry
before(async () => {
  dir = await makeTempDir('readme-airgap-')
  ;[connected, site] = await Promise.all([startRegistry('plain'), startRegistry('plain')])
})
after(async () => {
  await Promise.all([connected?.stop(), site?.stop()])
  await dir?.cleanup()
})

const env = (): NodeJS.ProcessEnv => ({
  HOME: join(dir.path, 'home'),
  DOCKER_CONFIG: join(dir.path, 'docker'),
  XDG_CACHE_HOME: join(dir.path, 'cache'),
})

/** The commands of the README's "Air-gapped sites" block, comments dropped. */
async function walkthrough(): Promise<string[][]> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('### Air-gapped sites'))
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1]
  assert.ok(block !== undefined, 'the section has a sh block')
  return block
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(/\s+/))
}

test("the README's air-gap walkthrough (archive → carry → verify → publish → verify → pull) works as written", async () => {
  const images = join(dir.path, 'images')
  await makeExampleImages(images)
  const published = await runCli(
    [
      'build',
      'bundles/shop/bundle.json',
      '--images',
      `ocidir://${images}`,
      '--auto-update',
      '--output',
      `${connected.host}/acme/shop`,
      '--json',
    ],
    { env: env() },
  )
  assert.equal(published.code, 0, published.stderr)
  const bundle = json<{ reference: string; digest: string }>(published).result
  assert.equal(bundle.reference, `${connected.host}/acme/shop:v2.3.1`)
  await writeFile(join(dir.path, 'shop.sig'), 'signed')
  const signed = await runCli(
    [
      'attach',
      bundle.reference,
      join(dir.path, 'shop.sig'),
      '--artifact-type',
      'application/vnd.dev.cosign.artifact.sig.v1+json',
      '--json',
    ],
    {
      env: env(),
    },
  )
  assert.equal(signed.code, 0, signed.stderr)
  const signature = json<{ descriptor: { digest: string } }>(signed).result.descriptor.digest

  const cwd = join(dir.path, 'walkthrough')
  await mkdir(cwd)
  const commands = await walkthrough()
  assert.deepEqual(
    commands.map((c) => c.slice(0, 2).join(' ')),
    ['ocibundle archive', 'ocibundle verify', 'ocibundle push', 'ocibundle verify', 'ocibundle pull'],
  )
  for (const command of commands) {
    const args = command.slice(1).map((a) => a.replace('registry.example.com', connected.host).replace('registry.internal:5000', site.host))
    const run = await runCli(args, { cwd, env: env() })
    assert.equal(run.code, 0, `${command.join(' ')}:\n${run.stdout}${run.stderr}`)
  }

  // The site's registry has the bundle with its digest and its signature, and the installer's files are there.
  const atSite = `${site.host}/acme/shop:v2.3.1`
  const discovered = await runCli(['discover', atSite, '--json'], { env: env() })
  assert.deepEqual(
    json<{ subject: { digest: string }; referrers: Array<{ digest: string }> }>(discovered).result.referrers.map((r) => r.digest),
    [signature],
  )
  assert.equal(json<{ subject: { digest: string } }>(discovered).result.subject.digest, bundle.digest)
  const bundleJson = JSON.parse(await readFile(join(cwd, 'shop', 'bundle.json'), 'utf8')) as { name: string }
  assert.equal(bundleJson.name, 'io.ocibundle.examples.shop')
  assert.ok((await readFile(join(cwd, 'shop', 'artifacts', 'layout', 'index.json'))).length > 0)
})
