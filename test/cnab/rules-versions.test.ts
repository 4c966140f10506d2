import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { bundleVersionSemver, cnabVersionSemver } from '../../src/cnab/index.js'
import { brief, bundle } from './helpers.js'

describe('rule 1 cnab-version-semver', () => {
  test('accepts the schemaVersion spellings seen in the wild for CNAB 1.0–1.2 (v1, v1.2.0, 1.2.0, v1.0.0-WD)', () => {
    for (const schemaVersion of ['v1', 'v1.2.0', '1.2.0', 'v1.0.0-WD', 'v1.1', '1.0.1', 'v1.2.0+meta']) {
      assert.deepEqual(cnabVersionSemver(bundle({ schemaVersion })), [], schemaVersion)
    }
  })

  test('rejects a schemaVersion that is not a semantic version as an error at /schemaVersion', () => {
    for (const schemaVersion of ['cnab-core-1.2.0', 'latest', '', 'v', '1.2.3.4', 'v1.2.0 ']) {
      assert.deepEqual(brief(cnabVersionSemver(bundle({ schemaVersion }))), ['error cnab-version-semver /schemaVersion'], schemaVersion)
    }
  })

  test('warns when schemaVersion is a valid version outside 1.0–1.2 (99.99, v1.3.0, v2, 0.9.0)', () => {
    for (const schemaVersion of ['99.99', 'v1.3.0', 'v2', '0.9.0']) {
      const issues = cnabVersionSemver(bundle({ schemaVersion }))
      assert.deepEqual(brief(issues), ['warning cnab-version-semver /schemaVersion'], schemaVersion)
      assert.match(issues[0]!.message, /outside CNAB Core 1\.0–1\.2/)
    }
  })

  test('leaves a missing or non-string schemaVersion to the schema pass', () => {
    assert.deepEqual(cnabVersionSemver({}), [])
    assert.deepEqual(cnabVersionSemver(bundle({ schemaVersion: 1 })), [])
  })
})

describe('rule 2 bundle-version-semver', () => {
  test('accepts complete SemVer 2.0.0 versions with prerelease and build parts', () => {
    for (const version of ['0.1.0', '1.0.0', '10.20.30', '1.2.3-rc.1+build.5', '1.0.0-alpha-a.b-c', '1.0.0+20130313144700']) {
      assert.deepEqual(bundleVersionSemver(bundle({ version })), [], version)
    }
  })

  test('only warns about a leading "v" on an otherwise valid version, as cnab-go and Porter accept it', () => {
    assert.deepEqual(brief(bundleVersionSemver(bundle({ version: 'v1.0.0' }))), ['warning bundle-version-semver /version'])
    assert.deepEqual(brief(bundleVersionSemver(bundle({ version: 'v1.0' }))), ['error bundle-version-semver /version'])
  })

  test('rejects "latest", partial versions, leading zeros and the unanchored matches the schema lets through', () => {
    for (const version of ['latest', '1.0', '1', '01.0.0', '1.0.0-01', 'abc1', '1.0.0 ', 'x1.0.0']) {
      assert.deepEqual(brief(bundleVersionSemver(bundle({ version }))), ['error bundle-version-semver /version'], version)
    }
  })

  test('tells the user to drop a leading "v" and calls "latest" not a version', () => {
    assert.match(bundleVersionSemver(bundle({ version: 'v1.0.0' }))[0]!.message, /write "1\.0\.0"/)
    assert.match(bundleVersionSemver(bundle({ version: 'latest' }))[0]!.message, /"latest" is not a version/)
  })
})
