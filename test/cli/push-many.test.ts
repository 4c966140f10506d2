/**
 * `ocibundle push <source> <destination>...` through the built CLI: a bundle built into a layout
 * published to plain distribution and two emulated registries that take it differently (Quay's
 * config allow-list, Docker Hub in 2019), plus one destination that fails (an ECR repository that
 * does not exist). Each registry gets the representation it takes, the closing table shows each
 * destination's digest and representation, the note says why the digests differ, the failure
 * does not stop the others and the exit code is the failure's. The --json document validates
 * against schemas/cli/push.schema.json. A push to one destination re-fitted for Quay says what
 * the bundle was and why; with --no-fallback it names both representations and exits 4.
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Ajv } from 'ajv'
import ajvFormats from 'ajv-formats'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { json, ROOT, runCli, type CliResult } from '../helpers/cli.js'
import { startQuirkProxy, type QuirkProxy } from '../helpers/registry/quirk-proxy.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

let dir: TempDir
let reg: RunningRegistry
let quay: QuirkProxy
let hub: QuirkProxy
let ecr: QuirkProxy
let layout: string
let builtDigest: string

const cli = (args: string[]): Promise<CliResult> =>
  runCli(args, { env: { HOME: join(dir.path, 'home'), DOCKER_CONFIG: join(dir.path, 'docker'), XDG_CACHE_HOME: join(dir.path, 'cache') } })

before(async () => {
  dir = await makeTempDir('push-many-')
  ;[reg] = await Promise.all([startRegistry('plain'), makeExampleImages(join(dir.path, 'images'))])
  ;[quay, hub, ecr] = await Promise.all([startQuirkProxy(reg, 'quay'), startQuirkProxy(reg, 'dockerhub-2019'), startQuirkProxy(reg, 'ecr')])
  const built = await cli([
    'build',
    '--json',
    'bundles/hello-world/bundle.json',
    '--output',
    join(dir.path, 'built'),
    '--images',
    join(dir.path, 'images'),
    '--auto-update',
  ])
  assert.equal(built.code, 0, built.stderr)
  builtDigest = json<{ digest: string }>(built).result.digest
  layout = `${join(dir.path, 'built')}:v1.0.0`
})
after(async () => {
  await Promise.all([quay?.stop(), hub?.stop(), ecr?.stop()])
  await reg?.stop()
  await dir?.cleanup()
})

interface Many {
  destinations: Array<{
    destination: string
    status: string
    outcome?: { kind: string; digest: string; refit?: { from: { digest: string }; reasons: string[] } }
    error?: { code: string; message: string }
  }>
  digestsAgree: boolean
  note: string
  failed: number
}

describe('push to several registries', () => {
  test('plain distribution, Quay and Docker Hub 2019 each get what they take; the missing ECR repository fails alone with exit 6; the JSON validates', async () => {
    // The proxies are in front of the same registry: each destination has its own repository.
    const destinations = [`${reg.host}/many/plain`, `${quay.host}/many/quay`, `${hub.host}/many/hub`, `${ecr.host}/many/ecr`]
    const run = await cli(['push', '--json', layout, ...destinations])
    assert.equal(run.code, 6, run.stdout + run.stderr)
    const doc = json<Many>(run)
    assert.equal(doc.status, 6)
    const [plain, onQuay, onHub, onEcr] = doc.result.destinations
    assert.equal(plain!.status, 'published')
    assert.equal(plain!.outcome!.kind, 'copied')
    assert.equal(plain!.outcome!.digest, builtDigest, 'plain distribution: nothing re-fitted')
    for (const d of [onQuay!, onHub!]) {
      assert.equal(d.status, 'published')
      assert.equal(d.outcome!.kind, 'built')
      assert.equal(d.outcome!.refit!.from.digest, builtDigest)
      assert.notEqual(d.outcome!.digest, builtDigest)
    }
    assert.equal(onEcr!.status, 'failed')
    assert.equal(onEcr!.error!.code, 'ERR_REPOSITORY_MISSING')
    assert.equal(doc.result.failed, 1)
    assert.equal(doc.result.digestsAgree, false)
    assert.match(doc.result.note, /differ because the registries take different representations/)
    assert.ok(doc.result.note.includes(`${builtDigest} at ${destinations[0]} (copied as it is)`), doc.result.note)

    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true })
    ajvFormats.default(ajv)
    const schemas = join(ROOT, 'schemas', 'cli')
    for (const file of await readdir(schemas)) ajv.addSchema(JSON.parse(await readFile(join(schemas, file), 'utf8')) as object)
    const validate = ajv.getSchema('push.schema.json')!
    assert.ok(validate(doc), ajv.errorsText(validate.errors))
  })

  test('a failed destination is named in the text output with its error and what to do next, and the exit code is its own', async () => {
    const destinations = [`${reg.host}/text/plain`, `${ecr.host}/text/ecr`]
    const run = await cli(['push', layout, ...destinations])
    assert.equal(run.code, 6, run.stdout + run.stderr)
    assert.match(run.stdout, new RegExp(`Failed .* → ${destinations[1]}\\n  error {11}\\S.*\\n  → \\S`))
    assert.match(run.stdout, new RegExp(`^${destinations[1]}\\s+failed\\s+ERR_REPOSITORY_MISSING$`, 'm'))
    assert.match(run.stdout, /1 of 2 destinations failed/)
  })

  test('the table names each destination with its digest and representation, and the failure; the same bundle is already there everywhere after', async () => {
    const destinations = [`${reg.host}/table/plain`, `${quay.host}/table/quay`, `${hub.host}/table/hub`]
    const first = await cli(['push', layout, ...destinations])
    assert.equal(first.code, 0, first.stderr)
    const table = first.stdout.slice(first.stdout.indexOf('DESTINATION'))
    const rows = table.split('\n')
    assert.match(rows[0]!, /^DESTINATION\s+DIGEST\s+REPRESENTATION\s+FALLBACKS$/)
    assert.match(rows[1]!, new RegExp(`^${destinations[0]}\\s+${builtDigest}\\s+copied as it is$`))
    assert.match(
      rows[2]!,
      new RegExp(
        `^${destinations[1]}\\s+sha256:[0-9a-f]{64}\\s+oci-index \\+ oci-image-config \\(portable\\); re-fitted from oci-index \\+ cnab-config \\(portable\\)\\s+1 fallback$`,
      ),
    )
    assert.match(
      rows[3]!,
      new RegExp(`^${destinations[2]}\\s+sha256:[0-9a-f]{64}\\s+docker-manifest-list \\+ oci-image-config \\(portable\\); re-fitted from`),
    )
    assert.match(
      first.stdout,
      /re-fitted {7}from sha256:[0-9a-f]{64} \(oci-index \+ cnab-config \(portable\)\); bundle\.json byte for byte as published/,
    )
    assert.match(first.stdout, /the bundle digests differ because the registries take different representations/)
    const again = await cli(['push', '--json', layout, ...destinations])
    assert.equal(again.code, 0, again.stdout + again.stderr)
    const outcomes = json<Many>(again).result.destinations.map((d) => d.outcome!)
    assert.deepEqual(
      outcomes.map((o) => (o as { unchanged?: boolean }).unchanged),
      [true, true, true],
      'each registry already has the representation it takes',
    )
  })

  test('--dry-run to several destinations plans each one and writes nothing', async () => {
    const destinations = [`${reg.host}/dry/plain`, `${quay.host}/dry/quay`]
    const run = await cli(['push', '--dry-run', '--json', layout, ...destinations])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    const outcomes = json<Many>(run).result.destinations.map((d) => d.outcome as { dryRun?: { writes: unknown[] } } | undefined)
    assert.equal(outcomes.length, 2)
    for (const o of outcomes) assert.ok((o?.dryRun?.writes.length ?? 0) > 0, 'each destination has its plan')
    for (const d of destinations) {
      const listed = await cli(['tag', 'ls', d])
      assert.equal(listed.code, 6, `${d}: nothing was written (${listed.stdout}${listed.stderr})`)
    }
  })

  test('a representation flag applies to a layout source: re-fitted, and the output says the choice was asked for rather than the first one', async () => {
    const run = await cli(['push', layout, `ocidir://${join(dir.path, 'forced')}`, '--index-format', 'docker-manifest-list'])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /representation {2}docker-manifest-list \+ cnab-config \(portable\)/)
    assert.match(run.stdout, /re-fitted {7}from sha256:[0-9a-f]{64} \(oci-index \+ cnab-config \(portable\)\)/)
    assert.match(run.stdout, /--index-format docker-manifest-list was asked for; the bundle is published as oci-index/)
    assert.match(run.stdout, /chosen {10}as asked \(--index-format docker-manifest-list\)/)
    assert.doesNotMatch(run.stdout, /first choice/)
  })

  test('--no-fallback to Quay names the representation the layout has and the one Quay takes, exit 4', async () => {
    const run = await cli(['push', '--no-fallback', layout, `${quay.host}/strict/hello`])
    assert.equal(run.code, 4, run.stdout + run.stderr)
    assert.match(run.stderr, /→ drop --no-fallback to re-fit the bundle for this registry/)
    assert.match(
      run.stderr,
      /the bundle is published as oci-index \+ cnab-config \(portable\), which this registry does not take \(the registry refused the bundle as it is published \(application\/vnd\.oci\.image\.manifest\.v1\+json sha256:[0-9a-f]{64}: 400 MANIFEST_INVALID: .*\)\); it takes oci-index \+ oci-image-config \(portable\)\n/,
    )
  })
})
