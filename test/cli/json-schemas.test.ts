/**
 * Every command's `--json` output against its JSON Schema in schemas/cli/ (draft-07, checked with
 * Ajv), from real runs against the real registry: successes, a dry run, the copied form of push, a
 * push of an archive, an incomplete verify, a gc that finds something, and failures
 * (schemas/cli/error.schema.json). Every command has a schema, and a schema requires every field
 * its command's results always had: one too loose fails here.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Ajv, type ValidateFunction } from 'ajv'
import ajvFormats from 'ajv-formats'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { ROOT, runCli } from '../helpers/cli.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const SCHEMAS = join(ROOT, 'schemas', 'cli')
const SBOM = 'application/vnd.example.sbom+json'
const CONFIG = 'application/vnd.example.config'
/** Fields optional by nature in one command's results (the runs here always have them). */
const OPTIONAL_IN: Record<string, string[]> = {
  // Absent for a Porter archive without bundle index, or a bundle that could not be read.
  verify: ['digest'],
  // Only where referrers are recorded in the sha256-<hex> tag index.
  attach: ['referrersTag'],
  // Absent for a plain image.
  'artifact:pull': ['artifactType'],
}
/** Commands of the oclif plugins, which have no --json. */
const PLUGIN_COMMANDS = new Set(['help', 'autocomplete', 'autocomplete:create', 'autocomplete:script'])

let dir: TempDir
let plain: RunningRegistry
let basic: RunningRegistry
const outputs = new Map<string, unknown[]>()
const failures: unknown[] = []
let ajv: Ajv

before(async () => {
  dir = await makeTempDir('json-schemas-')
  const images = join(dir.path, 'images')
  const [made, p, b] = await Promise.all([makeExampleImages(images), startRegistry('plain'), startRegistry('basic')])
  ;[plain, basic] = [p, b]
  const web = made.get('example.com/ocibundle/shop-web:2.3.1')!.digest
  const env = { DOCKER_CONFIG: join(dir.path, 'docker'), XDG_CONFIG_HOME: join(dir.path, 'xdg'), XDG_CACHE_HOME: join(dir.path, 'cache') }
  const reg = plain.host
  const archived = join(dir.path, 'shop.tgz')
  const files = join(dir.path, 'files-layout')
  const runs: Array<[command: string, args: string[], input?: string]> = [
    ['validate', ['validate', 'bundles/shop/bundle.json', 'bundles/hello-world/bundle.json']],
    ['validate', ['validate', '--mode', 'publish', 'bundles/shop/bundle.json']],
    ['fmt', ['fmt', '--check', 'bundles/shop/bundle.json']],
    ['build', ['build', 'bundles/shop/bundle.json', '--images', images, '--auto-update', '--output', join(dir.path, 'shop')]],
    ['push', ['push', 'bundles/shop/bundle.json', `${reg}/acme/shop`, '--images', images, '--auto-update']],
    ['push', ['push', 'bundles/shop/bundle.json', `${reg}/acme/shop`, '--images', images, '--auto-update']],
    ['attach', ['attach', `${reg}/acme/shop:v2.3.1`, 'bundles/hello-world/bundle.json', '--artifact-type', SBOM]],
    ['discover', ['discover', `${reg}/acme/shop:v2.3.1`]],
    ['archive', ['archive', `${reg}/acme/shop:v2.3.1`, archived]],
    ['verify', ['verify', archived]],
    ['verify', ['verify', `${reg}/acme/shop:v2.3.1`]],
    ['push', ['push', archived, `${reg}/acme/from-archive`]],
    ['push', ['push', `${join(dir.path, 'shop')}:v2.3.1`, `${reg}/acme/copied`]],
    ['push', ['push', '--dry-run', 'bundles/hello-world/bundle.json', `${reg}/acme/hello`, '--images', images, '--auto-update']],
    ['inspect', ['inspect', `${reg}/acme/shop:v2.3.1`]],
    ['pull', ['pull', `${reg}/acme/shop:v2.3.1`, '--output', join(dir.path, 'pulled'), '--with-images']],
    ['pull', ['pull', `${join(dir.path, 'shop')}:v2.3.1`, '--output', join(dir.path, 'pulled-layout')]],
    ['copy', ['copy', `${images}@${web}`, `${reg}/acme/web:1`]],
    ['copy', ['copy', '--dry-run', `${reg}/acme/web:1`, `${reg}/acme/mirror:1`]],
    ['resolve', ['resolve', `${reg}/acme/web:1`]],
    ['manifest:get', ['manifest', 'get', `${reg}/acme/web:1`]],
    ['blob:get', ['blob', 'get', `${images}@${web}`, '--output', join(dir.path, 'blob')]],
    ['tag', ['tag', `${reg}/acme/web:1`, 'two', 'three']],
    ['tag:ls', ['tag', 'ls', `${reg}/acme/web`]],
    ['delete', ['delete', '--yes', `${reg}/acme/web:three`]],
    ['login', ['login', basic.host, '--username', basic.username!, '--password-stdin'], `${basic.password}\n`],
    ['logout', ['logout', basic.host]],
    ['registry:check', ['registry', 'check', `${reg}/probe`]],
    ['artifact:push', ['artifact', 'push', `${reg}/acme/files:v1`, 'bundles/hello-world', '--artifact-type', CONFIG]],
    ['artifact:pull', ['artifact', 'pull', `${reg}/acme/files:v1`, '--output', join(dir.path, 'files')]],
    ['artifact:push', ['artifact', 'push', `ocidir://${files}:v1`, 'bundles/shop/bundle.json', '--artifact-type', CONFIG]],
  ]
  /** Runs the command with --json and keeps its output; `code` is the exit code expected (else 0, or 3 for validation issues). */
  async function collect(command: string, args: string[], code?: number, input?: string): Promise<void> {
    const r = await runCli([...args, '--json'], { env, ...(input !== undefined && { input }) })
    assert.ok(code !== undefined ? r.code === code : r.code === 0 || r.code === 3, `${args.join(' ')}: exit ${r.code} ${r.stderr}`)
    outputs.set(command, [...(outputs.get(command) ?? []), JSON.parse(r.stdout)])
  }
  for (const [command, args, input] of runs) await collect(command, args, undefined, input)
  // verify of damaged content, so that its problems are checked too: bundle.json taken out of the built layout (incomplete).
  const [built] = outputs.get('build') as Array<{ result: { configBlob: { digest: string } } }>
  await rm(join(dir.path, 'shop', 'blobs', 'sha256', built!.result.configBlob.digest.slice('sha256:'.length)))
  await collect('verify', ['verify', `ocidir://${join(dir.path, 'shop')}:v2.3.1`], 8)
  // A blob nothing reaches in the artifact's layout, for gc to list and then remove.
  const orphan = Buffer.from('reached by nothing')
  await writeFile(join(files, 'blobs', 'sha256', createHash('sha256').update(orphan).digest('hex')), orphan)
  await collect('gc', ['gc', '--dry-run', `ocidir://${files}`])
  await collect('gc', ['gc', `ocidir://${files}`])
  for (const args of [
    ['resolve', `${reg}/acme/never:1`],
    ['push', 'nope.json', `${reg}/acme/x`],
    ['validate', '--bogus', 'x'],
    ['resolv', 'x'],
  ]) {
    failures.push(JSON.parse((await runCli([...args, '--json'], { env })).stdout))
  }
  ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true })
  ajvFormats.default(ajv)
  for (const file of await readdir(SCHEMAS)) ajv.addSchema(JSON.parse(await readFile(join(SCHEMAS, file), 'utf8')) as object)
})
after(async () => {
  await Promise.all([plain.stop(), basic.stop()])
  await dir.cleanup()
})

const schemaFile = (command: string) => `${command.replaceAll(':', '-')}.schema.json`
const validator = (command: string): ValidateFunction => ajv.getSchema(schemaFile(command))!

describe('--json output and schemas/cli', () => {
  test('every command has a schema, and every schema a command', async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> }
    const commands = Object.keys(manifest.commands).filter((id) => !PLUGIN_COMMANDS.has(id))
    const files = (await readdir(SCHEMAS)).filter((f) => f !== 'common.schema.json' && f !== 'error.schema.json')
    assert.deepEqual(commands.map(schemaFile).sort(), files.sort())
    assert.deepEqual([...outputs.keys()].sort(), [...commands].sort(), 'every command was run')
  })

  test('every real output validates against its command schema', () => {
    const problems: string[] = []
    for (const [command, docs] of outputs) {
      const validate = validator(command)
      for (const doc of docs) if (!validate(doc)) problems.push(`${command}: ${ajv.errorsText(validate.errors)}`)
    }
    assert.deepEqual(problems, [])
  })

  test('failures validate against error.schema.json', () => {
    const validate = ajv.getSchema('error.schema.json')!
    for (const doc of failures) assert.ok(validate(doc), ajv.errorsText(validate.errors))
  })

  test('no schema is too loose: each requires every result field its outputs always had', () => {
    const problems: string[] = []
    for (const [command, docs] of outputs) {
      type ResultSchema = { required?: string[]; oneOf?: Array<{ required: string[] }>; $ref?: string }
      const schema = validator(command).schema as { properties: { result: ResultSchema } }
      const declared = schema.properties.result
      const result = declared.$ref !== undefined ? (ajv.getSchema(declared.$ref)!.schema as ResultSchema) : declared
      const requiredSets = result.oneOf?.map((s) => s.required) ?? [result.required ?? []]
      for (const doc of docs) {
        const keys = Object.keys((doc as { result: object }).result)
        // The field set of the output's kind (push: built or copied) must all be required, but those that are optional by nature.
        const optional = new Set([
          'relocationMap',
          'relocationMapping',
          'images',
          'dryRun',
          'description',
          'schemaVersion',
          'cachedAt',
          'tag',
          'username',
          'referrers',
          'representation',
        ])
        const optionalHere = OPTIONAL_IN[command] ?? []
        const fitting = requiredSets.find((req) => req.every((k) => keys.includes(k)))
        if (fitting === undefined) problems.push(`${command}: no required set fits ${keys.join(', ')}`)
        else
          for (const k of keys)
            if (!fitting.includes(k) && !optional.has(k) && !optionalHere.includes(k))
              problems.push(`${command}: "${k}" is always there but not required`)
      }
    }
    assert.deepEqual(problems, [])
  })

  test('a schema rejects a result that lacks a required field or has an unknown one', () => {
    const [copy] = outputs.get('copy') as Array<{ result: Record<string, unknown> }>
    const validate = validator('copy')
    const { stats: _stats, ...withoutStats } = copy!.result
    assert.equal(validate({ ...copy, result: withoutStats }), false)
    assert.equal(validate({ ...copy, result: { ...copy!.result, surprise: 1 } }), false)
  })
})
