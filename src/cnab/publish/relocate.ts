/**
 * Copying a published bundle from one place to another (registry to registry, layout to
 * registry, registry to layout): the whole graph is copied as stored, so the index, the config
 * manifest and bundle.json keep their bytes, the bundle keeps its digest, and signatures over
 * any of them stay valid. Only the relocation map changes: it points at the new repository.
 */
import type { ReadOnlyTarget, Target } from '../../content/storage.js'
import { copy, type CopyProgress, type CopyStats } from '../../copy/index.js'
import type { Descriptor } from '../../oci/descriptor.js'
import { isDigest } from '../../oci/digest.js'
import { field } from '../json-shape.js'
import { pullBundle } from './pull.js'
import { mountCandidates, repositoryOf, type RepositoryName } from './repository-name.js'
import { checkTag, defaultBundleTag, guardTag } from './tags.js'

export interface CopyBundleDestination {
  target: Target
  /** The registry repository of `target`, for the relocation map and mounts. Undefined → from a RegistryRepository target. */
  repository?: RepositoryName
}

export interface CopyBundleOptions {
  /** The registry repository of `source`, for mounts. Undefined → from a RegistryRepository source. */
  sourceRepository?: RepositoryName
  /** Move the tag even when it names other content. */
  force?: boolean
  /** Accept an invocation image without contentDigest (a warning then). */
  allowMissingContentDigest?: boolean
  /** I/O calls at once, as copy's `concurrency`. */
  concurrency?: number
  signal?: AbortSignal
  onProgress?: (progress: CopyProgress) => void
}

export interface CopyBundleResult {
  /** The bundle digest: the same in source and destination. */
  digest: string
  index: Descriptor
  tag: string
  /** The tag already named this bundle in the destination (the copy then finds everything present). */
  unchanged: boolean
  /** CNAB relocation map to the destination repository; undefined for a layout. */
  relocationMap?: Record<string, string>
  stats: CopyStats
  /** Warnings from reading the bundle (pullBundle). */
  warnings: string[]
}

/**
 * Copies the bundle `selector` names in `source` to `destination`, tagged `tag`. Undefined tag
 * → the source tag when `selector` is one, else the tag of the bundle's version
 * (defaultBundleTag). The bundle is read and verified first (pullBundle), so an image or a
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
  const pulled = await pullBundle(source, selector, {
    ...(repository !== undefined && { repository }),
    ...(options.allowMissingContentDigest !== undefined && { allowMissingContentDigest: options.allowMissingContentDigest }),
    ...(options.signal && { signal: options.signal }),
  })
  const destinationTag =
    tag !== undefined ? checkTag(tag) : !isDigest(selector) ? checkTag(selector) : defaultBundleTag(String(field(pulled.bundle, 'version')))
  const current = await guardTag(destination.target, destinationTag, [pulled.digest], { signal: options.signal, force: options.force, wanted: pulled.digest })
  const candidates = mountCandidates(options.sourceRepository ?? repositoryOf(source), repository)
  // By digest, so the copy is of exactly the bundle that was just read and checked.
  const copied = await copy(source, pulled.digest, destination.target, destinationTag, {
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
    ...(options.signal && { signal: options.signal }),
    ...(options.onProgress && { onProgress: options.onProgress }),
    ...(candidates.length > 0 && { mountFrom: () => candidates }),
  })
  return {
    digest: copied.descriptor.digest,
    index: pulled.index,
    tag: destinationTag,
    unchanged: current !== undefined,
    ...(pulled.relocationMap !== undefined && { relocationMap: pulled.relocationMap }),
    stats: copied.stats,
    warnings: pulled.warnings,
  }
}
