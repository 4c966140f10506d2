/**
 * Property tests of the bundle JSON parsers (load, validate, fmt): whatever the bytes, validation
 * returns issues (never throws, never quotes more than a short prefix of a value), and the
 * canonical form is a fixed point that validates as canonical.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { canonicalBytes, isCanonical } from '../../src/cnab/canonical.js'
import { loadBundleBytes, MAX_BUNDLE_BYTES } from '../../src/cnab/load.js'
import { validateBundle } from '../../src/cnab/validate.js'
import { params } from './runs.js'

const FULL = JSON.parse(readFileSync(new URL('../fixtures/bundles/valid/full.json', import.meta.url), 'utf8')) as Record<string, unknown>

/** JSON values with the odd cases: long strings, keys that look like pointers or schema keywords. */
const value = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.constantFrom('$id', '$ref', '#/x', '~1/', 'sha256:', '^(a+)+$', '(?=a)', '\\', '{}', 'v1.0.0', 'install'),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('$id', '$ref', '$schema', 'pattern', 'default', 'type')),
      tie('v'),
      {
        maxKeys: 4,
      },
    ),
  ),
})).v

/** Paths into a real bundle, to put generated values where the rules look. */
const PLACES: ReadonlyArray<readonly string[]> = [
  ['name'],
  ['version'],
  ['schemaVersion'],
  ['invocationImages', '0'],
  ['invocationImages', '0', 'image'],
  ['invocationImages', '0', 'contentDigest'],
  ['images', 'web'],
  ['images', 'web', 'mediaType'],
  ['actions', 'io.cnab.status'],
  ['definitions', 'hostname'],
  ['definitions', 'hostname', 'pattern'],
  ['definitions', 'hostname', 'default'],
  ['definitions', 'port', '$id'],
  ['definitions', 'port', '$ref'],
  ['definitions', 'port', '$schema'],
  ['parameters', 'port', 'destination'],
  ['parameters', 'port', 'applyTo'],
  ['credentials', 'kubeconfig', 'path'],
  ['outputs', 'url', 'path'],
  ['requiredExtensions'],
  ['custom', 'io.cnab.dependencies'],
  ['custom', 'io.cnab.parameter-sources'],
]

function placed(path: readonly string[], v: unknown): unknown {
  const doc = structuredClone(FULL) as Record<string, unknown>
  let node = doc as Record<string, unknown>
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  node[path[path.length - 1]!] = v
  return doc
}

/** A validation result's promises: issues with short messages, validity consistent with severities. */
function checkResult(text: string | Uint8Array): void {
  const result = validateBundle(text)
  assert.equal(result.valid, !result.issues.some((i) => i.severity === 'error'))
  for (const issue of result.issues) assert.ok(issue.message.length <= 1001, `message of ${issue.rule} is ${issue.message.length} long`)
}

describe('fuzz: bundle JSON', () => {
  test('any bytes: validate returns issues and never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => checkResult(bytes)),
      params(300),
    )
  })

  test('any JSON text: validate returns issues and never throws', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), (text) => checkResult(text)),
      params(300),
    )
  })

  test('a real bundle with generated values in the places the rules read: validate never throws, messages stay short', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PLACES), value, (path, v) => checkResult(JSON.stringify(placed(path, v)))),
      params(400),
    )
  })

  test('long values anywhere the rules read are quoted by a short prefix only', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PLACES),
        fc.constantFrom('a', '/', '1.', '$', ' ', '(a+)+'),
        fc.integer({ min: 5000, max: 20000 }),
        (path, unit, n) => {
          const long = unit.repeat(n)
          const result = validateBundle(JSON.stringify(placed(path, long)))
          for (const issue of result.issues) assert.ok(!issue.message.includes(long.slice(0, 200)), `${issue.rule} quotes the whole value`)
        },
      ),
      params(60),
    )
  })

  test('fmt: the canonical form of any JSON object is a fixed point, canonical, and loads without issues of the bytes', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }), (doc) => {
        const bytes = canonicalBytes(doc)
        assert.ok(isCanonical(bytes))
        const loaded = loadBundleBytes(bytes)
        assert.deepEqual(
          loaded.issues.filter((i) => i.rule.startsWith('json-')),
          [],
        )
        assert.ok(canonicalBytes(loaded.value).equals(bytes))
      }),
      params(300),
    )
  })

  test('the size limit is the only thing that throws, and it throws SizeLimitError', () => {
    assert.throws(() => validateBundle(new Uint8Array(MAX_BUNDLE_BYTES + 1)), { code: 'ERR_SIZE_LIMIT' })
  })
})
