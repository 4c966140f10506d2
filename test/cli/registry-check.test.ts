/**
 * `ocibundle registry check` with the built CLI: against the real distribution registry, and
 * through the quirk proxy emulating Docker Hub in 2019 (no OCI index, no custom config type).
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { RegistryCheckResult } from '../../src/publish/check-registry.js'
import { json, runCli } from '../helpers/cli.js'
import { startQuirkProxy, type QuirkProxy } from '../helpers/registry/quirk-proxy.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

describe('ocibundle registry check', () => {
  let dir: TempDir
  let reg: RunningRegistry
  let hub2019: QuirkProxy
  const env = () => ({ XDG_CACHE_HOME: join(dir.path, 'cache'), DOCKER_CONFIG: join(dir.path, 'docker') })
  before(async () => {
    dir = await makeTempDir('registry-check-')
    reg = await startRegistry('plain')
    hub2019 = await startQuirkProxy(reg, 'dockerhub-2019')
  })
  after(async () => {
    await hub2019.stop()
    await reg.stop()
    await dir.cleanup()
  })

  test('on distribution: every capability a bundle needs, the first-choice verdict, and a cached report', async () => {
    const r = await runCli(['registry', 'check', '--json', `${reg.host}/acme`], { env: env() })
    assert.equal(r.code, 0, r.stderr)
    const report = json<RegistryCheckResult>(r).result
    for (const cap of [
      'oci-index',
      'custom-config-media-type',
      'monolithic-upload',
      'cross-repo-mount',
      'fetch-by-digest',
      'bundle-round-trip',
    ] as const) {
      assert.equal(report.capabilities[cap].support, 'supported', cap)
    }
    assert.equal(report.capabilities['referrers-api'].support, 'unsupported')
    assert.equal(report.capabilities['referrers-api'].evidence.status, 404)
    assert.equal(report.verdict, 'bundles publish here as: oci-index + cnab-config (portable)')
    assert.deepEqual(report.leftovers, [])
    const cached = JSON.parse(await readFile(report.cachedAt!, 'utf8'))
    assert.equal(cached.host, reg.host)
    assert.equal(report.cachedAt, join(dir.path, 'cache', 'ocibundle', 'registries', `${encodeURIComponent(reg.host)}.json`))
  })

  test('the human table shows capability, result and evidence (status and error code)', async () => {
    const r = await runCli(['registry', 'check', hub2019.host], { env: env() })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /oci-index \(P3\.9\)\s+NO\s+PUT \S+ → 400 MANIFEST_INVALID/)
    assert.match(r.stdout, /bundles publish here as: docker-manifest-list \+ oci-image-config/)
  })

  test('an unreachable registry fails with a hint, exit 1', async () => {
    const r = await runCli(['registry', 'check', '127.0.0.1:1'], { env: env() })
    assert.equal(r.code, 1)
    assert.match(r.stderr, /registry is running/)
  })
})
