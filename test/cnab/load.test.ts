import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { InputError, NotFoundError, SizeLimitError } from '../../src/errors.js'
import { MAX_BUNDLE_BYTES, MAX_NESTING_DEPTH, documentShapeIssues, loadBundleBytes, readBundleFile } from '../../src/cnab/index.js'
import { brief, fixturePath, readFixture } from './helpers.js'

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'))

describe('loadBundleBytes', () => {
  test('parses a well-formed bundle with no issues and keeps the raw bytes and text unchanged', () => {
    const raw = readFixture('valid/full.json')
    const loaded = loadBundleBytes(raw)
    assert.deepEqual(loaded.issues, [])
    assert.equal(loaded.raw, raw)
    assert.equal(loaded.text, raw.toString('utf8'))
    assert.equal((loaded.value as { name: string }).name, 'acme.wordpress')
  })

  test('reports each duplicate key as an error at the pointer of the duplicate, with line and column, and keeps parsing', () => {
    const loaded = loadBundleBytes(bytes('{"name":"a","images":{"x":{"image":"i"},"x":{"image":"j"}},\n"name":"b"}'))
    assert.deepEqual(brief(loaded.issues), ['error json-duplicate-key /images/x', 'error json-duplicate-key /name'])
    assert.match(loaded.issues[1]!.message, /duplicate key "name" at line 2, column 1/)
    assert.equal((loaded.value as { name: string }).name, 'b')
  })

  test('escapes "/" and "~" in duplicate-key pointers (RFC 6901)', () => {
    const loaded = loadBundleBytes(bytes('{"custom":{"a/b~c":1,"a/b~c":2}}'))
    assert.deepEqual(brief(loaded.issues), ['error json-duplicate-key /custom/a~1b~0c'])
  })

  test('reports a UTF-8 byte-order mark as an error but still parses the document after it', () => {
    const loaded = loadBundleBytes(readFixture('invalid/json-bom.json'))
    assert.deepEqual(brief(loaded.issues), ['error json-bom '])
    assert.equal((loaded.value as { name: string }).name, 'fixture')
    assert.equal(loaded.raw[0], 0xef)
  })

  test('reports invalid UTF-8 with the offset of the first bad byte, and returns no value', () => {
    const raw = new Uint8Array([...Buffer.from('{"name":"caf'), 0xe9, ...Buffer.from('"}')])
    const loaded = loadBundleBytes(raw, 'latin1.json')
    assert.deepEqual(brief(loaded.issues), ['error json-invalid-utf8 '])
    assert.match(loaded.issues[0]!.message, /latin1\.json is not valid UTF-8: the first invalid byte is at offset 13/)
    assert.equal(loaded.value, undefined)
  })

  test('rejects overlong encodings and encoded surrogates as invalid UTF-8', () => {
    for (const seq of [
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
    ]) {
      const loaded = loadBundleBytes(new Uint8Array([0x22, ...seq, 0x22]))
      assert.deepEqual(brief(loaded.issues), ['error json-invalid-utf8 '], seq.join(','))
      assert.match(loaded.issues[0]!.message, /offset [12]\b/)
    }
  })

  test('recognises UTF-16 input by its byte-order mark and says bundle.json must be UTF-8', () => {
    const loaded = loadBundleBytes(new Uint8Array([0xff, 0xfe, ...Buffer.from('{}', 'utf16le')]))
    assert.deepEqual(brief(loaded.issues), ['error json-invalid-utf8 '])
    assert.match(loaded.issues[0]!.message, /UTF-16/)
  })

  test('reports a syntax error with line and column, and returns no value', () => {
    const loaded = loadBundleBytes(bytes('{\n  "name": "x",\n}'))
    assert.deepEqual(brief(loaded.issues), ['error json-syntax '])
    assert.match(loaded.issues[0]!.message, /line 3, column 1/)
    assert.equal(loaded.value, undefined)
  })

  test('reports a document that is not an object (array, string, null, number)', () => {
    for (const text of ['[]', '"bundle"', 'null', '42']) {
      assert.deepEqual(brief(loadBundleBytes(bytes(text)).issues), ['error json-not-object '], text)
    }
  })

  test(`reports nesting deeper than ${MAX_NESTING_DEPTH} levels at the first too-deep container`, () => {
    const deep = `{"custom":{"x":${'['.repeat(MAX_NESTING_DEPTH)}${']'.repeat(MAX_NESTING_DEPTH)}}}`
    const loaded = loadBundleBytes(bytes(deep))
    assert.deepEqual(brief(loaded.issues), [`error json-nesting-depth /custom/x${'/0'.repeat(MAX_NESTING_DEPTH - 2)}`])
    const justDeepEnough = `{"x":${'['.repeat(MAX_NESTING_DEPTH - 1)}${']'.repeat(MAX_NESTING_DEPTH - 1)}}`
    assert.deepEqual(loadBundleBytes(bytes(justDeepEnough)).issues, [])
  })

  test('throws SizeLimitError for more than MAX_BUNDLE_BYTES', () => {
    assert.throws(() => loadBundleBytes(new Uint8Array(MAX_BUNDLE_BYTES + 1)), SizeLimitError)
  })
})

describe('documentShapeIssues', () => {
  test('accepts a plain object and rejects everything else', () => {
    assert.deepEqual(documentShapeIssues({}), [])
    assert.deepEqual(brief(documentShapeIssues([])), ['error json-not-object '])
  })
})

describe('readBundleFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ocibundle-load-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('reads and loads a file', async () => {
    const loaded = await readBundleFile(fixturePath('valid/minimal.json'))
    assert.deepEqual(loaded.issues, [])
    assert.equal((loaded.value as { name: string }).name, 'minimal')
  })

  test('throws NotFoundError for a missing file', async () => {
    await assert.rejects(readBundleFile(join(dir, 'nope.json')), NotFoundError)
  })

  test('throws InputError (not NotFoundError) for a path that cannot be read as a file, such as a directory', async () => {
    await assert.rejects(readBundleFile(dir), (err: unknown) => err instanceof InputError && !(err instanceof NotFoundError))
  })

  test('accepts a file of exactly MAX_BUNDLE_BYTES and throws SizeLimitError one byte over', async () => {
    const atLimit = join(dir, 'at-limit.json')
    writeFileSync(atLimit, `{"custom":{"pad":"${'x'.repeat(MAX_BUNDLE_BYTES - 21)}"}}`)
    const loaded = await readBundleFile(atLimit)
    assert.equal(loaded.raw.length, MAX_BUNDLE_BYTES)
    const over = join(dir, 'over.json')
    writeFileSync(over, Buffer.alloc(MAX_BUNDLE_BYTES + 1, 0x20))
    await assert.rejects(readBundleFile(over), SizeLimitError)
  })
})
