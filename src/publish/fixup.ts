/**
 * Fixup (cnab-to-oci's `FixupBundle`, https://github.com/cnabio/cnab-to-oci/blob/v0.6.1/remotes/fixup.go):
 * before a bundle is published, every image it references is resolved, optionally narrowed to
 * some platforms, and copied with its whole graph into the place the bundle goes, and
 * bundle.json's description of each image (contentDigest, size, mediaType) is checked against
 * what was resolved, or updated to it.
 *
 * Three phases, so a wrong bundle costs no upload and a failed copy leaves no manifest behind:
 *  1. resolve every image (in parallel) and compare; any failure stops here, all reported;
 *  2. copy every image's blobs (in parallel; mounted when source and destination are
 *     repositories of one registry), holding the manifests back (ManifestStager);
 *  3. push the held manifests, image by image in bundle order, so the destination receives
 *     them in the same order on every run (an OCI layout's index.json depends on it).
 *
 * With a PublishSession, the destination is written as the session decides (manifests by
 * digest or under derived tags, ManifestRefTarget), a multi-platform image goes through the
 * index format tiers (image-index.ts; converted where the registry refuses its format, which
 * changes its digest in the bundle), and a registry known to take no index at all is refused a
 * multi-platform image before anything is uploaded.
 */
import type { OpOptions, Target } from '../content/storage.js'
import { copyGraph, Limiter, platformsOf, type CopyGraphOptions, type CopyProgress, type CopyStats } from '../copy/index.js'
import { plainDescriptor, type Descriptor, type Platform } from '../oci/descriptor.js'
import { isIndex, MediaTypes } from '../oci/media-types.js'
import type { BundleImage } from '../cnab/oci/bundle-image-list.js'
import { imagesByReference, writeImageFields, type FixupChange } from './image-fields.js'

export type { FixupChange } from './image-fields.js'
import {
  actionableError,
  FixupError,
  ImageMismatchError,
  MultiPlatformImageError,
  type FieldMismatch,
  type ImageFailure,
  type ImageField,
} from './publish-errors.js'
import { commitImageIndex } from './image-index.js'
import type { ImageLocation, ImageSource } from './image-source.js'
import { ManifestStager } from './manifest-stager.js'
import type { PublishSession } from './publish-session.js'
import { filterPlatforms, type FilteredImage } from './platform-filter.js'
import { mountCandidates, relocationMapFor, repositoryOf, type RepositoryName } from './repository-name.js'

/** Images resolved and copied at once when `concurrency` is not given. Each copy runs its own bounded I/O. */
export const DEFAULT_IMAGE_CONCURRENCY = 3

/** Where the bundle goes: its images are copied there. */
export interface FixupDestination {
  /** The storage the bundle is published to, a registry repository or a layout. */
  target: Target
  /**
   * The registry repository of `target`, for the relocation map and mounts. Undefined → taken
   * from `target` when it is a RegistryRepository; a layout has none (then there is no map).
   */
  repository?: RepositoryName
}

/** Progress of one image, for people watching. */
export type FixupEvent =
  | { type: 'resolved'; image: string; descriptor: Descriptor; origin: string }
  | { type: 'copied'; image: string; descriptor: Descriptor; stats: CopyStats }
  | { type: 'failed'; image: string; error: unknown }

/** Options of fixupBundle; `source` and `autoUpdate` are required. */
export interface FixupOptions {
  /** Where images are read from (layoutImageSource, registryImageSource, chainImageSources). */
  source: ImageSource
  /**
   * Keep only these platforms of multi-platform images (see filterPlatforms). The bundle then
   * records the filtered result's digest. Undefined or empty → images are copied whole.
   */
  platforms?: readonly Platform[]
  /** Write the resolved contentDigest, size and mediaType into the bundle; without it any difference or missing field is an error. */
  autoUpdate: boolean
  /**
   * Check only the fields bundle.json states, and never add one: for a bundle that is already
   * published and is re-fitted for a registry (its bundle.json must keep its bytes). A field it
   * does not state is not missing; an image converted for the registry changes only the fields
   * it states. Default false.
   */
  statedFieldsOnly?: boolean
  /** Images resolved and copied at once. Undefined, < 1 or not an integer → DEFAULT_IMAGE_CONCURRENCY. */
  concurrency?: number
  /** Cancels the fixup; the call rejects with the signal's reason. */
  signal?: AbortSignal
  /** Bytes of each blob as they are handed to the destination. */
  onProgress?: (image: string, progress: CopyProgress) => void
  /** Hears when an image is resolved, when it is copied, and when it failed to resolve. */
  onImage?: (event: FixupEvent) => void
  /**
   * The publish this fixup is part of: manifests are written as it decides, and multi-platform
   * images go through its index format tiers. Give publishBundle the same one.
   */
  session?: PublishSession
}

/** What fixupBundle did. */
export interface FixupResult {
  /** A deep copy of the input bundle with the changes applied; the input is never modified. */
  bundle: unknown
  /** The manifest (or index) recorded for every image reference, as now present in the destination. */
  images: Map<string, Descriptor>
  /**
   * CNAB relocation map (spec 103): every image reference → `<registry>/<repository>@<digest>`
   * in the destination repository. Undefined for a destination without a repository (a
   * layout): a directory path is no reference a runtime can pull from, and it changes when the
   * layout moves; the map is made when the layout is copied to a registry (copyBundle).
   */
  relocationMap?: Record<string, string>
  /** Every value written into the bundle; empty without autoUpdate. */
  changes: FixupChange[]
}

/** One image reference of the bundle, resolved. */
interface ResolvedImage extends FilteredImage {
  location: ImageLocation
}

/**
 * Fixes up `bundle` (a parsed bundle.json) into `destination`, as cnab-to-oci's FixupBundle
 * does: resolves every image it references (in parallel), narrows multi-platform images to
 * `platforms`, checks bundle.json's contentDigest, size and mediaType against what was
 * resolved (or, with `autoUpdate`, writes them), and copies every image's graph into the
 * destination. A wrong bundle costs no upload: all images are resolved and checked first. Blobs
 * go first and manifests are held back until every image is copied, then pushed in bundle
 * order, so a failed copy leaves no manifest behind and the destination sees the same order on
 * every run.
 * Throws FixupError listing every image that failed (ImageMismatchError for a bundle.json that
 * disagrees with its image, MultiPlatformImageError for an image index no index format of the
 * registry takes), RepositoryMissingError when the destination repository does not exist and
 * the registry will not create it (ECR-1), InputError when the bundle's images are malformed,
 * or the signal's reason when aborted.
 */
export async function fixupBundle(bundle: unknown, destination: FixupDestination, options: FixupOptions): Promise<FixupResult> {
  const repository = destination.repository ?? repositoryOf(destination.target)
  try {
    return await fixupInto(bundle, options.session ? options.session.wrap(destination.target) : destination.target, repository, options)
  } catch (err) {
    throw actionableError(err, { repository })
  }
}

async function fixupInto(
  bundle: unknown,
  target: Target,
  repository: RepositoryName | undefined,
  options: FixupOptions,
): Promise<FixupResult> {
  const updated: unknown = structuredClone(bundle)
  const uses = imagesByReference(updated)
  const limiter = new Limiter(validCount(options.concurrency) ?? DEFAULT_IMAGE_CONCURRENCY)
  const o: OpOptions = { signal: options.signal }
  const failed = (failures: ImageFailure[]): FixupError => {
    for (const f of failures) options.onImage?.({ type: 'failed', image: f.image, error: f.error })
    return new FixupError(failures, uses.size)
  }

  const resolution = await forEachImage(uses, limiter, options.signal, async (ref) => {
    const location = await options.source.locate(ref, o)
    const root = plainDescriptor(await location.target.resolve(location.selector, o))
    const filtered = await filterPlatforms(location.target, root, options.platforms ?? [], o)
    options.onImage?.({ type: 'resolved', image: ref, descriptor: filtered.descriptor, origin: location.origin })
    return { ...filtered, location }
  })
  const changes: FixupChange[] = []
  const failures = [...resolution.failures, ...(await indexesRefused(resolution.results, uses, options))]
  const stated = options.statedFieldsOnly ?? false
  for (const [ref, resolved] of resolution.results) {
    for (const image of uses.get(ref)!) {
      const mismatches = compare(image, resolved.descriptor, stated)
      if (mismatches.length === 0) continue
      if (!options.autoUpdate)
        failures.push({ image: ref, pointers: [image.pointer], error: new ImageMismatchError(ref, [image.pointer], mismatches) })
      else changes.push(...writeImageFields(updated, image, mismatches))
    }
  }
  if (failures.length > 0) throw failed(failures)

  const stager = new ManifestStager(target)
  const copies = await forEachImage(uses, limiter, options.signal, async (ref) => {
    const resolved = resolution.results.get(ref)!
    const candidates = mountCandidates(resolved.location.repository, repository)
    const stats = await copyImage(resolved, stager, {
      signal: options.signal,
      ...(candidates.length > 0 && { mountFrom: () => candidates }),
      ...(options.onProgress && { onProgress: (p: CopyProgress) => options.onProgress!(ref, p) }),
    })
    options.onImage?.({ type: 'copied', image: ref, descriptor: resolved.descriptor, stats })
  })
  if (copies.failures.length > 0) throw failed(copies.failures)

  const images = new Map<string, Descriptor>()
  for (const [ref, resolved] of resolution.results) {
    let committed = resolved.descriptor
    try {
      if (options.session !== undefined && isIndex(committed.mediaType))
        committed = await commitImageIndex(ref, committed, stager, target, options.session, o)
      else await stager.commit(committed, o)
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason
      throw failed([{ image: ref, pointers: uses.get(ref)!.map((u) => u.pointer), error: err }])
    }
    if (committed !== resolved.descriptor) {
      const reason = `the registry refused it as ${indexName(resolved.descriptor.mediaType)}; published as ${indexName(committed.mediaType)}`
      // After the checks above, bundle.json states the resolved descriptor of every image.
      const resolvedFields = {
        contentDigest: resolved.descriptor.digest,
        size: resolved.descriptor.size,
        mediaType: resolved.descriptor.mediaType,
      }
      for (const image of uses.get(ref)!) {
        const differing = compare(stated ? image : { ...image, ...resolvedFields }, committed, stated)
        changes.push(...writeImageFields(updated, image, differing, reason))
      }
    }
    images.set(ref, committed)
  }
  return {
    bundle: updated,
    images,
    ...(repository !== undefined && { relocationMap: relocationMapFor(images, repository) }),
    changes,
  }
}

/** Copies the graphs of one resolved image into the stager; the reduced index of a platform filter last. */
async function copyImage(resolved: ResolvedImage, stager: ManifestStager, opts: CopyGraphOptions): Promise<CopyStats> {
  const total: CopyStats = { nodes: 0, copied: 0, skipped: 0, mounted: 0, bytesCopied: 0, bytesSkipped: 0 }
  for (const root of resolved.copyRoots) {
    const stats = await copyGraph(resolved.location.target, stager, root, opts)
    for (const key of Object.keys(total) as (keyof CopyStats)[]) total[key] += stats[key]
  }
  if (resolved.created !== undefined) await stager.push(resolved.created.descriptor, resolved.created.bytes, { signal: opts.signal })
  return total
}

/** An index media type in words, for messages. */
function indexName(mediaType: string): string {
  return mediaType === MediaTypes.DockerManifestList
    ? 'a Docker manifest list'
    : mediaType === MediaTypes.OciIndex
      ? 'an OCI image index'
      : mediaType
}

/** What bundle.json states that differs from the resolved descriptor, a missing field included unless `statedOnly`. */
function compare(image: BundleImage, resolved: Descriptor, statedOnly = false): FieldMismatch[] {
  const fields: [ImageField, string | number | undefined, string | number][] = [
    ['contentDigest', image.contentDigest, resolved.digest],
    ['size', image.size, resolved.size],
    ['mediaType', image.mediaType, resolved.mediaType],
  ]
  return fields
    .filter(([, stated, actual]) => stated !== actual && !(statedOnly && stated === undefined))
    .map(([field, stated, resolvedValue]) => ({ field, stated, resolved: resolvedValue }))
}

/**
 * Multi-platform images when the session knows the registry takes neither index format
 * (Nexus, NEXUS-5): refused before anything is uploaded, each with its platforms.
 */
async function indexesRefused(
  resolved: ReadonlyMap<string, ResolvedImage>,
  uses: ReadonlyMap<string, BundleImage[]>,
  options: FixupOptions,
): Promise<ImageFailure[]> {
  const session = options.session
  if (
    session === undefined ||
    session.supports('oci-index') !== 'unsupported' ||
    session.supports('docker-manifest-list') !== 'unsupported'
  )
    return []
  const failures: ImageFailure[] = []
  for (const [ref, image] of resolved) {
    if (!isIndex(image.descriptor.mediaType)) continue
    const platforms = await platformsOf(image.location.target, image.descriptor, { signal: options.signal })
    failures.push({
      image: ref,
      pointers: uses.get(ref)!.map((u) => u.pointer),
      error: new MultiPlatformImageError(ref, platforms, [], undefined),
    })
  }
  return failures
}

/**
 * Runs `fn` for every reference, at most `limiter.limit` at once, and collects results and
 * failures instead of stopping at the first. Rethrows the signal's reason when aborted.
 */
async function forEachImage<T>(
  uses: ReadonlyMap<string, BundleImage[]>,
  limiter: Limiter,
  signal: AbortSignal | undefined,
  fn: (ref: string) => Promise<T>,
): Promise<{ results: Map<string, T>; failures: ImageFailure[] }> {
  const refs = [...uses.keys()]
  const settled = await Promise.allSettled(refs.map((ref) => limiter.run(() => fn(ref), signal)))
  signal?.throwIfAborted()
  const results = new Map<string, T>()
  const failures: ImageFailure[] = []
  settled.forEach((outcome, i) => {
    const ref = refs[i]!
    if (outcome.status === 'fulfilled') results.set(ref, outcome.value)
    else failures.push({ image: ref, pointers: uses.get(ref)!.map((u) => u.pointer), error: outcome.reason })
  })
  return { results, failures }
}

function validCount(n: number | undefined): number | undefined {
  return n !== undefined && Number.isSafeInteger(n) && n >= 1 ? n : undefined
}
