/**
 * JSON syntax errors say where: every kind of error V8 reports, with or without a position of
 * its own, comes out with a line and a column, and without the text V8 quotes (a config file can
 * hold a password).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { JsonSyntaxError, parseStrictJson } from '../../src/util/strict-json.js'

function messageFor(text: string): string {
  try {
    parseStrictJson(text)
  } catch (err) {
    assert.ok(err instanceof JsonSyntaxError)
    return err.message
  }
  throw new Error(`parsed: ${text}`)
}

describe('JSON syntax errors', () => {
  const cases: Array<[what: string, text: string, where: string]> = [
    ['a missing comma (V8 gives a position)', '{\n  "a": 1\n  "b": 2\n}', 'line 3, column 3'],
    ['text that ends early (V8 gives none)', '{\n  "a": [1, 2', 'line 2, column 13'],
    ['empty text', '', 'line 1, column 1'],
    ['a misspelt literal (V8 quotes the text instead)', '{"password": "s3cret", "ok": tru}', 'line 1, column 30'],
    ['a trailing comma', '[\n1,\n]', 'line 3, column 1'],
  ]
  for (const [what, text, where] of cases) {
    test(`${what}: ${where}`, () => {
      const message = messageFor(text)
      assert.match(message, new RegExp(`^not valid JSON: .* at ${where}$`))
      assert.ok(!message.includes('s3cret'), message)
    })
  }

  test('duplicate keys are named with their pointer, line and column', () => {
    assert.equal(messageFor('{"a": {"b": 1,\n "b": 2}}'), 'duplicate key in JSON object: "b" at /a/b (line 2, column 2)')
  })
})
