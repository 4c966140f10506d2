/**
 * The Go-compatible JSON writer: the escapes and orders that make our digests equal cnab-to-oci's.
 * Expected strings are what Go 1.22+ json.Marshal / json.MarshalIndent print.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { InputError } from '../../src/errors.js'
import { compareGoStrings, GoMap, goMarshal, goString } from '../../src/cnab/oci/go-json.js'

describe('goString', () => {
  test('escapes <, >, & and the two line separators as Go does (HTML-safe)', () => {
    assert.equal(goString('a<b>&c\u2028d\u2029'), '"a\\u003cb\\u003e\\u0026c\\u2028d\\u2029"')
  })

  test('short escapes for quote, backslash, \\b \\f \\n \\r \\t; \\u00xx (lowercase) for other controls', () => {
    assert.equal(goString('"\\\b\f\n\r\t'), '"\\"\\\\\\b\\f\\n\\r\\t"')
    assert.equal(goString('\u0000\u001f\u000b'), '"\\u0000\\u001f\\u000b"')
  })

  test('leaves DEL, non-ASCII and astral characters as UTF-8', () => {
    assert.equal(goString('\u007fé😀'), '"\u007fé😀"')
  })

  test('a lone surrogate becomes U+FFFD, as Go decoding then encoding would give', () => {
    assert.equal(goString('a\ud800b'), '"a\ufffdb"')
  })

  test('agrees with JSON.parse: every escape decodes back to the original', () => {
    const s = 'x<y>&z"\\\n\u0001\u2028é'
    assert.equal(JSON.parse(goString(s)), s)
  })
})

describe('goMarshal', () => {
  test('structs keep field order and drop undefined fields (omitempty); maps sort keys', () => {
    const out = goMarshal({ z: 1, a: undefined, m: new GoMap({ b: 'x', a: 'y', '10': 'n', '9': 'n' }), l: null })
    assert.equal(out.toString(), '{"z":1,"m":{"10":"n","9":"n","a":"y","b":"x"},"l":null}')
  })

  test('map keys sort by UTF-8 bytes: U+FFFD before an astral character (JavaScript sort says otherwise)', () => {
    const keys = ['😀', '\ufffd', 'b', 'a']
    assert.deepEqual([...keys].sort(compareGoStrings), ['a', 'b', '\ufffd', '😀'])
    assert.deepEqual([...keys].sort(), ['a', 'b', '😀', '\ufffd'])
    assert.equal(goMarshal(new GoMap({ '😀': 1, '\ufffd': 2 })).toString(), '{"\ufffd":2,"😀":1}')
  })

  test('MarshalIndent layout: one member per line, ": " after keys, empty containers stay inline', () => {
    const out = goMarshal({ a: [], b: new GoMap({}), c: [{ d: true }] }, '   ')
    assert.equal(out.toString(), '{\n   "a": [],\n   "b": {},\n   "c": [\n      {\n         "d": true\n      }\n   ]\n}')
  })

  test('refuses numbers Go would not write as an int64 the same way', () => {
    assert.throws(() => goMarshal({ size: 1.5 }), InputError)
    assert.throws(() => goMarshal({ size: 2 ** 53 }), InputError)
  })
})
