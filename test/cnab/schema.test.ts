import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, test } from 'node:test'
import {
  schemaFileUrl,
  validateBundleSchema,
  validateClaim,
  validateDependencies,
  validateParameterSources,
  validateRelocationMapping,
  validateWithSchema,
  type CnabSchemaName,
} from '../../src/cnab/index.js'
import { brief, bundle, fixtureJson } from './helpers.js'

/** Git blob SHA-1 of each vendored schema at cnab-spec 5771c874 (schemas/LICENSE-NOTE.md). */
const UPSTREAM_BLOBS: Record<CnabSchemaName, string> = {
  bundle: 'acc811965c5e85d0ee0f35ef117839fa8a35a364',
  claim: 'a10b70b06ae2cd46431efdbdcc24577dceddcab1',
  'claim-result': '8703f738ed7779e6fb93d06276a9c6710b4e70d2',
  dependencies: '387aa1e01fdd3ac2d9f594a3c097e29d0f9a1634',
  'parameter-sources': 'cd907a114ac7fb09563790ec754fc5e093b89618',
  'relocation-mapping': '1a4799f4a3fc122931121321fec79c27e06ac2da',
  status: 'e4c30b4d20ae6f323d656aa1d8a0a9b4905ab9d5',
}

function gitBlobSha1(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex')
}

describe('vendored CNAB schemas', () => {
  test('every schema file is byte-identical to cnab-spec 5771c874 (git blob SHA-1 matches LICENSE-NOTE.md)', () => {
    for (const [name, sha1] of Object.entries(UPSTREAM_BLOBS)) {
      assert.equal(gitBlobSha1(readFileSync(schemaFileUrl(name as CnabSchemaName))), sha1, name)
    }
    const definitions = readFileSync(new URL('definitions.schema.json', schemaFileUrl('bundle')))
    assert.equal(gitBlobSha1(definitions), '181f722a656b0a2273e29abfb2f638da7251523e')
  })

  test('schema files are found in <package root>/schemas from the source tree', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url))
    assert.equal(fileURLToPath(schemaFileUrl('bundle')), `${root}schemas/bundle.schema.json`)
  })
})

describe('validateBundleSchema', () => {
  test('a schema-valid bundle has no issues', () => {
    assert.deepEqual(validateBundleSchema(bundle()), [])
  })

  test('maps each Ajv error to an error issue with rule "schema", the instance pointer and a message naming what is wrong', () => {
    const b = bundle({
      name: 5,
      extra: true,
      images: null,
      invocationImages: [{}],
      version: 'latest',
      actions: { 'a.b': { stateless: 'false' } },
    })
    delete b.schemaVersion
    const issues = validateBundleSchema(b)
    const byPointer = new Map(issues.map((i) => [`${i.pointer} ${i.message}`, i]))
    for (const expected of [
      ' missing required property "schemaVersion"',
      ' property "extra" is not allowed here',
      '/name must be string, found integer',
      '/images must be object, found null',
      '/invocationImages/0 missing required property "image"',
      '/actions/a.b/stateless must be boolean, found string',
    ]) {
      assert.ok(byPointer.has(expected), `expected "${expected}" in ${JSON.stringify([...byPointer.keys()])}`)
    }
    assert.ok(issues.every((i) => i.rule === 'schema' && i.severity === 'error'))
    assert.ok(issues.some((i) => i.pointer === '/version' && i.message.startsWith('must match the pattern')))
  })

  test('lists the allowed values when a definition uses an unknown type name', () => {
    const issues = validateBundleSchema(bundle({ definitions: { d: { type: 'text' } } }))
    assert.ok(
      issues.some((i) => i.pointer === '/definitions/d/type' && i.message.includes('"string"') && i.message.includes('found "text"')),
    )
  })
})

describe('extension, relocation-mapping and claim validators', () => {
  test('a relocation mapping with a non-string target is reported at that key', () => {
    assert.deepEqual(brief(validateRelocationMapping({ 'a:1': 5 })), ['error schema /a:1'])
  })

  test('dependencies and parameter-sources validators report where their values go wrong', () => {
    assert.deepEqual(brief(validateDependencies({ requires: { db: {} } })), ['error schema /requires/db'])
    assert.deepEqual(brief(validateParameterSources({ p: { sources: { output: { name: '' } } } })), ['error schema /p/sources/output/name'])
  })

  test('a claim whose embedded bundle breaks bundle.schema.json is reported inside /bundle', () => {
    const claim = fixtureJson('upstream/cnab-spec__examples__400.01-claim.json')
    claim.bundle = { ...(claim.bundle as object), images: null }
    assert.deepEqual(brief(validateClaim(claim)), ['error schema /bundle/images'])
  })

  test('options set the rule id, severity and a pointer prefix', () => {
    const issues = validateWithSchema('dependencies', [], { rule: 'extension-schema', severity: 'warning', pointerPrefix: '/custom/x' })
    assert.deepEqual(brief(issues), ['warning extension-schema /custom/x'])
  })
})
