/**
 * The capability model: the per-host cache's precedence rules, the evidence line, and the
 * strict reading of reports from files or other versions.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  CAPABILITIES,
  CAPABILITY_CHECKS,
  CapabilityCache,
  formatEvidence,
  hintsFromReport,
  parseCapabilityReport,
} from '../../src/compat/capabilities.js'
import { InputError } from '../../src/errors.js'
import { syntheticReport } from './helpers.js'

describe('CapabilityCache', () => {
  test('unknown until told; per host', () => {
    const cache = new CapabilityCache()
    assert.equal(cache.get('a.example', 'oci-index'), 'unknown')
    cache.record('a.example', 'oci-index', 'unsupported', { status: 400 })
    assert.equal(cache.get('a.example', 'oci-index'), 'unsupported')
    assert.equal(cache.get('b.example', 'oci-index'), 'unknown')
  })

  test('the first observation wins: a later, different answer is ignored', () => {
    const cache = new CapabilityCache()
    cache.record('h', 'oci-index', 'supported', { note: 'first' })
    cache.record('h', 'oci-index', 'unsupported', { note: 'second' })
    assert.deepEqual(cache.observation('h', 'oci-index'), { support: 'supported', evidence: { note: 'first' } })
  })

  test('hints fill in only what is unknown, give way to observations, and are not observations', () => {
    const cache = new CapabilityCache()
    cache.record('h', 'oci-index', 'supported')
    cache.seed('h', { 'oci-index': 'unsupported', 'docker-manifest-list': 'unsupported', 'referrers-api': 'unknown' })
    assert.equal(cache.get('h', 'oci-index'), 'supported')
    assert.equal(cache.get('h', 'docker-manifest-list'), 'unsupported')
    assert.equal(cache.observation('h', 'docker-manifest-list'), undefined)
    assert.equal(cache.get('h', 'referrers-api'), 'unknown')
    cache.record('h', 'docker-manifest-list', 'supported', { status: 201 })
    assert.deepEqual(cache.observation('h', 'docker-manifest-list'), { support: 'supported', evidence: { status: 201 } })
  })

  test('hintsFromReport gives every capability of a report', () => {
    const hints = hintsFromReport(syntheticReport({ unsupported: ['oci-index'], unknown: ['cross-repo-mount'] }))
    assert.equal(Object.keys(hints).length, CAPABILITIES.length)
    assert.equal(hints['oci-index'], 'unsupported')
    assert.equal(hints['cross-repo-mount'], 'unknown')
    assert.equal(hints['docker-manifest-list'], 'supported')
  })
})

describe('formatEvidence', () => {
  test('request → status codes; note', () => {
    assert.equal(
      formatEvidence({ request: 'PUT /v2/x/manifests/v1', status: 400, codes: ['MANIFEST_INVALID'], note: 'manifest invalid' }),
      'PUT /v2/x/manifests/v1 → 400 MANIFEST_INVALID; manifest invalid',
    )
    assert.equal(formatEvidence({ status: 404 }), '404')
    assert.equal(formatEvidence({ note: 'needs a second repository' }), 'needs a second repository')
    assert.equal(formatEvidence({}), '')
  })
})

describe('CAPABILITY_CHECKS', () => {
  test('names a checklist item for every capability', () => {
    for (const c of CAPABILITIES) assert.match(CAPABILITY_CHECKS[c], /^P\d(\.\d+)?$/, c)
  })
})

describe('parseCapabilityReport', () => {
  test('a report survives JSON unchanged', () => {
    const report = {
      ...syntheticReport({ unsupported: ['oci-index'] }),
      representation: { index: 'docker-manifest-list', config: 'cnab-config', shape: 'portable', manifestRefs: 'digest' } as const,
    }
    assert.deepEqual(parseCapabilityReport(JSON.parse(JSON.stringify(report))), report)
  })

  test('capabilities of other versions are dropped, missing ones are unknown', () => {
    const doc = JSON.parse(JSON.stringify(syntheticReport())) as { capabilities: Record<string, unknown> }
    doc.capabilities['teleport-blobs'] = { support: 'supported', evidence: {} }
    delete doc.capabilities['oci-index']
    const report = parseCapabilityReport(doc)
    assert.equal(Object.hasOwn(report.capabilities, 'teleport-blobs'), false)
    assert.deepEqual(report.capabilities['oci-index'], { support: 'unknown', evidence: {} })
  })

  // A report taken apart field by field, wrong on purpose.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type LooseReport = Record<string, any>
  test('refuses what is not a report, naming the field', () => {
    const good = () => JSON.parse(JSON.stringify(syntheticReport())) as LooseReport
    const cases: Array<[string, (d: LooseReport) => void, RegExp]> = [
      ['version', (d) => (d.version = 2), /version 2/],
      ['host', (d) => (d.host = 7), /host: must be a string/],
      ['probedAt', (d) => (d.probedAt = 'yesterday'), /probedAt: "yesterday" is not a date/],
      ['support', (d) => (d.capabilities['oci-index'].support = 'maybe'), /capabilities\.oci-index\.support/],
      ['status', (d) => (d.capabilities['oci-index'].evidence.status = '400'), /evidence\.status: must be an integer/],
      ['codes', (d) => (d.capabilities['oci-index'].evidence.codes = 'X'), /evidence\.codes/],
      ['leftovers', (d) => (d.leftovers = [1]), /leftovers/],
      [
        'representation',
        (d) => (d.representation = { index: 'oci-index', config: 'yaml', shape: 'portable', manifestRefs: 'digest' }),
        /representation\.config/,
      ],
    ]
    for (const [name, spoil, message] of cases) {
      const doc = good()
      spoil(doc)
      assert.throws(
        () => parseCapabilityReport(doc),
        (err: unknown) => err instanceof InputError && message.test(err.message),
        name,
      )
    }
    assert.throws(() => parseCapabilityReport([]), InputError)
  })
})
