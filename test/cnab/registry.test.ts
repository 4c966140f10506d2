import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import * as cnab from '../../src/cnab/index.js'
import { listRules, semanticRules } from '../../src/cnab/index.js'

describe('rules registry', () => {
  test('covers checklist rules 1–20 in order, all as semantic rules (rule 9 as definition-schema and definition-default)', () => {
    const semantic = listRules().filter((r) => r.stage === 'semantic')
    assert.deepEqual(
      semantic.map((r) => r.checklist),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
    )
  })

  test('rule ids are unique kebab-case strings and every rule has a one-line description', () => {
    const rules = listRules()
    assert.equal(new Set(rules.map((r) => r.id)).size, rules.length)
    for (const r of rules) {
      assert.match(r.id, /^[a-z0-9]+(-[a-z0-9]+)*$/)
      assert.ok(r.description.length > 0 && !r.description.includes('\n'), r.id)
      assert.ok(r.publish.length > 0, `${r.id} reports nothing when publishing`)
    }
  })

  test('declares the severities of the checklist: 5, 6, 7 and 18 error only when publishing; 4 errors or warns while linting', () => {
    const byId = new Map(listRules().map((r) => [r.id, r]))
    for (const id of ['image-type-known', 'image-content-digest', 'image-descriptor-fields', 'canonical-json']) {
      assert.deepEqual(byId.get(id)!.lint, ['warning'], id)
      assert.deepEqual(byId.get(id)!.publish, ['error'], id)
    }
    assert.deepEqual(byId.get('invocation-image-count')!.lint, ['error', 'warning'])
    assert.deepEqual(byId.get('invocation-image-count')!.publish, ['error'])
    for (const id of ['apply-to-action', 'extension-schema', 'image-digest-reference', 'dotted-name']) {
      assert.deepEqual(byId.get(id)!.publish, ['warning'], id)
    }
    assert.deepEqual(byId.get('destination-conflict')!.lint, ['error', 'warning'])
  })

  test('every semantic rule in the registry is also exported by name from the barrel', () => {
    const exported = new Set(Object.values(cnab).filter((v) => typeof v === 'function'))
    for (const { id, run } of semanticRules()) assert.ok(exported.has(run), `${id} is not exported`)
  })
})
