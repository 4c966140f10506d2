/**
 * `ocibundle copy` as a library call: copy what one reference names to another, between any two
 * registries and OCI layouts, with the reference rules of the command. The graph copy itself is
 * copy() of src/copy; this adds opening the two places, the destination tag, the mount source
 * and the choice of platforms.
 */
import type { OpOptions, Target } from '../content/storage.js'
import { copy, copyGraph, DryRunTarget, type CopyOptions, type CopyResult, type CopyStats, type DryRunPlan } from '../copy/index.js'
import { AlreadyExistsError, InvalidReferenceError, UsageError } from '../errors.js'
import { isDigest } from '../oci/digest.js'
import type { Platform } from '../oci/descriptor.js'
import { parsePlatform } from '../oci/platform.js'
import { formatReference, referenceSelector, withSelector, type Reference } from '../oci/reference.js'
import { withTargets, type OperationOptions } from './open-target.js'
import { filterPlatforms } from './platform-filter.js'
import { contentReference, destinationReference as destinationArgument } from './target-argument.js'

/** Options of copyReference. */
export interface CopyReferenceOptions extends OperationOptions, Omit<CopyOptions, 'signal' | 'mountFrom' | 'platform'> {
  /**
   * Copy only these platforms of a multi-platform image (`os/arch[/variant]` or parsed). One
   * platform: the copied root is that platform's manifest, as oras, crane and regctl copy it.
   * Several: a reduced index listing only them (a new digest; the original index when every
   * entry matches). Undefined or empty → everything.
   */
  platforms?: ReadonlyArray<Platform | string>
  /** Write nothing: read what is there and return the plan (`dryRun` of the result). Default false. */
  dryRun?: boolean
}

/** What copyReference did. */
export interface CopyReferenceResult extends CopyResult {
  /** The source, normalised (`docker.io/library/nginx:1.27`, `ocidir://out:v1`). */
  source: string
  /** The destination, normalised, with the tag that was written. */
  destination: string
  /** With `dryRun`: what would have been pushed, mounted and tagged, and what is there already; nothing was written. */
  dryRun?: DryRunPlan
}

/**
 * Copies the content `source` names (a tag or digest; `:latest` when a registry reference names
 * neither) with everything it references to `destination`. References are read by the rule of
 * classifyArgument (a local path is a layout directory, never a registry). A destination without
 * tag or digest takes the source's tag; a source given by digest alone is copied by digest.
 * Between two repositories of one registry, blobs are mounted instead of uploaded. With
 * `dryRun`, nothing is written and the result's `dryRun` says what would be. Throws what
 * copy() throws, NotFoundError for a missing local source or a platform no entry matches,
 * InvalidReferenceError and UsageError for unusable references.
 */
export async function copyReference(source: string, destination: string, options: CopyReferenceOptions = {}): Promise<CopyReferenceResult> {
  const { ref: src, selector } = contentReference(source)
  const dst = destinationReference(destinationArgument(destination), src)
  const platforms = (options.platforms ?? []).map((p) => (typeof p === 'string' ? parsePlatform(p) : p))
  // Referrers name the original index, not a reduced one: with several platforms they do not come along.
  const referrers = options.referrers ?? platforms.length <= 1
  if (platforms.length > 1 && referrers) {
    throw new UsageError('referrers are copied with one platform or with all of them, not with several', {
      suggestions: ['copy each platform on its own, or the whole index'],
    })
  }
  return withTargets(options, [src, dst], async (targets) => {
    const from = await targets.open(src)
    const to = await targets.openDestination(dst, options.dryRun ?? false)
    const sameRegistry = src.kind === 'registry' && dst.kind === 'registry' && src.registry === dst.registry
    const copyOptions: CopyOptions = {
      ...options,
      referrers,
      ...(platforms.length === 1 && { platform: platforms[0] }),
      ...(sameRegistry && src.repository !== dst.repository && { mountFrom: () => [src.repository] }),
    }
    const result =
      platforms.length > 1
        ? await copyPlatforms(from, selector, to, referenceSelector(dst), platforms, copyOptions)
        : await copy(from, selector, to, referenceSelector(dst), copyOptions)
    return {
      source: formatReference(src),
      destination: formatReference(dst),
      ...result,
      ...(to instanceof DryRunTarget && { dryRun: to.plan }),
    }
  })
}

/** A destination without tag or digest takes the source's tag. */
function destinationReference(dst: Reference, src: Reference): Reference {
  if (dst.tag !== undefined || dst.digest !== undefined || src.tag === undefined) return dst
  return withSelector(dst, { tag: src.tag })
}

/**
 * Copies several platforms of the index `selector` names: their manifests with everything they
 * reference, then the reduced index listing them (filterPlatforms), tagged as `dstRef`.
 */
async function copyPlatforms(
  from: Target,
  selector: string,
  to: Target,
  dstRef: string | undefined,
  platforms: readonly Platform[],
  options: CopyOptions,
): Promise<CopyResult> {
  const o: OpOptions = { signal: options.signal }
  const filtered = await filterPlatforms(from, await from.resolve(selector, o), platforms, o)
  if (filtered.created === undefined) return copy(from, filtered.descriptor.digest, to, dstRef, options)
  const { descriptor, bytes } = filtered.created
  if (dstRef !== undefined && isDigest(dstRef) && dstRef !== descriptor.digest) {
    throw new InvalidReferenceError(dstRef, `a destination digest must be the digest of the copied content, ${descriptor.digest}`)
  }
  const stats: CopyStats = { nodes: 0, copied: 0, skipped: 0, mounted: 0, bytesCopied: 0, bytesSkipped: 0 }
  for (const root of filtered.copyRoots) {
    const s = await copyGraph(from, to, root, options)
    for (const key of Object.keys(stats) as (keyof CopyStats)[]) stats[key] += s[key]
  }
  const pushed = await to.push(descriptor, bytes, o).then(
    () => true,
    (err: unknown) => {
      if (err instanceof AlreadyExistsError) return false
      throw err
    },
  )
  stats.nodes++
  stats[pushed ? 'copied' : 'skipped']++
  stats[pushed ? 'bytesCopied' : 'bytesSkipped'] += descriptor.size
  const tag = dstRef !== undefined && !isDigest(dstRef) ? dstRef : undefined
  if (tag !== undefined) await to.tag(descriptor, tag, o)
  return { descriptor, ...(tag !== undefined && { tag }), stats }
}
