/**
 * The probe through each quirk proxy (test/helpers/registry/quirk-proxy.ts): it must find
 * exactly the capabilities the emulated registry lacks, keep every other one as on distribution
 * 2.8, carry that registry's own error in the evidence, and reach the verdict that registry
 * calls for. Then a second publish, planned from the report, must make no failed request at all.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { CAPABILITIES, type Capability, type CapabilityReport, type Representation, type Support } from '../../src/compat/capabilities.js'
import { probeRoundTrip } from '../../src/compat/probe/round-trip.js'
import { ProbeSession } from '../../src/compat/probe/probe-session.js'
import { probeRegistry } from '../../src/compat/probes.js'
import { RegistryClient } from '../../src/registry/http/client.js'
import { backoffPolicy } from '../../src/registry/http/retry.js'
import { QUIRK_PROFILES, startQuirkProxy, type QuirkProfileName, type QuirkProxy } from '../helpers/registry/quirk-proxy.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { DISTRIBUTION_UNSUPPORTED } from './helpers.js'

let registry: RunningRegistry
let client: RegistryClient
before(async () => {
  registry = await startRegistry('plain')
  client = new RegistryClient({ retry: backoffPolicy({ baseMs: 1, maxDelayMs: 20 }) })
})
after(async () => {
  await client?.close()
  await registry?.stop()
})

/** The repository users name; the ECR profiles need it created first. */
const REPOSITORY = 'acme/app'

const rep = (
  index: Representation['index'],
  config: Representation['config'],
  manifestRefs: Representation['manifestRefs'] = 'digest',
): Representation => ({ index, config, shape: 'portable', manifestRefs })

/**
 * Per profile: the representation the verdict must name (undefined: none can be published
 * there as the probe publishes, with OCI manifests), and a check of that registry's own error in
 * the evidence.
 */
const EXPECTED: Record<QuirkProfileName, { representation: Representation | undefined; evidence: (r: CapabilityReport) => void }> = {
  'dockerhub-2019': {
    representation: rep('docker-manifest-list', 'oci-image-config'),
    evidence: (r) => assert.deepEqual(pick(r, 'oci-index'), { status: 400, codes: ['MANIFEST_INVALID'], note: 'manifest invalid' }),
  },
  ecr: {
    representation: rep('oci-index', 'cnab-config'),
    evidence: (r) => {
      assert.equal(r.repository, REPOSITORY, 'works in the existing repository')
      assert.match(
        r.capabilities['repository-auto-create'].evidence.note ?? '',
        /The repository with name 'acme\/app\/probe-[0-9a-f]{8}' does not exist in the registry with id '\d{12}'/,
      )
      assert.match(r.capabilities['chunk-range-header'].evidence.note ?? '', /PATCH answered 201 instead of 202.*ECR-3.*stuck, as ECR-4/)
      assert.equal(r.capabilities['chunked-upload'].support, 'supported', 'the data arrives all the same')
    },
  },
  'ecr-2019': {
    representation: rep('oci-index', 'cnab-config', 'deterministic-tag'),
    evidence: (r) => assert.deepEqual(pick(r, 'untagged-manifest-push').status, 405),
  },
  gcr: {
    representation: rep('oci-index', 'cnab-config'),
    evidence: (r) => {
      assert.match(r.capabilities['empty-layers'].evidence.note ?? '', /refused with "layers": null/)
      assert.equal(pick(r, 'mixed-index-children').status, 400)
    },
  },
  quay: {
    representation: rep('oci-index', 'oci-image-config'),
    evidence: (r) =>
      assert.match(
        r.capabilities['custom-config-media-type'].evidence.note ?? '',
        /'application\/vnd\.cnab\.config\.v1\+json' is not one of \['application\/vnd\.oci\.image\.config\.v1\+json', 'application\/vnd\.sylabs\.sif\.config\.v1\+json', 'application\/vnd\.cncf\.helm\.config\.v1\+json'\]/,
      ),
  },
  'nexus-2020': {
    representation: rep('no-index', 'cnab-config'),
    evidence: (r) => assert.deepEqual([pick(r, 'oci-index').status, pick(r, 'docker-manifest-list').status], [400, 400]),
  },
  ghcr: {
    representation: rep('oci-index', 'cnab-config'),
    evidence: (r) => {
      assert.deepEqual(pick(r, 'chunk-over-4mib'), {
        status: 416,
        codes: ['REQUESTED_RANGE_NOT_SATISFIABLE'],
        note: 'the request body is too large and exceeds the maximum permissible limit of 4.00MiB',
      })
      assert.deepEqual(pick(r, 'delete-manifest'), { status: 405, codes: ['UNSUPPORTED'], note: 'The operation is unsupported.' })
      assert.equal(pick(r, 'referrers-api').status, 404)
      assert.ok(
        r.leftovers.some((l) => l === `tag ${r.repository}:${l.split(':').at(-1)}` && l.endsWith('-bundle')),
        'the left-over bundle tag is reported',
      )
    },
  },
  'github-packages-2020': {
    representation: rep('oci-index', 'cnab-config', 'deterministic-tag'),
    evidence: (r) => assert.deepEqual([pick(r, 'fetch-by-digest').status, pick(r, 'fetch-by-digest').codes], [404, ['MANIFEST_UNKNOWN']]),
  },
  'referrers-api': {
    representation: rep('oci-index', 'cnab-config'),
    evidence: (r) => assert.equal(pick(r, 'referrers-api').status, 200),
  },
  'tag-required': {
    representation: rep('oci-index', 'cnab-config', 'deterministic-tag'),
    evidence: (r) =>
      assert.deepEqual(pick(r, 'untagged-manifest-push'), { status: 400, codes: ['TAG_INVALID'], note: 'manifest tag did not match URI' }),
  },
  'harbor-1.10': {
    representation: undefined,
    evidence: (r) => {
      assert.deepEqual(pick(r, 'docker-manifest-list'), {
        status: 415,
        codes: ['UNSUPPORTED_MEDIA_TYPE'],
        note: 'Manifest.list is not supported.: Manifest.list is not supported.',
      })
      assert.equal(pick(r, 'oci-image-manifest').status, 500)
    },
  },
  'artifactory-2025': {
    representation: rep('oci-index', 'cnab-config'),
    // The probe's tiny bundle has no component: the refusal of ART-6 does not show.
    evidence: (r) => assert.equal(r.capabilities['bundle-round-trip'].support, 'supported'),
  },
  acr: {
    representation: rep('oci-index', 'cnab-config'),
    evidence: (r) => assert.equal(pick(r, 'referrers-api').status, 200),
  },
  gitlab: {
    representation: rep('oci-index', 'cnab-config'),
    evidence: (r) => {
      // The index written under the tag does not read back: the registry answers for the subject instead.
      const e = r.capabilities['referrers-tag-schema'].evidence
      assert.equal(r.capabilities['referrers-tag-schema'].support, 'unsupported')
      assert.match(e.request ?? '', /^GET \/v2\/.+\/manifests\/sha256-[0-9a-f]{64}$/)
    },
  },
}

function pick(r: CapabilityReport, c: Capability): { status?: number; codes?: string[]; note?: string } {
  const { status, codes, note } = r.capabilities[c].evidence
  return { ...(status !== undefined && { status }), ...(codes && { codes }), ...(note !== undefined && { note }) }
}

for (const name of Object.keys(QUIRK_PROFILES) as QuirkProfileName[]) {
  describe(`quirk profile ${name}`, () => {
    let proxy: QuirkProxy
    let report: CapabilityReport
    before(async () => {
      proxy = await startQuirkProxy(registry, name)
      proxy.createRepository(REPOSITORY)
      report = await probeRegistry(client, { registry: proxy.host, repository: REPOSITORY })
    })
    after(() => proxy?.stop())

    test('finds the capabilities this registry lacks, and every other one as on distribution 2.8', () => {
      const { disables, unknowable, enables = [] } = proxy.profile
      const expected = (c: Capability): Support =>
        disables.includes(c)
          ? 'unsupported'
          : unknowable.includes(c)
            ? 'unknown'
            : DISTRIBUTION_UNSUPPORTED.includes(c) && !enables.includes(c)
              ? 'unsupported'
              : 'supported'
      assert.deepEqual(
        Object.fromEntries(CAPABILITIES.map((c) => [c, report.capabilities[c].support])),
        Object.fromEntries(CAPABILITIES.map((c) => [c, expected(c)])),
      )
    })

    test("the evidence carries the registry's own answer", () => {
      EXPECTED[name].evidence(report)
    })

    test('the verdict names the representation this registry calls for', () => {
      const { representation } = EXPECTED[name]
      assert.deepEqual(report.representation, representation)
      if (representation === undefined) assert.match(report.verdict, /^bundles cannot be published here: /)
      else
        assert.match(
          report.verdict,
          new RegExp(`^bundles publish here as: ${representation.index} \\+ ${representation.config} \\(portable`),
        )
      // GHCR deletes nothing; Harbor 1.10 took only the probe's Docker manifests, which the manifests it refused cannot free.
      assert.deepEqual(report.leftovers.length > 0, name === 'ghcr' || name === 'harbor-1.10', 'only these keep what the probe wrote')
    })

    test('a publish planned from the report makes no failed request', async () => {
      const s = new ProbeSession(client, proxy.host, undefined)
      Object.assign(s.results, report.capabilities)
      s.repository = proxy.profile.name.startsWith('ecr') ? REPOSITORY : `acme/rehearsal-${name}`
      const start = proxy.proxy.requests.length
      const outcome = await probeRoundTrip(s, report)
      const expected = EXPECTED[name].representation
      // Where nothing survived the probe's own round trip, the plan is blocked before any request.
      if (expected === undefined)
        assert.match((outcome as { reason: string }).reason, /^no representation survived a publish and read back/)
      else assert.deepEqual(outcome, { representation: expected })
      const failed = proxy.proxy.requests.slice(start).filter((r) => r.status >= 400)
      assert.deepEqual(
        failed.map((r) => `${r.method} ${r.path} ${r.status}`),
        [],
      )
    })
  })
}

describe('quirk profile ecr: a repository that was not created', () => {
  let proxy: QuirkProxy
  before(async () => {
    proxy = await startQuirkProxy(registry, 'ecr')
  })
  after(() => proxy?.stop())

  test('is a verdict, not an exception: create the repository first', async () => {
    const named = await probeRegistry(client, { registry: proxy.host, repository: 'acme/missing' })
    assert.equal(
      named.verdict,
      'bundles cannot be published here: the repository acme/missing does not exist and the registry does not create repositories on push: create the repository before publishing (on ECR: aws ecr create-repository)',
    )
    assert.equal(named.capabilities['repository-auto-create'].support, 'unsupported')
    assert.deepEqual(
      CAPABILITIES.filter((c) => named.capabilities[c].support !== 'unknown'),
      ['repository-auto-create'],
    )
    assert.equal(named.representation, undefined)
    const unnamed = await probeRegistry(client, { registry: proxy.host })
    assert.match(
      unnamed.verdict,
      /^bundles cannot be published here: the registry does not create repositories on push: create the repository before publishing .*, and name it to the check$/,
    )
    assert.deepEqual(
      proxy.proxy.requests.filter((r) => r.method !== 'GET' && r.method !== 'POST').map((r) => r.method),
      [],
      'nothing was written',
    )
  })
})
