import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { json, runCli } from '../helpers/cli.js'
import type { ValidateFilesResult as ValidateResult } from '../../src/cnab/validate.js'

const EX = 'test/fixtures/bundles/upstream/'
const brief = (r: ValidateResult) => r.files.flatMap((f) => f.issues.map((i) => `${i.severity} ${i.rule} ${i.pointer}`))

describe('ocibundle validate agrees with SOURCES.md on every example bundle', () => {
  const schemaColumn: Array<[file: string, valid: boolean]> = [
    ['cnab-spec__examples__101.01-bundle.json', true],
    ['cnab-spec__examples__101.02-bundle.json', true],
    ['cnab-spec__examples__101.03-bundle.json', true],
    ['cnab-to-oci__remotes__pull_test.go__ExamplePull_output.canonical-bundle.json', true],
    ['cnab-to-oci__examples__helloworld-cnab__bundle.json', false],
  ]
  for (const [file, valid] of schemaColumn) {
    test(`${file}: ${valid ? 'VALID, exit 0' : 'INVALID, exit 3'}`, async () => {
      const r = await runCli(['validate', '--json', EX + file])
      const env = json<ValidateResult>(r)
      assert.equal(r.code, valid ? 0 : 3)
      assert.equal(env.status, r.code)
      assert.equal(env.result.valid, valid)
      assert.equal(env.result.files[0]!.schemaValid, valid)
    })
  }

  test('helloworld is invalid exactly because images, parameters and credentials are null', async () => {
    const r = await runCli(['validate', '--json', `${EX}cnab-to-oci__examples__helloworld-cnab__bundle.json`])
    assert.deepEqual(
      brief(json<ValidateResult>(r).result).filter((s) => s.startsWith('error')),
      ['error schema /credentials', 'error schema /images', 'error schema /parameters'],
    )
  })

  test('helloworld cannot be published: no contentDigest on its invocation image (cnab-to-oci#96)', async () => {
    const r = await runCli(['validate', '--json', '--mode', 'publish', `${EX}cnab-to-oci__examples__helloworld-cnab__bundle.json`])
    assert.ok(brief(json<ValidateResult>(r).result).includes('error image-content-digest /invocationImages/0'))
  })

  test('101.03 gets a warning for its array-shaped io.cnab.dependencies, and stays valid', async () => {
    const r = await runCli(['validate', '--json', `${EX}cnab-spec__examples__101.03-bundle.json`])
    assert.equal(r.code, 0)
    assert.ok(brief(json<ValidateResult>(r).result).some((s) => s.startsWith('warning extension-schema /custom/io.cnab.dependencies')))
  })

  test('101.01 placeholder digests are flagged when publishing', async () => {
    const r = await runCli(['validate', '--json', '--mode', 'publish', `${EX}cnab-spec__examples__101.01-bundle.json`])
    assert.equal(r.code, 3)
    assert.ok(brief(json<ValidateResult>(r).result).some((s) => s.startsWith('error image-content-digest')))
  })
})

describe('ocibundle validate output and exit codes', () => {
  test('human output lists each problem with severity, pointer and rule id, and no stack trace', async () => {
    const r = await runCli(['validate', `${EX}cnab-to-oci__examples__helloworld-cnab__bundle.json`])
    assert.equal(r.code, 3)
    assert.match(r.stdout, /✖ .*helloworld-cnab__bundle\.json: invalid \(3 errors, 1 warning\)/)
    assert.match(r.stdout, /error\s+\/images\s+schema\s+must be object, found null/)
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /)
  })

  test('several files: exit 3 if any is invalid, every file reported', async () => {
    const r = await runCli([
      'validate',
      '--json',
      'bundles/hello-world/bundle.json',
      `${EX}cnab-to-oci__examples__helloworld-cnab__bundle.json`,
    ])
    const env = json<ValidateResult>(r)
    assert.equal(r.code, 3)
    assert.deepEqual(
      env.result.files.map((f) => f.valid),
      [true, false],
    )
  })

  test('--strict fails on warnings', async () => {
    const plain = await runCli(['validate', 'bundles/shop/bundle.json'])
    const strict = await runCli(['validate', '--strict', 'bundles/shop/bundle.json'])
    assert.equal(plain.code, 0)
    assert.equal(strict.code, 3)
  })

  test('a duplicate key is an error with the pointer of the duplicate', async () => {
    const r = await runCli(['validate', '--json', 'test/fixtures/bundles/invalid/json-duplicate-key.json'])
    assert.equal(r.code, 3)
    assert.deepEqual(
      brief(json<ValidateResult>(r).result).filter((s) => s.startsWith('error')),
      ['error json-duplicate-key /name'],
    )
  })

  test('a missing file exits 6 with a plain message', async () => {
    const r = await runCli(['validate', 'no-such-bundle.json'])
    assert.equal(r.code, 6)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /^Error: bundle file not found: no-such-bundle\.json\n$/)
  })

  test('a missing file with --json gives the error envelope on stdout', async () => {
    const r = await runCli(['validate', '--json', 'no-such-bundle.json'])
    assert.equal(r.code, 6)
    const env = json(r)
    assert.equal(env.status, 6)
    assert.equal(env.error?.code, 'ERR_NOT_FOUND')
  })

  test('a bad flag value is a usage error, exit 2', async () => {
    const r = await runCli(['validate', '--mode', 'bogus', 'bundles/hello-world/bundle.json'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /Expected --mode=bogus to be one of: lint, publish/)
  })

  test('no file at all is a usage error, exit 2', async () => {
    const r = await runCli(['validate'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /Missing 1 required arg/)
  })
})
