import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { NotFoundError } from '../../src/errors.js'
import { canonicalBytes, sortIssues, validateBundle, validateBundleFile, type Issue } from '../../src/cnab/index.js'
import { brief, bundle, fixturePath, invocationImage, readFixture } from './helpers.js'

describe('validateBundle', () => {
  test('accepts bytes, a JSON string or a parsed value and gives the same verdict for canonical input', () => {
    const raw = readFixture('valid/publish-ready.json')
    const expected = { valid: true, issues: [], canonical: true, schemaValid: true }
    assert.deepEqual(validateBundle(new Uint8Array(raw), { mode: 'publish' }), expected)
    assert.deepEqual(validateBundle(raw.toString('utf8'), { mode: 'publish' }), expected)
    assert.deepEqual(validateBundle(JSON.parse(raw.toString('utf8')), { mode: 'publish' }), expected)
  })

  test('defaults to lint mode: publish-only requirements are not errors', () => {
    const b = bundle({ invocationImages: [invocationImage({ contentDigest: undefined, size: undefined })] })
    assert.deepEqual(validateBundle(b), { valid: true, issues: [], canonical: true, schemaValid: true })
    assert.equal(validateBundle(b, { mode: 'publish' }).valid, false)
  })

  test('a parsed value is judged canonical when it has a canonical form, since there are no input bytes to compare', () => {
    assert.equal(validateBundle(bundle()).canonical, true)
    const lone = validateBundle(bundle({ description: '\ud800' }), { mode: 'publish' })
    assert.equal(lone.canonical, false)
    assert.deepEqual(brief(lone.issues), ['error canonical-json '])
  })

  test('pretty-printed bytes are valid in lint mode with a canonical-json warning, and invalid in publish mode', () => {
    const pretty = JSON.stringify(bundle(), null, 2)
    const lint = validateBundle(pretty)
    assert.equal(lint.valid, true)
    assert.equal(lint.canonical, false)
    assert.deepEqual(brief(lint.issues), ['warning canonical-json '])
    assert.equal(validateBundle(pretty, { mode: 'publish' }).valid, false)
    assert.equal(validateBundle(canonicalBytes(bundle()), { mode: 'publish' }).valid, true)
  })

  test('duplicate keys make the bundle invalid and are reported with the other findings, at the duplicate', () => {
    const result = validateBundle(
      '{"schemaVersion":"v1","name":"a","version":"1.0.0","invocationImages":[{"image":"x"}],"version":"2.0.0"}',
    )
    assert.equal(result.valid, false)
    assert.equal(result.schemaValid, true)
    assert.deepEqual(brief(result.issues), ['warning canonical-json ', 'error json-duplicate-key /version'])
  })

  test('text that is not JSON yields only the syntax error, with schemaValid and canonical false', () => {
    const result = validateBundle('{"name": ')
    assert.deepEqual(brief(result.issues), ['error json-syntax '])
    assert.deepEqual([result.valid, result.schemaValid, result.canonical], [false, false, false])
  })

  test('a non-object document stops after json-not-object, for bytes and for values', () => {
    assert.deepEqual(brief(validateBundle('[1,2]').issues), ['error json-not-object '])
    for (const value of [null, 5, [], undefined]) {
      const result = validateBundle(value)
      assert.deepEqual(brief(result.issues), ['error json-not-object '])
      assert.equal(result.schemaValid, false)
    }
  })

  test('a value nested too deeply stops after json-nesting-depth instead of overflowing the stack', () => {
    let deep: unknown = []
    for (let i = 0; i < 5000; i++) deep = [deep]
    const result = validateBundle(bundle({ custom: { deep } }))
    assert.deepEqual(
      result.issues.map((i) => i.rule),
      ['json-nesting-depth'],
    )
    assert.equal(result.valid, false)
  })

  test('schemaValid is false only because of schema issues; semantic errors leave it true', () => {
    const semantic = validateBundle(bundle({ version: '1.0.0-01' }))
    assert.equal(semantic.schemaValid, true)
    assert.deepEqual(brief(semantic.issues), ['error bundle-version-semver /version'])
    assert.equal(validateBundle(bundle({ images: null })).schemaValid, false)
  })

  test('issues come sorted by pointer (array indexes numerically), then by rule id', () => {
    const images = Array.from({ length: 11 }, () => invocationImage({ imageType: 'qcow2' }))
    const result = validateBundle(bundle({ invocationImages: images, name: '' }))
    const pointers = result.issues.map((i) => i.pointer)
    assert.deepEqual(pointers.slice(0, 3), ['/invocationImages', '/invocationImages/0/imageType', '/invocationImages/1/imageType'])
    assert.equal(pointers.at(-2), '/invocationImages/10/imageType')
    assert.equal(pointers.at(-1), '/name')
  })
})

describe('sortIssues', () => {
  test('orders by pointer token by token, then by rule, and keeps equal issues in input order', () => {
    const mk = (pointer: string, rule: string, message = ''): Issue => ({ pointer, rule, severity: 'error', message })
    const sorted = sortIssues([
      mk('/b', 'x'),
      mk('/a/10', 'x'),
      mk('/a/2', 'y'),
      mk('/a/2', 'b'),
      mk('', 'z'),
      mk('/a', 'x', 'first'),
      mk('/a', 'x', 'second'),
    ])
    assert.deepEqual(
      sorted.map((i) => `${i.pointer}|${i.rule}|${i.message}`),
      ['|z|', '/a|x|first', '/a|x|second', '/a/2|b|', '/a/2|y|', '/a/10|x|', '/b|x|'],
    )
  })
})

describe('validateBundleFile', () => {
  test('validates a file in the requested mode', async () => {
    const result = await validateBundleFile(fixturePath('valid/publish-ready.json'), { mode: 'publish' })
    assert.equal(result.valid, true)
  })

  test('rejects with NotFoundError for a missing file', async () => {
    await assert.rejects(validateBundleFile(fixturePath('valid/does-not-exist.json')), NotFoundError)
  })
})
