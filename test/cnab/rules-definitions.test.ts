import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { definitionDefault, definitionExists, definitionSchema } from '../../src/cnab/index.js'
import { brief, bundle } from './helpers.js'

describe('rule 8 definition-exists', () => {
  test('parameters and outputs that name existing definitions pass', () => {
    const b = bundle({
      definitions: { s: { type: 'string' } },
      parameters: { p: { definition: 's', destination: { env: 'P' } } },
      outputs: { o: { definition: 's', path: '/cnab/app/outputs/o' } },
    })
    assert.deepEqual(definitionExists(b), [])
  })

  test('a parameter or output naming a missing definition is an error at its definition member', () => {
    const b = bundle({
      definitions: { s: { type: 'string' } },
      parameters: { p: { definition: 'missing', destination: { env: 'P' } } },
      outputs: { o: { definition: 'toString', path: '/cnab/app/outputs/o' } },
    })
    assert.deepEqual(brief(definitionExists(b)), [
      'error definition-exists /parameters/p/definition',
      'error definition-exists /outputs/o/definition',
    ])
  })

  test('with no definitions at all (missing or null) every reference is reported', () => {
    for (const definitions of [undefined, null]) {
      const b = bundle({ definitions, parameters: { p: { definition: 's', destination: { env: 'P' } } } })
      assert.deepEqual(brief(definitionExists(b)), ['error definition-exists /parameters/p/definition'])
    }
  })
})

describe('rule 9 definition-schema', () => {
  test('definitions that compile and defaults that match them pass, including boolean schemas and formats', () => {
    const b = bundle({
      definitions: {
        port: { type: 'integer', minimum: 10, maximum: 10240, default: 80 },
        host: { type: 'string', pattern: '^[a-z]+$', default: 'localhost' },
        url: { type: 'string', format: 'uri', default: 'https://example.com' },
        ratio: { type: 'number', default: 0.5 },
        anything: true,
        same_id_a: { $id: 'https://example.com/x.json', type: 'string' },
        same_id_b: { $id: 'https://example.com/x.json', type: 'number' },
      },
    })
    assert.deepEqual(definitionSchema(b), [])
  })

  test('an invalid pattern regex, which the meta-schema lets through, is an error at the definition', () => {
    const issues = definitionSchema(bundle({ definitions: { bad: { type: 'string', pattern: '(' } } }))
    assert.deepEqual(brief(issues), ['error definition-schema /definitions/bad'])
    assert.match(issues[0]!.message, /Invalid regular expression/)
  })

  test('an unresolvable $ref is an error at the definition', () => {
    assert.deepEqual(brief(definitionSchema(bundle({ definitions: { r: { $ref: '#/definitions/nowhere' } } }))), [
      'error definition-schema /definitions/r',
    ])
  })

  test('a default that breaks its own definition is a definition-default warning under /default, with the reason', () => {
    const b = bundle({
      definitions: {
        port: { type: 'integer', minimum: 1024, default: 80 },
        choice: { type: 'string', enum: ['a', 'b'], default: 'c' },
        obj: { type: 'object', required: ['name'], default: {} },
      },
    })
    assert.deepEqual(definitionSchema(b), [])
    const issues = definitionDefault(b)
    assert.deepEqual(brief(issues), [
      'warning definition-default /definitions/port/default',
      'warning definition-default /definitions/choice/default',
      'warning definition-default /definitions/obj/default',
    ])
    assert.match(issues[0]!.message, /must be >= 1024/)
    assert.match(issues[1]!.message, /must be one of "a", "b", found "c"/)
    assert.match(issues[2]!.message, /missing required property "name"/)
  })

  test('a definition $id seen in an earlier bundle does not make a later bundle reuse the earlier schema', () => {
    const withType = (type: string): Record<string, unknown> =>
      bundle({
        definitions: {
          d: { $id: 'https://example.com/d.json', type, default: 1 },
          n: { properties: { p: { $id: 'https://example.com/n.json', type } }, default: { p: 1 } },
        },
      })
    assert.deepEqual(definitionDefault(withType('integer')), [])
    assert.deepEqual(brief(definitionDefault(withType('string'))), [
      'warning definition-default /definitions/d/default',
      'warning definition-default /definitions/n/default/p',
    ])
    assert.deepEqual(definitionDefault(withType('integer')), [])
  })

  test('non-schema values (numbers, strings, null) are left to the schema pass', () => {
    assert.deepEqual(definitionSchema(bundle({ definitions: { n: 5, s: 'x', z: null } })), [])
    assert.deepEqual(definitionDefault(bundle({ definitions: { n: 5, s: 'x', z: null } })), [])
  })
})
