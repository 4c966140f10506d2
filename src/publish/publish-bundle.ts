/**
 * Publishing a fixed-up bundle, as cnab-to-oci's `remotes.Push` does
 * (https://github.com/cnabio/cnab-to-oci/blob/v0.6.1/remotes/push.go) and the CNAB registries
 * spec lays it out (https://github.com/cnabio/cnab-spec/blob/main/201-representing-CNAB-in-OCI.md):
 * the config blob (the canonical bundle.json), a config manifest pointing at it, and the top
 * level under a tag: the bundle index, or on a registry without indexes the config manifest
 * itself (docs/bundle-format.md).
 *
 * The representation is chosen by a PublishSession: up front from a plan (a saved `registry
 * check` report of the host), forced by the caller, or by trying the tiers of
 * src/compat/strategies.ts in order. A refusal moves to the next tier only when it is about the
 * representation (src/compat/classify.ts decides): a wrong password or a missing repository is
 * reported as it is, instead of burning through every fallback as cnab-to-oci does.
 *
 * Deterministic: the same bundle gives the same bytes and digests on every run and machine;
 * nothing time-dependent is written.
 */
import type { CapabilityReport, IndexChoice, ManifestRefChoice } from '../compat/capabilities.js'
import { NoWorkingTierError } from '../compat/classify.js'
import type { PublishPlan } from '../compat/strategies.js'
import type { OpOptions, Target } from '../content/storage.js'
import { NotFoundError } from '../errors.js'
import type { Descriptor } from '../oci/descriptor.js'
import { digestOf } from '../oci/digest.js'
import type { Issue } from '../cnab/issue.js'
import {
  bundleIndex,
  configBlob,
  configManifestVariants,
  type ConfigVariantId,
  type IndexFormat,
  type OciShape,
} from '../cnab/oci/index.js'
import { validateBundle } from '../cnab/validate.js'
import { declaredDescriptors, updateImageDescriptors } from './image-fields.js'
import { BundleWriter, type WrittenBundle } from './bundle-writer.js'
import { ConversionError, convertGraph, familyOf } from './convert-family.js'
import { actionableError, BundleValidationError, PublishError, TagExistsError, type PublishAttempt } from './publish-errors.js'
import type { FixupChange } from './fixup.js'
import type { ManifestRefTarget } from './manifest-refs.js'
import { relocationMapFor, repositoryOf, type RepositoryName } from './repository-name.js'
import { PublishSession, type ForcedChoices, type PlanSource } from './publish-session.js'
import { bundleTagOf, checkTag, guardTag } from './bundle-tags.js'

/** Where publishBundle writes the bundle. */
export interface PublishDestination {
  /** The destination storage, a registry repository or a layout; the bundle's images must be in it. */
  target: Target
  /** The tag; undefined → defaultBundleTag of the bundle's version. Digests are refused: bundles are always tagged. */
  reference?: string
  /** The registry repository of `target`, for the relocation map. Undefined → taken from a RegistryRepository target. */
  repository?: RepositoryName
}

/** Options of publishBundle. */
export interface PublishOptions {
  /**
   * The session that fixed the bundle up into the destination (shared decisions, cache and
   * attempts). When given, the options that make a session (shape, allowFallback, the forced
   * choices, report, plan) are its own and these are ignored.
   */
  session?: PublishSession
  /** Preferred layer shape; `portable` (the default) stays the fallback. See docs/bundle-format.md. */
  shape?: OciShape
  /** Move the tag even when it names other content. */
  force?: boolean
  /** Try the next representation when the registry refuses one (classified). Default true. */
  allowFallback?: boolean
  /** Push only this index format (or none: `no-index`). */
  indexFormat?: IndexChoice
  /** Push only this config manifest variant. */
  configVariant?: ConfigVariantId
  /** Push pointed-at manifests only this way. */
  manifestRefs?: ManifestRefChoice
  /** A saved `registry check` report of the destination's registry: the representation is planned from it. */
  report?: CapabilityReport
  /** A plan to follow (instead of one from `report`). */
  plan?: PublishPlan
  /** Cancels the publish; the call rejects with the signal's reason. */
  signal?: AbortSignal
  /**
   * `bundle` is the bytes of a bundle.json that is already published: they are stored exactly as
   * given, canonical or not, so the config blob keeps its digest (a re-fit for another registry).
   * Default false: bytes that are not canonical are canonicalised.
   */
  keepBytes?: boolean
  /**
   * The manifest of every image reference as it is in the destination (fixupBundle's `images`).
   * Undefined → as bundle.json states them (contentDigest, size, mediaType). A bundle kept as it
   * is (`keepBytes`) need not state them: the rules about those fields do not stop it.
   */
  images?: ReadonlyMap<string, Descriptor>
}

/** The validation rules about the descriptor fields bundle.json states for its images. */
const DESCRIPTOR_RULES: ReadonlySet<string> = new Set(['image-content-digest', 'image-descriptor-fields'])

/** What publishBundle did. */
export interface PublishResult {
  /** The digest of what the tag names (the bundle index, or the config manifest without index): "the bundle digest". */
  digest: string
  /** What the tag names. */
  index: Descriptor
  /** The config manifest. */
  config: Descriptor
  /** The config blob: bundle.json in canonical form. */
  configBlob: Descriptor
  /** What the destination accepted. */
  representation: { index: IndexChoice; config: ConfigVariantId; shape: OciShape }
  /** How the manifests the bundle points at were pushed: by digest, or also under `ocibundle-<alg>-<hex>` tags. */
  manifestRefs: ManifestRefChoice
  /** Where the representation came from: a saved report (`report`), a given plan, or the tiers in order (`tiers`); with the reasons, and the choices the caller forced (`forced`, absent when none). */
  plan: { source: PlanSource; reasons: string[]; probedAt?: string; forced?: ForcedChoices }
  /** Every try of a representation, refused, skipped or accepted, in order (fixup's included when the session was shared); empty when nothing had to be pushed. */
  attempts: PublishAttempt[]
  /** The tag the bundle was published under. */
  tag: string
  /** The tag already named this very bundle; nothing was pushed. */
  unchanged: boolean
  /** Relocation map for the destination repository; undefined for a layout. */
  relocationMap?: Record<string, string>
  /** Images converted to another manifest family while publishing, as changes to bundle.json. */
  changes: FixupChange[]
  /** Validation warnings (validateBundle in publish mode); errors would have stopped the publish. */
  warnings: Issue[]
}

/**
 * Publishes `bundle` (a parsed bundle.json, or its bytes: canonical bytes are stored exactly as
 * given, others canonicalised) to `destination`. Every image the bundle pins must already be in
 * the destination (fixupBundle puts it there).
 *
 * Steps: canonicalise and validate in publish mode; check the tag (an existing tag naming this
 * bundle in any representation → nothing to do; naming other content → TagExistsError unless
 * `force`); check the images are present; then the config blob, config manifest and top level,
 * each through the session's tiers (see PublishSession): a refusal that is about the representation
 * moves to the next one, anything else is reported as it is.
 *
 * Throws BundleValidationError, InputError (bundle.json contradicting itself, no usable tag),
 * InvalidReferenceError (a malformed tag), TagExistsError, NotFoundError (an image missing from
 * the destination), RepositoryMissingError, ImmutableTagError, PublishError (a refused
 * representation, with every attempt), ConversionError (images that cannot be converted to the
 * family a registry needs).
 */
export async function publishBundle(
  bundle: unknown,
  destination: PublishDestination,
  options: PublishOptions = {},
): Promise<PublishResult> {
  const o: OpOptions = { signal: options.signal }
  const repository = destination.repository ?? repositoryOf(destination.target)
  const session = options.session ?? sessionFor(repository, options)
  const target = session.wrap(destination.target)
  const blob = options.keepBytes === true && bundle instanceof Uint8Array ? Buffer.from(bundle) : configBlob(bundle)
  // The bytes stored are what is validated and indexed.
  const value: unknown = bundle instanceof Uint8Array ? JSON.parse(blob.toString('utf8')) : bundle
  const issues = validateBundle(value, { mode: 'publish' }).issues.filter(
    (i) => !(options.keepBytes === true && DESCRIPTOR_RULES.has(i.rule)),
  )
  if (issues.some((i) => i.severity === 'error')) throw new BundleValidationError(issues)
  const warnings = issues.filter((i) => i.severity === 'warning')
  const tag = destination.reference !== undefined ? checkTag(destination.reference) : bundleTagOf(value)
  const images = options.images !== undefined ? new Map(options.images) : declaredDescriptors(value)
  session.planForImages([...images.values()].map((d) => d.mediaType))
  const result = (written: Omit<WrittenBundle, 'blob'>, unchanged: boolean): PublishResult => ({
    digest: written.top.digest,
    index: written.top,
    config: written.variant.descriptor,
    configBlob: written.variant.config,
    representation: { index: written.index, config: written.variant.id, shape: written.shape },
    manifestRefs: target.manifestRefs ?? session.order('manifestRefs')[0]!,
    plan: {
      source: session.source,
      reasons: session.reasons,
      ...(session.report && { probedAt: session.report.probedAt }),
      ...(Object.keys(session.forcedChoices).length > 0 && { forced: session.forcedChoices }),
    },
    attempts: session.attempts,
    tag,
    unchanged,
    ...(repository !== undefined && { relocationMap: relocationMapFor(written.images, repository) }),
    changes: written.changes,
    warnings,
  })

  try {
    const known = representationsOf(value, blob, images, session.order('shape'))
    // Any representation of this bundle counts as "the same": it was published before, maybe after a fallback.
    let current: Omit<WrittenBundle, 'blob'> | undefined
    try {
      const found = await guardTag(target, tag, [...known.keys()], { ...o, force: options.force, wanted: known.keys().next().value! })
      current = found && known.get(found.digest)
    } catch (err) {
      if (!(err instanceof TagExistsError)) throw err
      current = (await convertedRepresentations(target, value, images, session.order('shape'), o)).get(err.existing)
      if (current === undefined) throw err
    }
    if (current !== undefined) return result(current, true)
    await requireImages(target, images, o)
    try {
      return result(await new BundleWriter(session, target, tag, o, { bundle: value, blob }).write(value, images), false)
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason
      throw publishError(err, session.attempts)
    }
  } catch (err) {
    throw actionableError(err, { repository, tag })
  }
}

/** The session of a publish that was not given one: from the options, keyed by the destination's registry. */
function sessionFor(repository: RepositoryName | undefined, options: PublishOptions): PublishSession {
  return new PublishSession({
    ...(repository !== undefined && { host: repository.registry }),
    ...(options.report !== undefined && { report: options.report }),
    ...(options.plan !== undefined && { plan: options.plan }),
    ...(options.shape !== undefined && { shape: options.shape }),
    ...(options.allowFallback !== undefined && { allowFallback: options.allowFallback }),
    ...(options.signal !== undefined && { signal: options.signal }),
    force: {
      ...(options.indexFormat !== undefined && { index: options.indexFormat }),
      ...(options.configVariant !== undefined && { config: options.configVariant }),
      ...(options.manifestRefs !== undefined && { manifestRefs: options.manifestRefs }),
    },
  })
}

/**
 * Every way this bundle, unconverted, can have been published, by the digest the tag would
 * name: each config variant in each shape, under each index format and without index, over the
 * config blob `blob` (bundle.json as stored). The first is the session's first choice.
 */
function representationsOf(
  value: unknown,
  blob: Buffer,
  images: Map<string, Descriptor>,
  shapes: readonly OciShape[],
): Map<string, Omit<WrittenBundle, 'blob'>> {
  const known = new Map<string, Omit<WrittenBundle, 'blob'>>()
  const formats: IndexFormat[] = ['oci-index', 'docker-manifest-list']
  for (const shape of new Set<OciShape>([...shapes, 'portable', 'cnab-to-oci'])) {
    for (const variant of configManifestVariants({ digest: digestOf(blob), size: blob.length }, { shape })) {
      for (const format of formats) {
        const top = bundleIndex(value, { config: variant.descriptor, images, format, shape }).descriptor
        if (!known.has(top.digest)) known.set(top.digest, { bundle: value, images, variant, shape, index: format, top, changes: [] })
      }
      if (!known.has(variant.descriptor.digest))
        known.set(variant.descriptor.digest, {
          bundle: value,
          images,
          variant,
          shape,
          index: 'no-index',
          top: variant.descriptor,
          changes: [],
        })
    }
  }
  return known
}

/**
 * The representations of this bundle with its images converted to one family, as a publish to
 * a registry refusing mixed indexes made them (bundle-writer.ts), by the digest the tag would
 * name. Computed from the images in the destination, nothing pushed; asked only when the tag
 * names none of the unconverted ones, so that publishing such a bundle again changes nothing.
 */
async function convertedRepresentations(
  target: ManifestRefTarget,
  value: unknown,
  images: Map<string, Descriptor>,
  shapes: readonly OciShape[],
  o: OpOptions,
): Promise<Map<string, Omit<WrittenBundle, 'blob'>>> {
  const known = new Map<string, Omit<WrittenBundle, 'blob'>>()
  for (const family of ['oci', 'docker'] as const) {
    if ([...images.values()].every((d) => familyOf(d.mediaType) === family)) continue
    const converted = new Map<string, Descriptor>()
    for (const [ref, desc] of images)
      converted.set(ref, (await convertGraph(target, desc, family, o).catch(keptIfUnconvertible))?.root ?? desc)
    const updated = updateImageDescriptors(
      value,
      converted,
      `converted to ${family === 'oci' ? 'OCI' : 'Docker schema 2'} when it was published`,
    )
    for (const [digest, r] of representationsOf(updated.bundle, configBlob(updated.bundle), converted, shapes))
      if (r.index !== 'no-index') known.set(digest, { ...r, changes: updated.changes })
  }
  return known
}

/** An image that cannot be converted cannot have been published converted: kept as it is, it matches nothing. */
function keptIfUnconvertible(err: unknown): undefined {
  if (err instanceof ConversionError) return undefined
  throw err
}

/**
 * Checks that the destination has the manifest of every image. A registry would refuse an index
 * naming absent manifests with a 400 that reads like an unsupported format (and would set off
 * the fallbacks); a layout would accept it and hold a broken bundle.
 */
async function requireImages(target: ManifestRefTarget, images: ReadonlyMap<string, Descriptor>, o: OpOptions): Promise<void> {
  const present = await Promise.all([...images.values()].map((d) => target.exists(d, o)))
  const missing = [...images].filter((_, i) => !present[i]).map(([ref, d]) => `"${ref}" (${d.digest})`)
  if (missing.length > 0) {
    throw new NotFoundError(
      `the destination lacks ${missing.length === 1 ? 'the image' : 'the images'} ${missing.join(', ')} that the bundle pins`,
      {
        suggestions: ['fix up the bundle into this destination first, so its images are copied there'],
      },
    )
  }
}

/** A failure of the tiers as a PublishError naming the step that failed last, with every attempt. */
function publishError(err: unknown, attempts: readonly PublishAttempt[]): unknown {
  const last = attempts.findLast((a) => a.error !== undefined)
  if (last === undefined) return err
  return new PublishError(last.step, attempts, err, err instanceof NoWorkingTierError)
}
