/**
 * The ways to write a bundle into a registry, as ordered fallback tiers, one list per decision:
 * index format, config manifest variant, layer shape, and how pointed-at manifests are stored.
 * Each tier names the capabilities it needs and the registry behaviour that made it necessary
 * (ids from docs/evidence.md; for the CNAB reports, the getporter/porter issues cited and
 * https://github.com/getporter/porter/blob/main/docs/content/docs/references/compatible-registries.md).
 *
 * Two ways to use them:
 * - `firstWorkingTier` runs tiers in order and falls back only when classifyPushError says the
 *   refusal is about the representation (cnab-to-oci falls back on every error and hides the real
 *   cause: https://github.com/cnabio/cnab-to-oci/blob/v0.6.1/remotes/push.go);
 * - `planFromReport` picks the representation up front from a probe report, so a publish to a
 *   registry probed before makes no failed request at all.
 */
import { DEFAULT_SHAPE, type ConfigVariantId, type OciShape } from '../cnab/oci/to-oci.js'
import { digestAlgorithm, digestEncoded, parseDigest } from '../oci/digest.js'
import { baseMediaType, MediaTypes } from '../oci/media-types.js'
import {
  formatEvidence,
  type Capability,
  type CapabilityCache,
  type CapabilityReport,
  type IndexChoice,
  type ManifestRefChoice,
  type Representation,
} from './capabilities.js'
import { classifyPushError, evidenceOf, NoWorkingTierError, type TierAttempt } from './classify.js'

export type { TierAttempt } from './classify.js'

/** One way to do something, and why it exists. */
export interface TierSpec<Id extends string = string> {
  /** Stable id: it appears in `--json` output and in reports. */
  readonly id: Id
  /** Capabilities the tier relies on: it is skipped when any is known to be unsupported. */
  readonly needs: readonly Capability[]
  /** The capability a representation refusal of this tier disproves (recorded as unsupported). */
  readonly proves?: Capability
  /** The registry behaviour this tier answers, with evidence ids. */
  readonly addresses: string
}

/** Bundle index format, in the order to try. */
export const INDEX_TIERS: readonly TierSpec<IndexChoice>[] = [
  {
    id: 'oci-index',
    needs: ['oci-index'],
    proves: 'oci-index',
    addresses: 'the CNAB Registries draft (spec 201) and cnab-to-oci write an OCI image index first',
  },
  {
    id: 'docker-manifest-list',
    needs: ['docker-manifest-list'],
    proves: 'docker-manifest-list',
    addresses:
      'Docker Hub refused OCI indexes in 2019 with 400 MANIFEST_INVALID [HUB-1]; cnab-to-oci then pushes the same ' +
      'index as a Docker manifest list',
  },
  {
    id: 'no-index',
    needs: [],
    addresses:
      'Sonatype Nexus takes neither indexes nor manifest lists [NEXUS-5; getporter/porter#809]: ' +
      'the bundle tag names the config manifest and images are found by the contentDigest in bundle.json. cnab-to-oci' +
      ' and Porter cannot read this form',
  },
]

/** Config manifest variant (configManifestVariants), in cnab-to-oci's order. */
export const CONFIG_TIERS: readonly TierSpec<ConfigVariantId>[] = [
  {
    id: 'cnab-config',
    needs: ['custom-config-media-type'],
    proves: 'custom-config-media-type',
    addresses: "cnab-to-oci's first choice: config type application/vnd.cnab.config.v1+json",
  },
  {
    id: 'oci-image-config',
    needs: ['oci-image-manifest'],
    proves: 'oci-image-manifest',
    addresses:
      "registries that allow only known config types: Quay's ALLOWED_OCI_ARTIFACT_TYPES allow-list answers 400 " +
      'MANIFEST_INVALID listing the allowed types [QUAY-1]; Docker Hub took no custom config types in 2019 [HUB-2]',
  },
  {
    id: 'docker-config',
    needs: ['docker-image-manifest'],
    proves: 'docker-image-manifest',
    addresses:
      "cnab-to-oci's last resort for registries that take only Docker image types (its one layer is the config " +
      'blob); and GCR, whose indexes may not mix OCI and Docker children: with Docker-typed images the whole bundle ' +
      'must be Docker-typed [GCR-2, GCR-3]',
  },
]

/** Layer shape of the OCI config manifests (OciShape). */
export const SHAPE_TIERS: readonly TierSpec<OciShape>[] = [
  {
    id: 'cnab-to-oci',
    needs: ['empty-layers'],
    proves: 'empty-layers',
    addresses: 'byte-identical with cnab-to-oci ("layers": null), so the bundle digest equals Porter\'s; only when asked for',
  },
  {
    id: 'portable',
    needs: [],
    addresses:
      'GCR refused the config manifest with "layers": null [GCR-2]; the image spec says layers SHOULD have an entry, ' +
      'so the config blob is repeated as the one layer (image-spec v1.1.1 manifest.md)',
  },
]

/** How manifests that are only pointed at (config manifest, images) are pushed. */
export const MANIFEST_REF_TIERS: readonly TierSpec<ManifestRefChoice>[] = [
  {
    id: 'digest',
    needs: ['untagged-manifest-push', 'fetch-by-digest'],
    proves: 'untagged-manifest-push',
    addresses: "the spec's push by digest (PUT /manifests/<digest>), as cnab-to-oci does",
  },
  {
    id: 'deterministic-tag',
    needs: [],
    addresses:
      'ECR answered 405 to manifest PUTs by digest in 2019 (docker/app#563, carvel-dev/kbld#2; accepted since 2020, ' +
      'ECR-11), and GitHub Packages (docker.pkg.github.com) could not fetch manifests by digest (' +
      'porter#695): each manifest is pushed under deterministicTag(digest), which pull can derive from the digest. It' +
      ' also keeps garbage collectors of untagged content away (Harbor, DigitalOcean, GHCR-9)',
  },
]

/**
 * How an artifact (`artifact push`, `attach`) is written, in the order to try:
 * - `artifact-type`: image-spec v1.1, an `artifactType` field and the empty descriptor
 *   (`application/vnd.oci.empty.v1+json`, content `{}`) as config, or the config given;
 * - `config-media-type`: the ORAS 1.0 form, no `artifactType` field, the artifact type as the
 *   config's media type (content `{}`), or the config given;
 * - `image-config`: the ORAS 0.x form for registries that take only image config types, an
 *   OCI image config type over `{}`, the artifact type in the `org.opencontainers.artifactType`
 *   annotation (never with a config given: its type would be lost).
 */
export type ArtifactForm = 'artifact-type' | 'config-media-type' | 'image-config'

/** The forms of an artifact manifest (ArtifactForm), in the order to try. */
export const ARTIFACT_TIERS: readonly TierSpec<ArtifactForm>[] = [
  {
    id: 'artifact-type',
    needs: ['artifact-type-field'],
    addresses: 'image-spec v1.1: artifactType and the empty config descriptor, as oras 1.1 and later write artifacts',
  },
  {
    id: 'config-media-type',
    needs: ['custom-config-media-type'],
    proves: 'custom-config-media-type',
    addresses:
      'registries that refuse the artifactType field or the empty config type: the artifact type as the config media type ' +
      'over a `{}` config, as oras 1.0 wrote artifacts; not a zero-byte config, which GAR and Harbor refused [GAR-1, HAR-2]',
  },
  {
    id: 'image-config',
    needs: ['oci-image-manifest'],
    proves: 'oci-image-manifest',
    addresses:
      'registries that take only image config types: Docker Hub in 2019 accepted a `{}` config but no custom config type ' +
      "[HUB-2], Quay's allow-list [QUAY-1]; the artifact type goes into the org.opencontainers.artifactType annotation",
  },
]

/** The shape tiers for a publish that prefers `preferred`: the portable shape is always the last resort. */
export function shapeTiers(preferred: OciShape = DEFAULT_SHAPE): TierSpec<OciShape>[] {
  return SHAPE_TIERS.filter((t) => t.id === preferred || t.id === 'portable')
}

/**
 * The tag a manifest is pushed under when the registry needs one (MANIFEST_REF_TIERS
 * `deterministic-tag`): `ocibundle-<algorithm>-<hex>`, the hex cut to 64 characters so a sha512
 * tag stays within the 128 characters a tag may have. Not `sha256-<hex>`: that is the referrers
 * tag schema, and referrers-aware clients would read our manifest as a referrers index.
 * Throws InvalidDigestError for a malformed digest.
 */
export function deterministicTag(digest: string): string {
  const d = parseDigest(digest)
  return `ocibundle-${digestAlgorithm(d)}-${digestEncoded(d).slice(0, 64)}`
}

/** A tier that can run: the spec plus the operation. */
export interface Tier<In, Out> extends TierSpec {
  /** Performs the tier on `input`; a rejection is classified by firstWorkingTier. */
  run(input: In, signal?: AbortSignal): Promise<Out>
}

/** Makes runnable tiers from specs and one function that performs any of them by id. */
export function withRun<Id extends string, In, Out>(
  specs: readonly TierSpec<Id>[],
  run: (id: Id, input: In, signal?: AbortSignal) => Promise<Out>,
): Tier<In, Out>[] {
  return specs.map((spec) => ({ ...spec, run: (input: In, signal?: AbortSignal) => run(spec.id, input, signal) }))
}

/** Where firstWorkingTier runs: the host, what is known about it, and how to report. */
export interface TierContext {
  /** The registry host: the key of what `cache` knows. */
  host: string
  /** What is known of the host's capabilities: read to skip tiers, and updated with what each attempt shows. */
  cache: CapabilityCache
  /** False: the first refusal is thrown (`--no-fallback`). Default true. */
  allowFallback?: boolean
  /** Passed to each tier's `run`. */
  signal?: AbortSignal
  /** Sees every attempt as it ends, e.g. to warn when a fallback happens. */
  onAttempt?: (attempt: TierAttempt) => void
}

/** What firstWorkingTier returns: the working tier's result, and every attempt made on the way. */
export interface TierOutcome<Out> {
  /** What the working tier's `run` resolved with. */
  value: Out
  /** Id of the tier that worked. */
  used: string
  /** Every tier tried or skipped, in order, the working one last. */
  attempts: TierAttempt[]
}

/**
 * Runs `tiers` in order until one works. A tier is skipped when the cache knows one of its needs
 * is unsupported. A failure falls through to the next tier only when classifyPushError calls it
 * a representation refusal (and fallbacks are allowed); anything else (credentials, a missing
 * repository, rate limits, server errors) is thrown as it is, because no other representation
 * fixes it. A refusal records the tier's `proves` capability as unsupported, and success records
 * its needs as supported, so later operations skip what is known not to work.
 * Throws the first non-fallback error, or NoWorkingTierError when every tier was refused or skipped.
 */
export async function firstWorkingTier<In, Out>(tiers: readonly Tier<In, Out>[], input: In, ctx: TierContext): Promise<TierOutcome<Out>> {
  const attempts: TierAttempt[] = []
  const note = (attempt: TierAttempt): void => {
    attempts.push(attempt)
    ctx.onAttempt?.(attempt)
  }
  let lastError: unknown
  for (const tier of tiers) {
    const known = tier.needs.find((c) => ctx.cache.get(ctx.host, c) === 'unsupported')
    if (known !== undefined) {
      note({ id: tier.id, outcome: 'skipped', reason: `${known} is not supported by ${ctx.host}` })
      continue
    }
    try {
      const value = await tier.run(input, ctx.signal)
      for (const c of tier.needs) ctx.cache.record(ctx.host, c, 'supported', { note: `tier ${tier.id} worked` })
      note({ id: tier.id, outcome: 'used' })
      return { value, used: tier.id, attempts }
    } catch (err) {
      const classification = classifyPushError(err)
      if (!classification.fallback || ctx.allowFallback === false) {
        const reason = classification.fallback
          ? `${classification.reason} (fallbacks are off)`
          : `${classification.reason}: ${classification.detail}`
        note({ id: tier.id, outcome: 'failed', reason, classification })
        throw err
      }
      if (tier.proves !== undefined) ctx.cache.record(ctx.host, tier.proves, 'unsupported', evidenceOf(err))
      note({ id: tier.id, outcome: 'refused', reason: classification.reason, classification })
      lastError = err
    }
  }
  throw new NoWorkingTierError(attempts, lastError)
}

/** A representation to publish with, and the tiers to fall back on should the registry have changed. */
export interface PublishPlan extends Representation {
  /** Tiers of each decision in the order to try: the choice first; tiers known not to work are left out. */
  order: { index: IndexChoice[]; config: ConfigVariantId[]; shape: OciShape[]; manifestRefs: ManifestRefChoice[] }
  /** Why each choice is not the first tier, for people (empty when nothing had to give way). */
  reasons: string[]
}

/** No representation can work on this registry. */
export interface BlockedPlan {
  /** Why, with the report's evidence. */
  blocked: string
}

/** Options of planFromReport. */
export interface PlanOptions {
  /** The layer shape asked for; default DEFAULT_SHAPE. */
  shape?: OciShape
  /**
   * Media types of the bundle's image manifests. When the registry refuses indexes that mix OCI
   * and Docker children (GCR), index and config variant are chosen in the images' family.
   */
  imageMediaTypes?: readonly string[]
}

type Family = 'oci' | 'docker'
const CONFIG_FAMILY: Record<ConfigVariantId, Family> = { 'cnab-config': 'oci', 'oci-image-config': 'oci', 'docker-config': 'docker' }
const INDEX_FAMILY: Record<IndexChoice, Family | undefined> = {
  'oci-index': 'oci',
  'docker-manifest-list': 'docker',
  'no-index': undefined,
}

function familyOf(mediaType: string): Family | undefined {
  const m = baseMediaType(mediaType)
  if (m === MediaTypes.OciManifest || m === MediaTypes.OciIndex) return 'oci'
  if (m === MediaTypes.DockerManifest || m === MediaTypes.DockerManifestList) return 'docker'
  return undefined
}

/**
 * The representation to publish with on the registry `report` describes. Each decision takes
 * its first tier that needs nothing the report calls unsupported; tiers the report leaves unknown
 * stay in the order, so an incomplete report still falls back at publish time. Blocked when the
 * P9 round trip failed, or when the registry refused every config variant.
 */
export function planFromReport(report: CapabilityReport, options: PlanOptions = {}): PublishPlan | BlockedPlan {
  const caps = report.capabilities
  const roundTrip = caps['bundle-round-trip']
  if (roundTrip.support === 'unsupported')
    return { blocked: `no representation survived a publish and read back (${formatEvidence(roundTrip.evidence)})` }
  const reasons: string[] = []
  const usable = <Id extends string>(specs: readonly TierSpec<Id>[], what: string): Id[] => {
    const ids: Id[] = []
    for (const spec of specs) {
      const missing = spec.needs.find((c) => caps[c].support === 'unsupported')
      if (missing === undefined) ids.push(spec.id)
      else if (ids.length === 0)
        reasons.push(`${what} ${spec.id} skipped: ${missing} is unsupported (${formatEvidence(caps[missing].evidence)})`)
    }
    return ids
  }
  const configs = usable(CONFIG_TIERS, 'config variant')
  if (configs.length === 0) return { blocked: `the registry accepts none of the config manifest variants (${reasons.join('; ')})` }
  const indexes = usable(INDEX_TIERS, 'index format')
  const shapes = usable(shapeTiers(options.shape), 'layer shape')
  const manifestRefs = usable(MANIFEST_REF_TIERS, 'manifest references')
  let index = indexes[0]!
  let config = configs[0]!
  if (caps['mixed-index-children'].support === 'unsupported') {
    const images = (options.imageMediaTypes ?? []).map(familyOf)
    const fits = (i: IndexChoice, c: ConfigVariantId): boolean =>
      INDEX_FAMILY[i] === undefined || (CONFIG_FAMILY[c] === INDEX_FAMILY[i] && images.every((f) => f === INDEX_FAMILY[i]))
    // `no-index` needs nothing and fits any family, so a pair is always found.
    const pair = indexes.flatMap((i) => configs.map((c) => [i, c] as const)).find(([i, c]) => fits(i, c))!
    if (pair[0] !== index || pair[1] !== config) {
      const evidence = formatEvidence(caps['mixed-index-children'].evidence)
      reasons.push(`${pair[0]} + ${pair[1]} chosen so that no index mixes OCI and Docker manifests (mixed-index-children: ${evidence})`)
    }
    ;[index, config] = pair
  }
  const first = <T>(choice: T, all: T[]): T[] => [choice, ...all.filter((x) => x !== choice)]
  return {
    index,
    config,
    shape: shapes[0]!,
    manifestRefs: manifestRefs[0]!,
    order: { index: first(index, indexes), config: first(config, configs), shape: shapes, manifestRefs },
    reasons,
  }
}

/** `oci-index + cnab-config (portable)`: a representation in the words of the verdict. */
export function describeRepresentation(r: Representation): string {
  return `${r.index} + ${r.config} (${r.shape}${r.manifestRefs === 'deterministic-tag' ? '; manifests also tagged ocibundle-<digest>' : ''})`
}
