import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { dottedNames, extensionSchema, requiredExtensions } from '../../src/cnab/index.js'
import { brief, bundle, fixtureJson } from './helpers.js'

describe('rule 15 required-extensions', () => {
  test('unique string entries that are keys of custom pass', () => {
    const b = bundle({
      requiredExtensions: ['io.cnab.dependencies', 'sh.porter.file-parameters'],
      custom: { 'io.cnab.dependencies': {}, 'sh.porter.file-parameters': {} },
    })
    assert.deepEqual(requiredExtensions(b), [])
  })

  test('an entry missing from custom, a non-string entry and a repeated entry are errors at the entry', () => {
    const b = bundle({
      requiredExtensions: ['io.cnab.missing', 'com.example.present', 5, 'com.example.present'],
      custom: { 'com.example.present': {} },
    })
    const issues = requiredExtensions(b)
    assert.deepEqual(brief(issues), [
      'error required-extensions /requiredExtensions/0',
      'error required-extensions /requiredExtensions/2',
      'error required-extensions /requiredExtensions/3',
    ])
    assert.match(issues[0]!.message, /custom has no "io.cnab.missing" entry/)
    assert.match(issues[2]!.message, /listed more than once/)
  })

  test('with custom missing or null, every required extension is missing', () => {
    for (const custom of [undefined, null]) {
      assert.deepEqual(brief(requiredExtensions(bundle({ requiredExtensions: ['a.b'], custom }))), [
        'error required-extensions /requiredExtensions/0',
      ])
    }
  })
})

describe('rule 17 extension-schema', () => {
  test('extension values that match dependencies.schema.json and parameter-sources.schema.json pass', () => {
    const b = bundle({
      custom: {
        'io.cnab.dependencies': fixtureJson('upstream/cnab-spec__examples__500.01-dependencies.json'),
        'io.cnab.parameter-sources': fixtureJson('upstream/cnab-spec__examples__810.01-parameter-sources.json'),
        'com.example.other': [1, 2, 3],
      },
    })
    assert.deepEqual(extensionSchema(b), [])
  })

  test('an array-shaped io.cnab.dependencies (as in example 101.03) is a warning, not an error', () => {
    const b = bundle({ custom: { 'io.cnab.dependencies': [{ requires: { bundle: 'azure/mysql' } }] } })
    const issues = extensionSchema(b)
    assert.deepEqual(brief(issues), ['warning extension-schema /custom/io.cnab.dependencies'])
    assert.match(issues[0]!.message, /must be object, found array/)
  })

  test('schema violations inside io.cnab.parameter-sources are warnings pointing into the value', () => {
    const b = bundle({ custom: { 'io.cnab.parameter-sources': { p: { priority: ['env'], sources: { env: {} } } } } })
    assert.deepEqual(brief(extensionSchema(b)), [
      'warning extension-schema /custom/io.cnab.parameter-sources/p/priority/0',
      'warning extension-schema /custom/io.cnab.parameter-sources/p/sources',
    ])
  })

  test('Porter-style dependencies with "sequence" are a warning (the schema allows only "requires")', () => {
    const b = bundle({ custom: { 'io.cnab.dependencies': { sequence: ['mysql'], requires: { mysql: { bundle: 'x/mysql' } } } } })
    assert.deepEqual(brief(extensionSchema(b)), ['warning extension-schema /custom/io.cnab.dependencies'])
  })
})

describe('rule 20 dotted-name', () => {
  test('dotted action names and extension keys with letters and dashes pass, in any script', () => {
    const b = bundle({
      actions: { 'io.cnab.dry-run': {}, 'com.例え.アクション': {} },
      custom: { 'com.example.backup-preferences': {}, 'sh.porter': {} },
    })
    assert.deepEqual(dottedNames(b), [])
  })

  test('undotted names and names with digits, @, underscores or empty parts are warnings', () => {
    const b = bundle({
      actions: { status: {}, 'action-1': {} },
      custom: { mykey: {}, 'org.getporter.dependencies@v2': {}, 'com.example_x.y': {}, 'com..example': {}, '.com': {} },
    })
    assert.deepEqual(brief(dottedNames(b)), [
      'warning dotted-name /actions/status',
      'warning dotted-name /actions/action-1',
      'warning dotted-name /custom/mykey',
      'warning dotted-name /custom/org.getporter.dependencies@v2',
      'warning dotted-name /custom/com.example_x.y',
      'warning dotted-name /custom/com..example',
      'warning dotted-name /custom/.com',
    ])
  })
})
