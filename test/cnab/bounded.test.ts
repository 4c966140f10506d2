/**
 * Validation and formatting are bounded: schema keywords of the wrong type are reported, not
 * handed to Ajv to crash on; user patterns run in linear time; inputs as large as the size limit
 * allows finish (linear in their size: no pattern or schema compile explodes on long values);
 * messages quote a short prefix of any value.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { canonicalBytes, isCanonical } from '../../src/cnab/canonical.js'
import { loadBundleBytes, MAX_BUNDLE_BYTES, MAX_KEY_LENGTH } from '../../src/cnab/load.js'
import { QUOTE_LIMIT } from '../../src/cnab/issue.js'
import { validateBundle } from '../../src/cnab/validate.js'
import { runCli } from '../helpers/cli.js'
import { makeTempDir } from '../helpers/tmp.js'

/** The parts of the fixture these tests change. */
interface Bundle {
  version: string
  images: Record<string, unknown>
  parameters: { port: Record<string, unknown> }
  definitions: Record<string, unknown> & { hostname: Record<string, unknown> }
}
const FULL = JSON.parse(readFileSync(new URL('../fixtures/bundles/valid/full.json', import.meta.url), 'utf8')) as Bundle

function withDefinition(definition: unknown): string {
  const b = structuredClone(FULL)
  b.definitions.x = definition
  return JSON.stringify(b)
}

describe('bounded validation: schema keywords and patterns', () => {
  for (const [keyword, value] of [
    ['$id', -1],
    ['$id', {}],
    ['$ref', 5],
    ['$schema', []],
    ['$ref', `#/${'a'.repeat(5000)}`],
  ] as const) {
    test(`a definition whose ${keyword} is ${JSON.stringify(value).slice(0, 20)} is an unusable schema, reported and not thrown`, () => {
      const result = validateBundle(withDefinition({ [keyword]: value, type: 'string' }))
      const issue = result.issues.find((i) => i.rule === 'definition-schema')
      assert.ok(issue, JSON.stringify(result.issues))
      assert.equal(issue.pointer, '/definitions/x')
      assert.match(issue.message, new RegExp(`\\${keyword}`))
      assert.equal(result.valid, false)
    })
  }

  test('a pattern that backtracks exponentially (^(a+)+$) is matched in linear time against its default', () => {
    const result = validateBundle(withDefinition({ type: 'string', pattern: '^(a+)+$', default: `${'a'.repeat(5000)}!` }))
    const issue = result.issues.find((i) => i.rule === 'definition-default')
    assert.ok(issue)
    assert.equal(issue.pointer, '/definitions/x/default')
  })

  test('a pattern with lookaround is not run; the warning says the default was not checked against it', () => {
    const result = validateBundle(withDefinition({ type: 'string', pattern: '^(?=a)a+$', default: 'b' }))
    const issue = result.issues.find((i) => i.rule === 'definition-default')
    assert.ok(issue)
    assert.match(issue.message, /was not checked against the pattern "\^\(\?=a\)a\+\$"/)
  })

  test('a pattern that is not a regular expression at all still makes the definition unusable', () => {
    const result = validateBundle(withDefinition({ type: 'string', pattern: '(' }))
    assert.ok(result.issues.some((i) => i.rule === 'definition-schema' || i.rule === 'schema'))
  })
})

/** A bundle of exactly MAX_BUNDLE_BYTES with one huge value placed by `place`. */
function largest(place: (b: Bundle, v: string) => void, unit: string): string {
  const b = structuredClone(FULL)
  place(b, '')
  const room = MAX_BUNDLE_BYTES - Buffer.byteLength(JSON.stringify(b))
  const value = unit.repeat(Math.floor(room / Buffer.byteLength(JSON.stringify(unit).slice(1, -1))))
  place(b, value)
  const text = JSON.stringify(b)
  assert.ok(Buffer.byteLength(text) <= MAX_BUNDLE_BYTES && Buffer.byteLength(text) > MAX_BUNDLE_BYTES - 64)
  return text
}

describe('bounded validation: the largest accepted input', { timeout: 300_000 }, () => {
  const shapes: Array<[string, (b: Bundle, v: string) => void, string]> = [
    ['an applyTo value', (b, v) => (b.parameters.port.applyTo = [v]), 'a'],
    ['an image key of slashes', (b, v) => (b.images = { [v]: FULL.images.web }), '/'],
    ['a pattern of a definition', (b, v) => (b.definitions.hostname.pattern = v), 'a.'],
    ['a default against a pattern', (b, v) => (b.definitions.hostname = { type: 'string', pattern: '^(a+)+$', default: `${v}!` }), 'a'],
  ]
  for (const [what, place, unit] of shapes) {
    test(`16 MiB in ${what}: validate and fmt finish, every message quotes at most a ${QUOTE_LIMIT}-character prefix`, () => {
      const text = largest(place, unit)
      const result = validateBundle(text)
      for (const issue of result.issues) {
        assert.ok(issue.message.length <= 1001, `${issue.rule}: ${issue.message.length} characters`)
        assert.ok(!issue.message.includes(unit.repeat(QUOTE_LIMIT + 1)), `${issue.rule} quotes more than a prefix`)
      }
      const loaded = loadBundleBytes(Buffer.from(text))
      const bytes = canonicalBytes(loaded.value)
      assert.ok(isCanonical(bytes))
    })
  }

  test('a key longer than 65536 characters stops validation with json-key-length at the object holding it', () => {
    const b = structuredClone(FULL)
    b.images = { ['/'.repeat(MAX_KEY_LENGTH + 1)]: FULL.images.web }
    const result = validateBundle(JSON.stringify(b))
    assert.deepEqual(
      result.issues.map((i) => `${i.rule} ${i.pointer}`),
      ['json-key-length /images'],
    )
  })

  test('ocibundle validate of a bundle with an 8 MB applyTo value prints a short warning', async () => {
    const dir = await makeTempDir()
    try {
      const b = structuredClone(FULL)
      b.parameters.port.applyTo = ['a'.repeat(8 * 1024 * 1024)]
      const file = join(dir.path, 'bundle.json')
      await writeFile(file, JSON.stringify(b))
      const r = await runCli(['validate', file])
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, /apply-to-action/)
      assert.ok(r.stdout.length + r.stderr.length < 4096, `printed ${r.stdout.length + r.stderr.length} characters`)
    } finally {
      await dir.cleanup()
    }
  })
})
