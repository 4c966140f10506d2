import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, test } from 'node:test'
import { InputError } from '../../src/errors.js'
import { canonicalBytes, canonicalJson, isCanonical } from '../../src/cnab/index.js'
import { LINT, PUBLISH, brief, bundle, readFixture } from './helpers.js'

const GOLDEN = 'upstream/cnab-to-oci__remotes__pull_test.go__ExamplePull_output.canonical-bundle.json'

describe('canonicalBytes (RFC 8785)', () => {
  test("re-canonicalising cnab-to-oci's ExamplePull bundle gives back its exact 1596 bytes (sha256 dbe3480b…)", () => {
    const raw = readFixture(GOLDEN)
    assert.equal(raw.length, 1596)
    assert.equal(createHash('sha256').update(raw).digest('hex'), 'dbe3480b9cb300f389e8d02e4a682f9107772468feb6845f912dc8deed6d76fd')
    const bytes = canonicalBytes(JSON.parse(raw.toString('utf8')))
    assert.ok(bytes.equals(raw))
    assert.equal(isCanonical(raw), true)
  })

  test('sorts keys by UTF-16 code unit, drops whitespace and writes numbers the ECMAScript way', () => {
    const value = JSON.parse('{ "b": 1.0, "a": [1e3, 0.5, -0, 1E-7], "\u00e9": "x", "Z": "\\u0041\\n" }')
    assert.equal(canonicalBytes(value).toString('utf8'), '{"Z":"A\\n","a":[1000,0.5,0,1e-7],"b":1,"é":"x"}')
    // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FB01 in UTF-16 though not by code point.
    assert.equal(canonicalBytes({ '\ufb01': 1, '\u{1f600}': 2 }).toString('utf8'), '{"\u{1f600}":2,"\ufb01":1}')
  })

  test('has no trailing newline and writes non-ASCII characters as UTF-8, not \\u escapes', () => {
    const bytes = canonicalBytes({ name: 'ワード' })
    assert.equal(bytes.toString('utf8'), '{"name":"ワード"}')
    assert.notEqual(bytes.at(-1), 0x0a)
  })

  test('throws InputError for values with no JSON form: lone surrogates and undefined', () => {
    assert.throws(() => canonicalBytes({ s: '\ud800' }), InputError)
    assert.throws(() => canonicalBytes(undefined), InputError)
  })
})

describe('isCanonical', () => {
  test('is false for pretty-printed JSON, unsorted keys, a trailing newline, duplicate keys, a BOM and non-JSON', () => {
    const cases = ['{\n  "a": 1\n}', '{"b":1,"a":2}', '{"a":1}\n', '{"a":1,"a":1}', '\ufeff{"a":1}', 'not json', '{"a":1.0}']
    for (const text of cases) assert.equal(isCanonical(Buffer.from(text, 'utf8')), false, JSON.stringify(text))
  })

  test('is true for compact, sorted JSON', () => {
    assert.equal(isCanonical(Buffer.from('{"a":[1,"x"],"b":{"c":null}}')), true)
  })
})

describe('rule 18 canonical-json', () => {
  const canonical = canonicalBytes(bundle())

  test('canonical input bytes pass in both modes', () => {
    assert.deepEqual(canonicalJson(bundle(), { ...PUBLISH, raw: canonical }), [])
  })

  test('non-canonical input bytes warn while linting and fail publish, telling the user to run ocibundle fmt', () => {
    const pretty = Buffer.from(JSON.stringify(bundle(), null, 2))
    assert.deepEqual(brief(canonicalJson(bundle(), { ...LINT, raw: pretty })), ['warning canonical-json '])
    const issues = canonicalJson(bundle(), { ...PUBLISH, raw: pretty })
    assert.deepEqual(brief(issues), ['error canonical-json '])
    assert.match(issues[0]!.message, /run `ocibundle fmt`/)
  })

  test('without input bytes (a parsed value) only a value that has no canonical form is reported', () => {
    assert.deepEqual(canonicalJson(bundle(), PUBLISH), [])
    const issues = canonicalJson(bundle({ name: 'lone \ud800' }), PUBLISH)
    assert.deepEqual(brief(issues), ['error canonical-json '])
    assert.match(issues[0]!.message, /no canonical JSON form/)
  })
})
