/**
 * Copying what a reference names from one target to another, tagging it at the destination:
 * resolve, optionally narrow to one platform, copy the graph (and referrers), tag. Root
 * handling follows oras-go's `Copy`: when the destination can push a manifest under a tag in
 * one request, the root is pushed that way instead of push + tag.
 * Reference: https://github.com/oras-project/oras-go/blob/v2.5.0/copy.go
 */
import { canListReferrers, type OpOptions, type ReadOnlyTarget, type Target } from '../content/storage.js'
import { InvalidReferenceError } from '../errors.js'
import type { Descriptor, Platform } from '../oci/descriptor.js'
import { isDigest } from '../oci/digest.js'
import { CopyError, type CopyOp, type CopyOrigin } from './copy-error.js'
import type { CopyGraphOptions, CopyStats } from './copy-options.js'
import { CopySession } from './copy-session.js'
import { selectPlatform } from './platform.js'

export interface CopyOptions extends CopyGraphOptions {
  /**
   * Copy one platform's image only. When the source reference names an index, the copied root
   * is its first child manifest for this platform, not a reduced index (as oras, crane and
   * regctl do); the result's `descriptor` says which. An image manifest is checked against its
   * config. Undefined → the whole graph.
   */
  platform?: Platform
}

/** What copy did. */
export interface CopyResult {
  /** The root actually copied: the resolved source content, or the platform's manifest. */
  descriptor: Descriptor
  /** The tag pointed at the root in the destination; absent when no tag was given. */
  tag?: string
  /** Referrer manifests copied or already present; absent unless referrers were asked for and the source can list them. */
  referrers?: Descriptor[]
  /** What the copy did, referrers included. */
  stats: CopyStats
}

/**
 * Copies the content `srcRef` (a tag or digest) names in `src` to `dst` and tags it there as
 * `dstRef`. With `dstRef` undefined or a digest no tag is written; the content is still
 * reachable by digest (an OCI layout records every pushed manifest in index.json). A digest
 * `dstRef` must be the digest of the copied root.
 *
 * Throws InvalidReferenceError for an empty `dstRef` or a digest that is not the root's,
 * NotFoundError when `platform` matches nothing, CopyError for a failed step (op 'resolve' or
 * 'tag' for the reference handling, the ops of copyGraph otherwise), or the signal's reason
 * when aborted.
 */
export async function copy(
  src: ReadOnlyTarget,
  srcRef: string,
  dst: Target,
  dstRef: string | undefined,
  opts: CopyOptions = {},
): Promise<CopyResult> {
  const o: OpOptions = { signal: opts.signal }
  let root = await step('resolve', 'source', srcRef, o, () => src.resolve(srcRef, o))
  if (opts.platform) root = await selectPlatform(src, root, opts.platform, o)
  const tag = destinationTag(dstRef, root)
  const lister = opts.referrers && canListReferrers(src) ? src : undefined
  const session = new CopySession(src, dst, opts, { rootTag: tag, referrers: lister })
  await session.run(root)
  // The root may have been present already (skipped), or the destination cannot push with a tag.
  if (tag !== undefined && !session.rootTagged) await step('tag', 'destination', tag, o, () => dst.tag(root, tag, o), root)
  return {
    descriptor: root,
    ...(tag !== undefined && { tag }),
    ...(lister !== undefined && { referrers: session.referrers }),
    stats: { ...session.stats },
  }
}

/** The tag to write, or undefined for none. Checked before anything is copied. */
function destinationTag(dstRef: string | undefined, root: Descriptor): string | undefined {
  if (dstRef === undefined) return undefined
  if (dstRef === '') throw new InvalidReferenceError(dstRef, 'the destination tag is empty; give a tag, a digest, or no reference')
  if (!isDigest(dstRef)) return dstRef
  if (dstRef !== root.digest) {
    throw new InvalidReferenceError(dstRef, `a destination digest must be the digest of the copied content, ${root.digest}`)
  }
  return undefined
}

async function step<T>(
  op: CopyOp,
  origin: CopyOrigin,
  reference: string,
  o: OpOptions,
  fn: () => Promise<T>,
  descriptor?: Descriptor,
): Promise<T> {
  o.signal?.throwIfAborted()
  try {
    return await fn()
  } catch (err) {
    if (o.signal?.aborted) throw o.signal.reason
    throw new CopyError({ op, origin, reference, ...(descriptor && { descriptor }), cause: err })
  }
}
