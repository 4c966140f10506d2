/**
 * Platform matching and formatting used by the copy platform filter (selection itself is
 * covered through copy() in copy.test.ts).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { formatPlatform, platformMatches } from '../../src/oci/platform.js'
import type { Platform } from '../../src/oci/descriptor.js'

describe('platformMatches', () => {
  const arm64v8: Platform = { os: 'linux', architecture: 'arm64', variant: 'v8' }
  const cases: Array<[string, Platform | undefined, Platform, boolean]> = [
    ['same os and architecture, variant not asked for', arm64v8, { os: 'linux', architecture: 'arm64' }, true],
    ['same variant asked for', arm64v8, { os: 'linux', architecture: 'arm64', variant: 'v8' }, true],
    ['other variant asked for', arm64v8, { os: 'linux', architecture: 'arm64', variant: 'v7' }, false],
    ['other architecture', arm64v8, { os: 'linux', architecture: 'amd64' }, false],
    ['other os', arm64v8, { os: 'windows', architecture: 'arm64' }, false],
    [
      'os.version asked for and different',
      { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1' },
      { os: 'windows', architecture: 'amd64', 'os.version': '10.0.20348.1' },
      false,
    ],
    ['no platform on the descriptor', undefined, { os: 'linux', architecture: 'amd64' }, false],
  ]
  for (const [name, candidate, wanted, expected] of cases) {
    test(`${name} → ${expected}`, () => assert.equal(platformMatches(candidate, wanted), expected))
  }
})

describe('formatPlatform', () => {
  test('writes os/architecture and the variant when there is one', () => {
    assert.equal(formatPlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' }), 'linux/arm64/v8')
    assert.equal(formatPlatform({ os: 'linux', architecture: 'amd64' }), 'linux/amd64')
  })
})
