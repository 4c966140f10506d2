/**
 * The upstream examples (test/fixtures/bundles/upstream, see SOURCES.md there) with their expected
 * verdicts. The Schema column of SOURCES.md must be reproduced exactly; the semantic findings are
 * listed in full so any change in what the rules report shows up here.
 */
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { describe, test } from 'node:test'
import {
  validateBundleFile,
  validateClaim,
  validateDependencies,
  validateParameterSources,
  validateRelocationMapping,
  type Issue,
} from '../../src/cnab/index.js'
import { brief, fixtureJson, fixturePath } from './helpers.js'

const up = (name: string): string => fixturePath(`upstream/${name}`)

/** The Schema / expected column of SOURCES.md for every upstream JSON file. */
const SOURCES_VERDICTS: Record<string, { schema: string; valid: boolean }> = {
  'cnab-spec__examples__101.01-bundle.json': { schema: 'bundle', valid: true },
  'cnab-spec__examples__101.02-bundle.json': { schema: 'bundle', valid: true },
  'cnab-spec__examples__101.03-bundle.json': { schema: 'bundle', valid: true },
  'cnab-to-oci__examples__helloworld-cnab__bundle.json': { schema: 'bundle', valid: false },
  'cnab-to-oci__remotes__pull_test.go__ExamplePull_output.canonical-bundle.json': { schema: 'bundle', valid: true },
  'cnab-spec__examples__500.01-dependencies.json': { schema: 'dependencies', valid: true },
  'cnab-spec__examples__810.01-parameter-sources.json': { schema: 'parameter-sources', valid: true },
  'cnab-spec__examples__103.01-relocation-mapping.json': { schema: 'relocation-mapping', valid: true },
  'cnab-spec__examples__400.01-claim.json': { schema: 'claim', valid: true },
}

const NON_BUNDLE_VALIDATORS: Record<string, (value: unknown) => Issue[]> = {
  dependencies: validateDependencies,
  'parameter-sources': validateParameterSources,
  'relocation-mapping': validateRelocationMapping,
  claim: validateClaim,
}

describe('SOURCES.md Schema column', () => {
  test('every upstream JSON file has an expected verdict (no file goes unchecked)', () => {
    const files = readdirSync(fixturePath('upstream')).filter((f) => f.endsWith('.json'))
    assert.deepEqual(files.sort(), Object.keys(SOURCES_VERDICTS).sort())
  })

  for (const [file, { schema, valid }] of Object.entries(SOURCES_VERDICTS)) {
    test(`${file} is ${valid ? 'VALID' : 'INVALID'} against ${schema}.schema.json`, async () => {
      const schemaValid =
        schema === 'bundle'
          ? (await validateBundleFile(up(file))).schemaValid
          : NON_BUNDLE_VALIDATORS[schema]!(fixtureJson(`upstream/${file}`)).length === 0
      assert.equal(schemaValid, valid)
    })
  }
})

describe('cnab-spec 101.01 (thin bundle with placeholder digests)', () => {
  const file = up('cnab-spec__examples__101.01-bundle.json')

  test('is schema-VALID and valid in lint mode: placeholder digests, the tag reference and non-canonical form are only warnings', async () => {
    const result = await validateBundleFile(file, { mode: 'lint' })
    assert.equal(result.schemaValid, true)
    assert.equal(result.valid, true)
    assert.equal(result.canonical, false)
    assert.deepEqual(brief(result.issues), [
      'warning canonical-json ',
      'warning image-content-digest /images/my-microservice/contentDigest',
      'warning image-digest-reference /images/my-microservice/image',
      'warning image-content-digest /invocationImages/0/contentDigest',
    ])
  })

  test('fails publish mode: not canonical, placeholder digests and no image sizes', async () => {
    const result = await validateBundleFile(file, { mode: 'publish' })
    assert.equal(result.schemaValid, true)
    assert.equal(result.valid, false)
    assert.deepEqual(brief(result.issues), [
      'error canonical-json ',
      'error image-descriptor-fields /images/my-microservice',
      'error image-content-digest /images/my-microservice/contentDigest',
      'warning image-digest-reference /images/my-microservice/image',
      'error image-descriptor-fields /invocationImages/0',
      'error image-content-digest /invocationImages/0/contentDigest',
    ])
  })
})

describe('cnab-spec 101.02 (thick bundle with mediaType, size and labels)', () => {
  const file = up('cnab-spec__examples__101.02-bundle.json')

  test('is schema-VALID and valid in lint mode', async () => {
    const result = await validateBundleFile(file, { mode: 'lint' })
    assert.equal(result.schemaValid, true)
    assert.equal(result.valid, true)
    assert.deepEqual(brief(result.issues), [
      'warning canonical-json ',
      'warning image-content-digest /images/my-microservice/contentDigest',
      'warning image-digest-reference /images/my-microservice/image',
      'warning image-content-digest /invocationImages/0/contentDigest',
    ])
  })

  test('fails publish mode only on canonical form and the placeholder digests (sizes and media types are present)', async () => {
    const result = await validateBundleFile(file, { mode: 'publish' })
    assert.equal(result.valid, false)
    assert.deepEqual(brief(result.issues), [
      'error canonical-json ',
      'error image-content-digest /images/my-microservice/contentDigest',
      'warning image-digest-reference /images/my-microservice/image',
      'error image-content-digest /invocationImages/0/contentDigest',
    ])
  })
})

describe('cnab-spec 101.03 (array-shaped io.cnab.dependencies)', () => {
  const file = up('cnab-spec__examples__101.03-bundle.json')

  test('is schema-VALID and valid in lint mode; the dependencies array is a rule-17 warning, not an error', async () => {
    const result = await validateBundleFile(file, { mode: 'lint' })
    assert.equal(result.schemaValid, true)
    assert.equal(result.valid, true)
    assert.deepEqual(brief(result.issues), [
      'warning canonical-json ',
      'warning extension-schema /custom/io.cnab.dependencies',
      'warning image-content-digest /images/my-microservice/contentDigest',
      'warning image-digest-reference /images/my-microservice/image',
      'warning image-content-digest /invocationImages/0/contentDigest',
    ])
  })

  test('the required extension io.cnab.dependencies is present in custom, so rule 15 is satisfied', async () => {
    const result = await validateBundleFile(file, { mode: 'publish' })
    assert.ok(!result.issues.some((i) => i.rule === 'required-extensions'))
    assert.deepEqual(brief(result.issues.filter((i) => i.rule === 'extension-schema')), [
      'warning extension-schema /custom/io.cnab.dependencies',
    ])
  })
})

describe('cnab-to-oci helloworld (null maps, no contentDigest)', () => {
  const file = up('cnab-to-oci__examples__helloworld-cnab__bundle.json')

  test('is schema-INVALID exactly because images, parameters and credentials are null', async () => {
    const result = await validateBundleFile(file, { mode: 'lint' })
    assert.equal(result.schemaValid, false)
    assert.equal(result.valid, false)
    assert.deepEqual(brief(result.issues), [
      'warning canonical-json ',
      'error schema /credentials',
      'error schema /images',
      'error schema /parameters',
    ])
    assert.ok(result.issues.filter((i) => i.rule === 'schema').every((i) => i.message === 'must be object, found null'))
  })

  test('in publish mode also fails on the missing contentDigest of its invocation image and on canonical form', async () => {
    const result = await validateBundleFile(file, { mode: 'publish' })
    assert.deepEqual(brief(result.issues), [
      'error canonical-json ',
      'error schema /credentials',
      'error schema /images',
      'error image-content-digest /invocationImages/0',
      'error schema /parameters',
    ])
  })
})

describe('cnab-to-oci ExamplePull canonical bundle (golden bytes)', () => {
  const file = up('cnab-to-oci__remotes__pull_test.go__ExamplePull_output.canonical-bundle.json')

  test('is schema-VALID and canonical', async () => {
    const result = await validateBundleFile(file, { mode: 'publish' })
    assert.equal(result.schemaValid, true)
    assert.equal(result.canonical, true)
  })

  test('is valid in both modes; its param1Type default "hello", outside its own enum, is a definition-default warning', async () => {
    for (const mode of ['lint', 'publish'] as const) {
      const result = await validateBundleFile(file, { mode })
      assert.equal(result.valid, true)
      assert.deepEqual(brief(result.issues), [
        'warning dotted-name /actions/action-1',
        'warning dotted-name /custom/my-key',
        'warning definition-default /definitions/param1Type/default',
        'warning image-digest-reference /images/another-image/image',
        'warning image-digest-reference /images/image-1/image',
        'warning destination-conflict /parameters/param1/destination/path',
      ])
    }
  })
})
