import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { nameGraphicChars } from '../../src/cnab/index.js'
import { brief, bundle } from './helpers.js'

describe('rule 3 name-graphic-chars', () => {
  test('accepts letters, digits, punctuation, symbols, spaces and non-Latin scripts, including astral characters', () => {
    for (const name of ['helloworld', 'acme.tunnels.wordpress', 'My Bundle (v2) — ünïcode', 'ワードプレス', 'emoji 🚀', 'e\u0301']) {
      assert.deepEqual(nameGraphicChars(bundle({ name })), [], name)
    }
  })

  test('rejects tabs, newlines, other control and format characters, and names the code point', () => {
    const cases: Array<[string, string]> = [
      ['hello\tworld', 'U+0009'],
      ['hello\nworld', 'U+000A'],
      ['bell\u0007', 'U+0007'],
      ['zero\u200bwidth', 'U+200B'],
      ['line\u2028sep', 'U+2028'],
      ['lone \ud800 surrogate', 'U+D800'],
    ]
    for (const [name, code] of cases) {
      const issues = nameGraphicChars(bundle({ name }))
      assert.deepEqual(brief(issues), ['error name-graphic-chars /name'], JSON.stringify(name))
      assert.ok(issues[0]!.message.includes(code), `${issues[0]!.message} should mention ${code}`)
    }
  })

  test('rejects an empty name', () => {
    assert.deepEqual(brief(nameGraphicChars(bundle({ name: '' }))), ['error name-graphic-chars /name'])
  })
})
