/**
 * Re-fitting a published bundle (an OCI layout written by `build`, or another registry)
 * for a registry that refuses the representation it was published in: Quay's config type
 * allow-list [QUAY-1], Docker Hub in 2019 [HUB-1, HUB-2], Nexus without indexes [NEXUS-5],
 * Artifactory's refusal of bundle indexes with components [ART-6].
 *
 * The bundle is rebuilt from its own bytes, changing only what the registry needs:
 *  - bundle.json is stored exactly as it was published (the config blob keeps its digest; it is
 *    never canonicalised again), unless an image had to be converted for the registry, whose
 *    fields bundle.json states change (`changes` says which, and why);
 *  - every image is copied from the source as it is, through the session's image-index tiers
 *    (converted only where the registry refuses its index format) and manifest references;
 *  - the config manifest variant, its layer shape and the index format are chosen again by the
 *    session's tiers, from the saved `registry check` report or by falling back.
 * The result says what the bundle was and what it is now (`refit`: digests, representations,
 * reasons). The referrers of unchanged images come along; those of the bundle index name its old
 * digest and do not apply to the new one (`refit.staleReferrers`), as those of converted images
 * do not (staleReferrers of the publish).
 */
import { formatEvidence, type Capability, type IndexChoice } from '../compat/capabilities.js'
import { canListReferrers, type ReadOnlyTarget, type Target } from '../content/storage.js'
import { copyGraph, type CopyProgress } from '../copy/index.js'
import { CNAB_CONFIG_MEDIA_TYPE, CNAB_SPEC_CONFIG_MEDIA_TYPE } from '../cnab/oci/constants.js'
import type { ConfigVariantId, OciShape } from '../cnab/oci/to-oci.js'
import type { Descriptor } from '../oci/descriptor.js'
import { baseMediaType, isIndex, MediaTypes } from '../oci/media-types.js'
import { classifyPushError } from '../compat/classify.js'
import { CopyError } from '../copy/copy-error.js'
import { isManifest } from '../oci/media-types.js'
import { familyOf } from './convert-family.js'
import { fixupBundle, type FixupChange } from './fixup.js'
import type { BundleRepresentation } from './refit-errors.js'
import type { ImageSource } from './image-source.js'
import { derivedTagReader } from './manifest-refs.js'
import { publishBundle, type PublishResult } from './publish-bundle.js'
import type { PublishSession } from './publish-session.js'
import type { PullResult } from './pull-bundle.js'
import { repositoryOf, type RepositoryName } from './repository-name.js'

/** What a re-fit changed, and why. */
export interface Refit {
  /** The bundle as it was published at the source. */
  from: { digest: string; representation: BundleRepresentation }
  /** The bundle as it is now in the destination. */
  to: { digest: string; representation: PublishResult['representation'] }
  /** Why it was re-fitted: a choice forced, a capability the saved report found refused, or the registry's refusal. */
  reasons: string[]
  /** The referrers (signatures, SBOMs) of the bundle index at the source: they name its old digest and were not copied. */
  staleReferrers: Descriptor[]
}

/** The representation of a pulled bundle (pullBundle's result). */
export function representationOf(pulled: PullResult): BundleRepresentation {
  const config = baseMediaType(pulled.representation.config)
  const variant: ConfigVariantId | string =
    config === CNAB_CONFIG_MEDIA_TYPE
      ? 'cnab-config'
      : config === MediaTypes.OciConfig
        ? 'oci-image-config'
        : config === MediaTypes.DockerConfig && baseMediaType(pulled.representation.configManifest) === MediaTypes.DockerManifest
          ? 'docker-config'
          : config
  // The Docker variant has the same bytes in both shapes (to-oci.ts): it is portable.
  return { index: pulled.representation.index, config: variant, shape: variant === 'docker-config' ? 'portable' : pulled.configShape }
}

/** The forced choices of a publish that may differ from the source's representation. */
export interface RefitChoices {
  /** `--index-format`. */
  indexFormat?: IndexChoice
  /** `--config-variant`. */
  configVariant?: ConfigVariantId
  /** `--shape`, when given. */
  shape?: OciShape
}

/** Why a bundle must be re-fitted before anything is copied. */
export interface RefitReasons {
  /** Choices the caller forced that the bundle does not have. */
  forced: string[]
  /** What the session knows the registry refuses (a saved `registry check` report), that the bundle needs. */
  planned: string[]
}

/**
 * Why `pulled` (published as `representation`) cannot be copied as it is to the session's
 * registry: a forced choice it does not have, or a capability it needs that the session knows
 * is unsupported there (from a saved report). Both empty: copy it as it is.
 */
export function refitReasons(
  pulled: PullResult,
  representation: BundleRepresentation,
  session: PublishSession,
  choices: RefitChoices,
): RefitReasons {
  const forced: string[] = []
  if (choices.indexFormat !== undefined && choices.indexFormat !== representation.index)
    forced.push(`--index-format ${choices.indexFormat} was asked for; the bundle is published as ${representation.index}`)
  if (choices.configVariant !== undefined && choices.configVariant !== representation.config)
    forced.push(`--config-variant ${choices.configVariant} was asked for; the bundle is published as ${representation.config}`)
  if (choices.shape !== undefined && choices.shape !== representation.shape && representation.config !== 'docker-config')
    forced.push(`--shape ${choices.shape} was asked for; the bundle's config manifest is ${representation.shape}`)
  const planned: string[] = []
  for (const [capability, what] of needs(pulled, representation)) {
    if (session.supports(capability) !== 'unsupported') continue
    const evidence = session.report?.capabilities[capability].evidence
    planned.push(
      `${what} needs ${capability}, which the saved \`registry check\` report found unsupported${evidence ? ` (${formatEvidence(evidence)})` : ''}`,
    )
  }
  return { forced, planned }
}

/** What each part of a published bundle needs of a registry, as capabilities (src/compat/strategies.ts), with what needs it. */
function needs(pulled: PullResult, r: BundleRepresentation): Array<[Capability, string]> {
  const out: Array<[Capability, string]> = []
  if (r.index !== 'no-index') out.push([r.index, `the bundle index (${r.index})`])
  const config: Capability =
    r.config === 'oci-image-config'
      ? 'oci-image-manifest'
      : r.config === 'docker-config'
        ? 'docker-image-manifest'
        : 'custom-config-media-type'
  out.push([config, `the config manifest (${r.config})`])
  if (r.shape === 'cnab-to-oci') out.push(['empty-layers', 'the config manifest ("layers": null)'])
  const indexFamily = r.index === 'oci-index' ? 'oci' : r.index === 'docker-manifest-list' ? 'docker' : undefined
  for (const [image, entry] of pulled.entries) {
    const family = familyOf(entry.mediaType)
    if (indexFamily !== undefined && family !== undefined && family !== indexFamily)
      out.push(['mixed-index-children', `the bundle index listing image "${image}" of the other family`])
    if (isIndex(entry.mediaType))
      out.push([family === 'docker' ? 'docker-manifest-list' : 'oci-index', `the multi-platform image "${image}"`])
  }
  return out
}

/** Whether the config media type is a CNAB one (current or the spec's): kept for readers. */
export function isCnabConfigType(mediaType: string): boolean {
  const m = baseMediaType(mediaType)
  return m === CNAB_CONFIG_MEDIA_TYPE || m === CNAB_SPEC_CONFIG_MEDIA_TYPE
}

/** The bundle to re-fit: where it is and what pullBundle read of it. */
export interface RefitSource {
  /** The store the bundle is read from (a layout, a registry repository, an archive's layout). */
  target: ReadOnlyTarget
  /** pullBundle's result for the bundle in `target`. */
  pulled: PullResult
  /** The registry repository of `target`, for mounts. Undefined → from a RegistryRepository target. */
  repository?: RepositoryName
  /** Where the bundle is, for messages (`ocidir://out:v1`, `registry.example/acme/shop:v1`). */
  origin: string
}

/** Options of refitBundle. */
export interface RefitOptions {
  /** The publish the re-fit is: its decisions, learned capabilities and attempts. */
  session: PublishSession
  /** Why the bundle is re-fitted (refitReasons, or the registry's refusal of it as it is). */
  reasons: readonly string[]
  /** Move the tag even when it names other content. */
  force?: boolean
  /** Copy the referrers of the images that keep their digest (and theirs in turn). Default true. */
  referrers?: boolean
  /** Cancels the re-fit; the call rejects with the signal's reason. */
  signal?: AbortSignal
  /** Bytes of each blob as it is handed to the destination. */
  onProgress?: (progress: CopyProgress) => void
}

/** What refitBundle did: the publish, and what changed against the source. */
export interface RefitResult extends Omit<PublishResult, 'warnings' | 'changes'> {
  /** Values changed in bundle.json: only the fields it states of images converted for the registry. */
  changes: FixupChange[]
  /** What the bundle was, what it is now, and why. */
  refit: Refit
  /** The referrers of unchanged images that came along; absent when not asked for or the source cannot list them. */
  referrers?: Descriptor[]
  /** Validation warnings of the bundle, as `pointer: message`. */
  warnings: string[]
  /** Where the images came from, for finding the referrers of converted ones (staleReferrers). */
  images: ImageSource
}

/**
 * Publishes the bundle `source` holds to `destination` under `tag`, re-fitted for the registry
 * (see the module comment): images as they are unless the registry refuses their index format,
 * bundle.json byte for byte unless an image it pins had to be converted, config manifest and
 * index as the session's tiers choose. Throws what fixupBundle and publishBundle throw
 * (FixupError, PublishError, TagExistsError, RepositoryMissingError, ConversionError, …).
 */
export async function refitBundle(
  source: RefitSource,
  destination: { target: Target; repository?: RepositoryName },
  tag: string,
  options: RefitOptions,
): Promise<RefitResult> {
  const { session } = options
  const reader = derivedTagReader(source.target)
  const repository = destination.repository ?? repositoryOf(destination.target)
  const target = session.wrap(destination.target)
  const sourceRepository = source.repository ?? repositoryOf(source.target)
  const images: ImageSource = {
    locate: async (reference) => {
      const entry = source.pulled.entries.get(reference)
      if (entry === undefined) throw new RangeError(`image "${reference}" is not an image of the bundle`)
      return { target: reader, selector: entry.digest, origin: source.origin, ...(sourceRepository && { repository: sourceRepository }) }
    },
  }
  const fixed = await fixupBundle(
    source.pulled.bundle,
    { target, ...(repository && { repository }) },
    {
      source: images,
      autoUpdate: false,
      statedFieldsOnly: true,
      session,
      ...(options.signal && { signal: options.signal }),
      ...(options.onProgress && { onProgress: (_image: string, p: CopyProgress) => options.onProgress!(p) }),
    },
  )
  const unchanged = fixed.changes.length === 0
  const published = await publishBundle(
    unchanged ? source.pulled.bundleBytes : fixed.bundle,
    { target, reference: tag, ...(repository && { repository }) },
    {
      session,
      force: options.force ?? false,
      keepBytes: unchanged,
      images: fixed.images,
      ...(options.signal && { signal: options.signal }),
    },
  )
  const o = { signal: options.signal }
  let referrers: Map<string, Descriptor> | undefined
  if ((options.referrers ?? true) && canListReferrers(reader)) {
    referrers = new Map()
    for (const [ref, desc] of fixed.images) {
      if (desc.digest !== source.pulled.entries.get(ref)?.digest) continue
      await copyGraph(reader, target, desc, { ...o, referrers: true, onReferrer: (d) => void referrers!.set(d.digest, d) })
    }
  }
  const staleReferrers: Descriptor[] = []
  if (canListReferrers(reader) && published.digest !== source.pulled.digest)
    for await (const d of reader.listReferrers(source.pulled.index, o)) staleReferrers.push(d)
  const { warnings, ...rest } = published
  return {
    ...rest,
    changes: [...fixed.changes, ...published.changes],
    refit: {
      from: { digest: source.pulled.digest, representation: representationOf(source.pulled) },
      to: { digest: published.digest, representation: published.representation },
      reasons: [...options.reasons],
      staleReferrers,
    },
    ...(referrers !== undefined && { referrers: [...referrers.values()] }),
    warnings: warnings.map((w) => `${w.pointer || '/'}: ${w.message}`),
    images,
  }
}

/** A manifest of a published bundle that the destination refused as a representation it does not take (a classified refusal). */
export interface RepresentationRefusal {
  /** The refused manifest. */
  descriptor: Descriptor
  /** `<media type> <digest>: <why>`, for messages. */
  reason: string
}

/** The classified representation refusal of a manifest pushed while copying a published bundle; undefined for any other failure. */
export function representationRefusal(err: unknown): RepresentationRefusal | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (
      e instanceof CopyError &&
      e.op === 'push' &&
      e.origin === 'destination' &&
      e.descriptor !== undefined &&
      isManifest(e.descriptor.mediaType)
    ) {
      const classification = classifyPushError(e.cause)
      if (!classification.fallback) return undefined
      return { descriptor: e.descriptor, reason: `${e.descriptor.mediaType} ${e.descriptor.digest}: ${classification.reason}` }
    }
  }
  return undefined
}

/**
 * The representation the session would publish `pulled` in: per decision the first tier whose
 * needs the registry is not known to refuse; for the part `refused` names (the bundle index or
 * the config manifest), the first that differs from the bundle's.
 */
export function acceptedRepresentation(
  session: PublishSession,
  pulled: PullResult,
  refused?: Descriptor,
): { index: IndexChoice; config: ConfigVariantId; shape: OciShape } {
  const has = representationOf(pulled)
  const pick = (decision: 'index' | 'config' | 'shape', current: string, refusedHere: boolean): string => {
    const specs: ReadonlyArray<{ id: string; needs: readonly Capability[] }> = session.specs(decision)
    const usable = specs.filter((s) => s.needs.every((c) => session.supports(c) !== 'unsupported'))
    const other = refusedHere ? usable.find((s) => s.id !== current) : undefined
    return (other ?? usable[0] ?? specs[0]!).id
  }
  const indexRefused = refused !== undefined && refused.digest === pulled.digest && has.index !== 'no-index'
  const configRefused = refused !== undefined && refused.digest === pulled.configManifest.digest
  return {
    index: pick('index', has.index, indexRefused) as IndexChoice,
    config: pick('config', has.config, configRefused) as ConfigVariantId,
    shape: pick('shape', has.shape, false) as OciShape,
  }
}
