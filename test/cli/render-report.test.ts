/** The human rendering of a capability report. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { CAPABILITIES } from '../../src/compat/capabilities.js'
import { renderReport } from '../../src/cli/render-report.js'
import { syntheticReport } from '../compat/helpers.js'

describe('renderReport', () => {
  const report = syntheticReport({ unsupported: ['oci-index'], unknown: ['cross-repo-mount'] })
  report.capabilities['cross-repo-mount'].evidence = { note: 'needs a second repository' }
  const text = renderReport(report)
  const lines = text.split('\n')

  test('a heading with registry, repository, time and auth challenge', () => {
    assert.deepEqual(lines.slice(0, 4), [
      'registry:   registry.example',
      'repository: acme/app/probe-0000',
      'probed at:  2026-01-02T03:04:05.000Z',
      'auth:       bearer, realm https://auth.example/token, service registry.example',
    ])
    assert.match(renderReport({ ...report, auth: { scheme: 'none' } }), /^auth: {7}none \(anonymous access\)$/m)
  })

  test('one aligned row per capability: id with checklist item, yes / NO / ?, evidence', () => {
    const header = lines.findIndex((l) => l.startsWith('capability'))
    assert.match(lines[header]!, /^capability\s+result\s+evidence$/)
    const rows = lines.slice(header + 2, header + 2 + CAPABILITIES.length)
    assert.deepEqual(
      rows.map((r) => r.split(' ')[0]),
      [...CAPABILITIES],
    )
    const resultColumn = lines[header]!.indexOf('result')
    for (const row of rows) assert.match(row.slice(resultColumn), /^(yes|NO|\?)( |$)/, row)
    assert.match(
      rows.find((r) => r.startsWith('oci-index (P3.9) '))!,
      /NO\s+PUT \/v2\/x\/manifests\/oci-index → 400 MANIFEST_INVALID$/,
    )
    assert.match(
      rows.find((r) => r.startsWith('cross-repo-mount '))!,
      /\?\s+needs a second repository$/,
    )
    assert.match(
      rows.find((r) => r.startsWith('docker-manifest-list '))!,
      /yes$/,
    )
  })

  test('says which --referrers-mode works and what auto uses, before the verdict', () => {
    assert.equal(lines.at(-2), 'referrers (signatures, SBOMs): --referrers-mode tag works; auto uses the sha256-<hex> tag schema')
    const withApi = syntheticReport()
    withApi.capabilities['referrers-api'] = { support: 'supported', evidence: {} }
    assert.match(
      renderReport(withApi),
      /^referrers \(signatures, SBOMs\): --referrers-mode api or tag works; auto uses the referrers API$/m,
    )
    const neither = syntheticReport({ unsupported: ['referrers-tag-schema'] })
    assert.match(renderReport(neither), /^referrers \(signatures, SBOMs\): no mode is known to work here \(api: NO, tag: NO\)$/m)
  })

  test('ends with the verdict, then what was left behind, if anything', () => {
    assert.equal(lines.at(-1), 'bundles publish here as: oci-index + cnab-config (portable)')
    const left = renderReport({ ...report, leftovers: ['manifest acme/x@sha256:aa', 'tag acme/x:t'] }).split('\n')
    assert.deepEqual(left.slice(-3), [
      'left behind (the registry refused to delete them):',
      '  manifest acme/x@sha256:aa',
      '  tag acme/x:t',
    ])
  })
})
