/**
 * Fallback tiers: firstWorkingTier falls back only on errors classifyPushError calls
 * representation refusals, learns from what happens, and reports every attempt; planFromReport
 * picks the representation each registry behaviour calls for, up front.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { CapabilityCache, type Capability } from '../../src/compat/capabilities.js'
import { NoWorkingTierError } from '../../src/compat/classify.js'
import {
  CONFIG_TIERS,
  describeRepresentation,
  deterministicTag,
  firstWorkingTier,
  INDEX_TIERS,
  MANIFEST_REF_TIERS,
  planFromReport,
  SHAPE_TIERS,
  shapeTiers,
  withRun,
  type PublishPlan,
  type Tier,
  type TierAttempt,
} from '../../src/compat/strategies.js'
import { OcibundleError } from '../../src/errors.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { AuthenticationError, RegistryResponseError } from '../../src/registry/http/response-errors.js'
import { syntheticReport } from './helpers.js'

const HOST = 'registry.example'

function refusal(status: number, code?: string): RegistryResponseError {
  return new RegistryResponseError(
    'PUT',
    `https://${HOST}/v2/acme/app/manifests/v1`,
    status,
    code ? [{ code, message: code.toLowerCase() }] : [],
  )
}

/** A tier that fails with `error` (or returns its id), counting its runs. */
function fake(id: string, error?: unknown, needs: Capability[] = [], proves?: Capability): Tier<string, string> & { runs: number } {
  const tier = {
    id,
    needs,
    ...(proves && { proves }),
    addresses: 'test',
    runs: 0,
    async run(input: string) {
      tier.runs++
      if (error !== undefined) throw error
      return `${id}(${input})`
    },
  }
  return tier
}

describe('firstWorkingTier', () => {
  test('the first tier that works is used; later tiers never run', async () => {
    const [a, b] = [fake('a'), fake('b')]
    const out = await firstWorkingTier([a, b], 'x', { host: HOST, cache: new CapabilityCache() })
    assert.deepEqual(out, { value: 'a(x)', used: 'a', attempts: [{ id: 'a', outcome: 'used' }] })
    assert.equal(b.runs, 0)
  })

  test('falls back on representation refusals (400 MANIFEST_INVALID, 405, 415, 404 without NAME_UNKNOWN) and learns from them', async () => {
    const cache = new CapabilityCache()
    const tiers = [
      fake('oci', refusal(400, 'MANIFEST_INVALID'), ['oci-index'], 'oci-index'),
      fake('m405', refusal(405, 'UNSUPPORTED')),
      fake('m415', refusal(415)),
      fake('m404', refusal(404, 'MANIFEST_UNKNOWN')),
      fake('docker', undefined, ['docker-manifest-list'], 'docker-manifest-list'),
    ]
    const seen: TierAttempt[] = []
    const out = await firstWorkingTier(tiers, 'x', { host: HOST, cache, onAttempt: (a) => seen.push(a) })
    assert.equal(out.used, 'docker')
    assert.deepEqual(
      out.attempts.map((a) => `${a.id}:${a.outcome}:${a.classification?.fallback ?? '-'}`),
      ['oci:refused:true', 'm405:refused:true', 'm415:refused:true', 'm404:refused:true', 'docker:used:-'],
    )
    assert.deepEqual(seen, out.attempts)
    assert.equal(cache.get(HOST, 'oci-index'), 'unsupported')
    assert.equal(cache.observation(HOST, 'oci-index')?.evidence.status, 400)
    assert.deepEqual(cache.observation(HOST, 'oci-index')?.evidence.codes, ['MANIFEST_INVALID'])
    assert.equal(cache.get(HOST, 'docker-manifest-list'), 'supported')
  })

  test('never falls back on credentials, a missing repository, rate limits, server or network errors: the error itself is thrown', async () => {
    const errors = [
      new AuthenticationError('registry.example refused the credentials'),
      refusal(401),
      refusal(403, 'DENIED'),
      refusal(404, 'NAME_UNKNOWN'),
      refusal(429, 'TOOMANYREQUESTS'),
      refusal(500),
      refusal(400, 'MANIFEST_BLOB_UNKNOWN'),
      refusal(409),
      new OcibundleError('PUT https://registry.example/v2/x failed: socket hang up'),
    ]
    for (const error of errors) {
      const cache = new CapabilityCache()
      const next = fake('next')
      const seen: TierAttempt[] = []
      await assert.rejects(
        firstWorkingTier([fake('first', error, ['oci-index'], 'oci-index'), next], 'x', {
          host: HOST,
          cache,
          onAttempt: (a) => seen.push(a),
        }),
        (err) => err === error,
      )
      assert.equal(next.runs, 0, error.message)
      assert.equal(seen[0]?.outcome, 'failed')
      assert.equal(seen[0]?.classification?.fallback, false)
      assert.equal(cache.get(HOST, 'oci-index'), 'unknown', 'a failure that is not a refusal teaches nothing')
    }
  })

  test('skips tiers whose needs are known unsupported, without running them', async () => {
    const cache = new CapabilityCache()
    cache.seed(HOST, { 'custom-config-media-type': 'unsupported' })
    const cnab = fake('cnab-config', undefined, ['custom-config-media-type'])
    const out = await firstWorkingTier([cnab, fake('oci-image-config')], 'x', { host: HOST, cache })
    assert.equal(cnab.runs, 0)
    assert.equal(out.used, 'oci-image-config')
    assert.deepEqual(out.attempts[0], {
      id: 'cnab-config',
      outcome: 'skipped',
      reason: 'custom-config-media-type is not supported by registry.example',
    })
  })

  test('with fallbacks off, the first refusal is thrown', async () => {
    const error = refusal(400, 'MANIFEST_INVALID')
    const next = fake('next')
    const seen: TierAttempt[] = []
    await assert.rejects(
      firstWorkingTier([fake('first', error), next], 'x', {
        host: HOST,
        cache: new CapabilityCache(),
        allowFallback: false,
        onAttempt: (a) => seen.push(a),
      }),
      (err) => err === error,
    )
    assert.equal(next.runs, 0)
    assert.match(seen[0]?.reason ?? '', /fallbacks are off/)
  })

  test('every tier refused or skipped: NoWorkingTierError with the attempts and the last refusal', async () => {
    const cache = new CapabilityCache()
    cache.seed(HOST, { 'oci-index': 'unsupported' })
    const last = refusal(400)
    const err = await firstWorkingTier([fake('a', undefined, ['oci-index']), fake('b', last)], 'x', { host: HOST, cache }).catch(
      (e: unknown) => e,
    )
    assert.ok(err instanceof NoWorkingTierError)
    assert.equal(err.cause, last)
    assert.deepEqual(
      err.attempts.map((a) => a.outcome),
      ['skipped', 'refused'],
    )
    assert.match(err.message, /accepts none of a, b/)
  })

  test('an inner run whose tiers were all refused makes the outer tier fall back', async () => {
    const cache = new CapabilityCache()
    const inner = (id: string, input: string) =>
      firstWorkingTier([fake(`${id}/null-layers`, refusal(400)), fake(`${id}/portable`, refusal(400))], input, { host: HOST, cache }).then(
        (r) => r.value,
      )
    const outer = await firstWorkingTier(
      withRun(CONFIG_TIERS, (id, input: string) => (id === 'docker-config' ? Promise.resolve(`docker(${input})`) : inner(id, input))),
      'x',
      { host: HOST, cache },
    )
    assert.equal(outer.used, 'docker-config')
    assert.deepEqual(
      outer.attempts.map((a) => a.outcome),
      ['refused', 'refused', 'used'],
    )
    assert.equal(cache.get(HOST, 'custom-config-media-type'), 'unsupported')
  })

  test('withRun makes one runnable tier per spec, keeping the spec', async () => {
    const tiers = withRun(INDEX_TIERS, async (id, input: number) => `${id}:${input}`)
    assert.deepEqual(
      tiers.map((t) => t.id),
      ['oci-index', 'docker-manifest-list', 'no-index'],
    )
    assert.equal(await tiers[1]!.run(3), 'docker-manifest-list:3')
    assert.deepEqual(tiers[0]!.needs, ['oci-index'])
  })
})

describe('tier lists', () => {
  test('every tier says which registry behaviour it answers; fallbacks cite evidence', () => {
    for (const spec of [...INDEX_TIERS, ...CONFIG_TIERS, ...SHAPE_TIERS, ...MANIFEST_REF_TIERS])
      assert.ok(spec.addresses.length > 20, spec.id)
    for (const spec of [INDEX_TIERS[1]!, INDEX_TIERS[2]!, CONFIG_TIERS[1]!, CONFIG_TIERS[2]!, SHAPE_TIERS[1]!, MANIFEST_REF_TIERS[1]!]) {
      assert.match(spec.addresses, /\[[A-Z]+-\d|#\d+/, spec.id)
    }
  })

  test('shapeTiers: portable is always the last resort', () => {
    assert.deepEqual(
      shapeTiers().map((t) => t.id),
      ['portable'],
    )
    assert.deepEqual(
      shapeTiers('cnab-to-oci').map((t) => t.id),
      ['cnab-to-oci', 'portable'],
    )
  })

  test('deterministicTag: ocibundle-<algorithm>-<hex>, a valid tag, never the referrers tag schema', () => {
    const hex = 'a'.repeat(64)
    assert.equal(deterministicTag(`sha256:${hex}`), `ocibundle-sha256-${hex}`)
    const long = deterministicTag(`sha512:${'b'.repeat(128)}`)
    assert.equal(long, `ocibundle-sha512-${'b'.repeat(64)}`)
    for (const tag of [deterministicTag(`sha256:${hex}`), long]) {
      assert.match(tag, /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/)
      assert.doesNotMatch(tag, /^sha256-/)
    }
    assert.throws(() => deterministicTag('sha256:xyz'))
  })
})

/** The representation part of a plan (asserting it is not blocked). */
function chosen(plan: ReturnType<typeof planFromReport>): Pick<PublishPlan, 'index' | 'config' | 'shape' | 'manifestRefs'> {
  assert.ok(!('blocked' in plan), 'blocked' in plan ? plan.blocked : '')
  return { index: plan.index, config: plan.config, shape: plan.shape, manifestRefs: plan.manifestRefs }
}

describe('planFromReport', () => {
  const rep = (index: string, config: string, manifestRefs = 'digest', shape = 'portable') => ({ index, config, shape, manifestRefs })

  test('per registry behaviour (the quirk profiles), the tiers that work there', () => {
    const cases: Array<[string, Capability[], ReturnType<typeof rep>]> = [
      ['distribution 2.8', [], rep('oci-index', 'cnab-config')],
      ['dockerhub-2019', ['oci-index', 'custom-config-media-type'], rep('docker-manifest-list', 'oci-image-config')],
      ['ecr', ['repository-auto-create', 'chunk-range-header'], rep('oci-index', 'cnab-config')],
      ['ecr-2019', ['repository-auto-create', 'untagged-manifest-push'], rep('oci-index', 'cnab-config', 'deterministic-tag')],
      ['gcr', ['empty-layers', 'mixed-index-children'], rep('oci-index', 'cnab-config')],
      ['quay', ['custom-config-media-type'], rep('oci-index', 'oci-image-config')],
      ['nexus-2020', ['oci-index', 'docker-manifest-list'], rep('no-index', 'cnab-config')],
      ['ghcr', ['chunk-over-4mib', 'delete-manifest', 'delete-blob'], rep('oci-index', 'cnab-config')],
      ['github-packages-2020', ['fetch-by-digest'], rep('oci-index', 'cnab-config', 'deterministic-tag')],
    ]
    for (const [name, unsupported, expected] of cases)
      assert.deepEqual(chosen(planFromReport(syntheticReport({ unsupported }))), expected, name)
  })

  test('refused tiers are left out of the fallback order, unknown ones stay; reasons cite the evidence', () => {
    const plan = planFromReport(
      syntheticReport({ unsupported: ['oci-index', 'custom-config-media-type'], unknown: ['docker-image-manifest'] }),
    )
    assert.ok(!('blocked' in plan))
    assert.deepEqual(plan.order, {
      index: ['docker-manifest-list', 'no-index'],
      config: ['oci-image-config', 'docker-config'],
      shape: ['portable'],
      manifestRefs: ['digest', 'deterministic-tag'],
    })
    assert.deepEqual(plan.reasons, [
      'config variant cnab-config skipped: custom-config-media-type is unsupported (PUT /v2/x/manifests/custom-config-media-type → 400 MANIFEST_INVALID)',
      'index format oci-index skipped: oci-index is unsupported (PUT /v2/x/manifests/oci-index → 400 MANIFEST_INVALID)',
    ])
  })

  test('a registry that refuses mixed indexes gets a bundle in the family of its images (GCR-2)', () => {
    const gcr = syntheticReport({ unsupported: ['empty-layers', 'mixed-index-children'] })
    assert.deepEqual(chosen(planFromReport(gcr, { imageMediaTypes: [MediaTypes.OciManifest] })), rep('oci-index', 'cnab-config'))
    const docker = planFromReport(gcr, { imageMediaTypes: [MediaTypes.DockerManifest] })
    assert.deepEqual(chosen(docker), rep('docker-manifest-list', 'docker-config'))
    assert.ok(!('blocked' in docker) && docker.reasons.some((r) => /no index mixes OCI and Docker manifests/.test(r)))
    assert.deepEqual(
      chosen(planFromReport(gcr, { imageMediaTypes: [MediaTypes.OciManifest, MediaTypes.DockerManifestList] })),
      rep('no-index', 'cnab-config'),
    )
    // Where mixing is allowed the images do not matter.
    assert.deepEqual(
      chosen(planFromReport(syntheticReport(), { imageMediaTypes: [MediaTypes.DockerManifest] })),
      rep('oci-index', 'cnab-config'),
    )
  })

  test('the cnab-to-oci shape when asked for and empty layers are accepted; portable otherwise', () => {
    assert.equal(chosen(planFromReport(syntheticReport(), { shape: 'cnab-to-oci' })).shape, 'cnab-to-oci')
    const gcr = planFromReport(syntheticReport({ unsupported: ['empty-layers'] }), { shape: 'cnab-to-oci' })
    assert.equal(chosen(gcr).shape, 'portable')
    assert.ok(!('blocked' in gcr) && gcr.reasons.some((r) => r.startsWith('layer shape cnab-to-oci skipped: empty-layers is unsupported')))
  })

  test('blocked when no config variant is accepted, or the round trip failed', () => {
    const none = planFromReport(
      syntheticReport({ unsupported: ['custom-config-media-type', 'oci-image-manifest', 'docker-image-manifest'] }),
    )
    assert.ok('blocked' in none && /none of the config manifest variants/.test(none.blocked))
    const broken = planFromReport(syntheticReport({ unsupported: ['bundle-round-trip'] }))
    assert.ok('blocked' in broken && /no representation survived/.test(broken.blocked))
  })

  test('describeRepresentation is the verdict wording', () => {
    assert.equal(describeRepresentation(rep('oci-index', 'cnab-config') as PublishPlan), 'oci-index + cnab-config (portable)')
    assert.equal(
      describeRepresentation(rep('no-index', 'docker-config', 'deterministic-tag') as PublishPlan),
      'no-index + docker-config (portable; manifests also tagged ocibundle-<digest>)',
    )
  })
})
