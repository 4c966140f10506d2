/**
 * `ocibundle discover` as a library call: the referrers of what a reference names (signatures,
 * SBOMs, attestations), and theirs in turn, as a tree. Registries answer through the referrers
 * API or the checked tag schema (src/registry/referrers.ts), layouts and memory stores through
 * their graph (src/content/referrer-list.ts).
 */
import { canListReferrers, type OpOptions, type ReadOnlyTarget, type ReferrerLister } from '../content/storage.js'
import { UnsupportedError, UsageError } from '../errors.js'
import { plainDescriptor, type Descriptor } from '../oci/descriptor.js'
import { formatReference } from '../oci/reference.js'
import { contentReference } from './target-argument.js'
import { withTargets, type OperationOptions } from './open-target.js'

/** Referrers visited at most by one listReferrers call, however deep (a bound on what a registry can make us read). */
export const MAX_REFERRER_NODES = 10_000

/** One referrer, with its own referrers. */
export interface ReferrerNode {
  /** The referrer manifest's digest. */
  digest: string
  /** Its media type. */
  mediaType: string
  /** Its artifact type, as the referrers list gives it. */
  artifactType?: string
  /** Its size in bytes. */
  size: number
  /** Its annotations, as the referrers list gives them. */
  annotations?: Record<string, string>
  /** Its referrers, when the depth allowed looking. */
  referrers: ReferrerNode[]
}

/** Options of listReferrers. */
export interface ListReferrersCallOptions extends OperationOptions {
  /** Only referrers of this artifact type at the first level (their own referrers are all listed). */
  artifactType?: string
  /** Levels to list: 1 → the subject's referrers only. Undefined → all. */
  depth?: number
}

/** What listReferrers found. */
export interface ReferrerTree {
  /** The subject, normalised, by digest. */
  reference: string
  /** The subject's descriptor. */
  subject: Descriptor
  /** Its referrers, each with theirs. */
  referrers: ReferrerNode[]
}

/**
 * Lists the referrers of what `reference` names (`registry/repo:tag`, `@digest`,
 * `ocidir://dir:tag`, `./dir:tag`), and their referrers down to `depth` levels. A referrer reached twice is
 * listed once. Throws NotFoundError for a missing subject, UsageError for a depth below 1,
 * UnsupportedError for a store that cannot list referrers, and what the registry answers.
 */
export async function listReferrers(reference: string, options: ListReferrersCallOptions = {}): Promise<ReferrerTree> {
  const { ref, selector } = contentReference(reference)
  const depth = options.depth ?? Infinity
  if (!(depth >= 1)) throw new UsageError(`the depth must be 1 or more, not ${options.depth}`)
  return withTargets(options, [ref], async (targets) => {
    const target = await targets.open(ref)
    const o: OpOptions = { signal: options.signal }
    const subject = plainDescriptor(await target.resolve(selector, o))
    if (!canListReferrers(target)) throw new UnsupportedError(`${formatReference(ref)} cannot list referrers`)
    const seen = new Set<string>([subject.digest])
    const referrers = await level(target, subject, depth, options.artifactType, seen, o)
    return { reference: formatReference({ ...ref, tag: undefined, digest: subject.digest }), subject, referrers }
  })
}

async function level(
  target: ReadOnlyTarget & ReferrerLister,
  subject: Descriptor,
  depth: number,
  artifactType: string | undefined,
  seen: Set<string>,
  o: OpOptions,
): Promise<ReferrerNode[]> {
  const nodes: ReferrerNode[] = []
  for await (const d of target.listReferrers(subject, { ...o, ...(artifactType !== undefined && { artifactType }) })) {
    if (seen.has(d.digest)) continue
    if (seen.size >= MAX_REFERRER_NODES) throw new UnsupportedError(`more than ${MAX_REFERRER_NODES} referrers; give a --depth`)
    seen.add(d.digest)
    nodes.push({
      digest: d.digest,
      mediaType: d.mediaType,
      ...(d.artifactType !== undefined && { artifactType: d.artifactType }),
      size: d.size,
      ...(d.annotations !== undefined && { annotations: d.annotations }),
      referrers: depth > 1 ? await level(target, plainDescriptor(d), depth - 1, undefined, seen, o) : [],
    })
  }
  return nodes
}
