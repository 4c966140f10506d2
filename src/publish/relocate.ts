/**
 * Copying a published bundle from one place to another (registry to registry, layout to
 * registry, registry to layout): the whole graph is copied as stored, so the index, the config
 * manifest and bundle.json keep their bytes, the bundle keeps its digest, and signatures over
 * any of them stay valid. Only the relocation map changes: it points at the new repository. The
 * referrers of the index and of every image (signatures, SBOMs) come along, with theirs.
 *
 * Both sides are read and written the ways registries need (manifest-refs.ts): manifests are read
 * by their derived tag where the source will not serve them by digest, and written under derived
 * tags where the destination refuses untagged manifests. A bundle stored without index is copied
 * as its config manifest plus every image bundle.json pins, each image under its derived tag.
 */
import type { ReadOnlyTarget, Target } from '../content/storage.js'
import { copy, type CopyProgress, type CopyStats } from '../copy/index.js'
import type { Descriptor } from '../oci/descriptor.js'
import { isDigest } from '../oci/digest.js'
import { deterministicTag } from '../compat/strategies.js'
import { fetchAll } from '../content/verify.js'
import { declaredDescriptors } from './image-fields.js'
import { actionableError } from './publish-errors.js'
import { derivedTagReader } from './manifest-refs.js'
import { pullBundle } from './pull-bundle.js'
import { mountCandidates, repositoryOf, type RepositoryName } from './repository-name.js'
import { PublishSession } from './publish-session.js'
import { bundleTagOf, checkTag, guardTag } from './bundle-tags.js'

/** Where copyBundle writes the bundle. */
export interface CopyBundleDestination {
  /** The destination storage, a registry repository or a layout. */
  target: Target
  /** The registry repository of `target`, for the relocation map and mounts. Undefined → from a RegistryRepository target. */
  repository?: RepositoryName
}

/** Options of copyBundle. */
export interface CopyBundleOptions {
  /** The registry repository of `source`, for mounts. Undefined → from a RegistryRepository source. */
  sourceRepository?: RepositoryName
  /** Move the tag even when it names other content. */
  force?: boolean
  /** Accept an invocation image without contentDigest (a warning then). */
  allowMissingContentDigest?: boolean
  /** How manifests are written into the destination (only the manifest references matter: the bytes are kept). Default: a session for the destination's registry. */
  session?: PublishSession
  /** I/O calls at once, as copy's `concurrency`. */
  concurrency?: number
  /** Cancels the copy; the call rejects with the signal's reason. */
  signal?: AbortSignal
  /** Hears about blob bytes as they are handed to the destination, as copy's `onProgress`. */
  onProgress?: (progress: CopyProgress) => void
  /**
   * Also copy the referrers (signatures, SBOMs, attestations) of the bundle index and of every
   * image, and theirs in turn, when the source can list them. Default true.
   */
  referrers?: boolean
}

/** What copyBundle did. */
export interface CopyBundleResult {
  /** The bundle digest: the same in source and destination. */
  digest: string
  /** Descriptor of the bundle's top manifest (the index, or the config manifest of a bundle stored without one). */
  index: Descriptor
  /** The tag the bundle has in the destination. */
  tag: string
  /** The tag already named this bundle in the destination (the copy then finds everything present). */
  unchanged: boolean
  /** CNAB relocation map to the destination repository; undefined for a layout. */
  relocationMap?: Record<string, string>
  /** What the copy did, summed over the bundle and, for a bundle without index, its images. */
  stats: CopyStats
  /** The referrers that came along (copied or already there); absent when not asked for or the source cannot list them. */
  referrers?: Descriptor[]
  /** Warnings from reading the bundle (pullBundle). */
  warnings: string[]
}

/**
 * Copies the bundle `selector` names in `source` to `destination`, tagged `tag`. Undefined tag
 * → the source tag when `selector` is one, else the tag of the bundle's version
 * (bundleTagOf). The bundle is read and verified first (pullBundle), so an image or a
 * damaged bundle is refused before anything is copied; then its whole graph is copied by digest
 * with copy(), mounting blobs when both sides are repositories of one registry.
 *
 * Throws what pullBundle throws (NotABundleError...), InvalidReferenceError for a malformed tag,
 * TagExistsError when the tag names other content and `force` is not set, CopyError.
 */
export async function copyBundle(
  source: ReadOnlyTarget,
  selector: string,
  destination: CopyBundleDestination,
  tag: string | undefined,
  options: CopyBundleOptions = {},
): Promise<CopyBundleResult> {
  const repository = destination.repository ?? repositoryOf(destination.target)
  try {
    return await copyInto(derivedTagReader(source), selector, destination, repository, tag, options)
  } catch (err) {
    throw actionableError(err, { repository })
  }
}

async function copyInto(
  source: ReadOnlyTarget,
  selector: string,
  destination: CopyBundleDestination,
  repository: RepositoryName | undefined,
  tag: string | undefined,
  options: CopyBundleOptions,
): Promise<CopyBundleResult> {
  const session = options.session ?? new PublishSession(repository !== undefined ? { host: repository.registry } : {})
  const target = session.wrap(destination.target)
  const pulled = await pullBundle(source, selector, {
    ...(repository !== undefined && { repository }),
    ...(options.allowMissingContentDigest !== undefined && { allowMissingContentDigest: options.allowMissingContentDigest }),
    ...(options.signal && { signal: options.signal }),
  })
  const destinationTag = tag !== undefined ? checkTag(tag) : !isDigest(selector) ? checkTag(selector) : bundleTagOf(pulled.bundle)
  const current = await guardTag(target, destinationTag, [pulled.digest], {
    signal: options.signal,
    force: options.force,
    wanted: pulled.digest,
  })
  const candidates = mountCandidates(options.sourceRepository ?? repositoryOf(source), repository)
  const copyOptions = {
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
    ...(options.signal && { signal: options.signal }),
    ...(options.onProgress && { onProgress: options.onProgress }),
    ...(candidates.length > 0 && { mountFrom: () => candidates }),
  }
  const withReferrers = { ...copyOptions, referrers: options.referrers ?? true }
  const imageStats: CopyStats[] = []
  const referrers = new Map<string, Descriptor>()
  if (pulled.representation.index === 'no-index') {
    // No index holds the images: copy each, and keep it under its derived tag for garbage collectors.
    for (const image of declaredDescriptors(pulled.bundle).values()) {
      const one = await copy(source, image.digest, target, undefined, withReferrers)
      imageStats.push(one.stats)
      for (const r of one.referrers ?? []) referrers.set(r.digest, r)
      await target.tagDerived(image, { signal: options.signal })
    }
  }
  // By digest, so the copy is of exactly the bundle that was just read and checked.
  const copied = await copy(source, pulled.digest, target, destinationTag, withReferrers)
  for (const r of copied.referrers ?? []) referrers.set(r.digest, r)
  // Where manifests go under derived tags (the registry does not serve them by digest, porter#695), the
  // bundle's top manifest too: a reader resolves the tag to a digest and then reads by digest or derived tag.
  if (target.manifestRefs === 'deterministic-tag')
    await target.pushReference(
      copied.descriptor,
      await fetchAll(source, copied.descriptor, { signal: options.signal }),
      deterministicTag(copied.descriptor.digest),
      { signal: options.signal },
    )
  const stats = { ...copied.stats }
  for (const s of imageStats) for (const key of Object.keys(stats) as (keyof CopyStats)[]) stats[key] += s[key]
  return {
    digest: copied.descriptor.digest,
    index: pulled.index,
    tag: destinationTag,
    unchanged: current !== undefined,
    ...(pulled.relocationMap !== undefined && { relocationMap: pulled.relocationMap }),
    stats,
    ...(copied.referrers !== undefined && { referrers: [...referrers.values()] }),
    warnings: pulled.warnings,
  }
}
