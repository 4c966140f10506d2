/**
 * The one storage abstraction every back end implements (memory, OCI layout directory, registry
 * repository). The required surface is small; everything else is an optional capability found
 * at run time with a guard, so a new back end costs little (design after oras-go v2 content).
 *
 * Contract (checked by test/conformance/target-suite.ts for every back end):
 *  1. `push` verifies size and digest while it consumes the body and throws SizeMismatchError or
 *     DigestMismatchError; wrong bytes are never stored. It never trusts `expected.size` to
 *     allocate memory.
 *  2. Pushing content that is already present resolves (or throws AlreadyExistsError); copy
 *     treats both as success.
 *  3. `fetch` throws NotFoundError for absent content; `exists` returns false.
 *  4. `tag` requires the content to exist and throws NotFoundError otherwise.
 *  5. `resolve` of a digest string returns a descriptor for it; of a tag, the tagged descriptor.
 */
import type { Readable } from 'node:stream'
import type { Descriptor } from '../oci/descriptor.js'

/** Options every storage operation takes. */
export interface OpOptions {
  /** Aborts the operation where it waits on I/O (a request, a stream being read); it then rejects. */
  signal?: AbortSignal
}

/** Bytes accepted by push: in memory, or streamed. */
export type Body = Uint8Array | Readable | AsyncIterable<Uint8Array>

/** Fetches content by descriptor. Throws NotFoundError when absent. */
export interface Fetcher {
  /**
   * Opens the content `desc` names as a stream. Throws NotFoundError when it is absent. The
   * back ends of this package return verified content; a caller that needs that guarantee from
   * any Fetcher reads through fetchVerified or fetchAll.
   */
  fetch(desc: Descriptor, o?: OpOptions): Promise<Readable>
}

/** Stores content that must match `expected`. */
export interface Pusher {
  /**
   * Stores `body` as the content `expected` describes, verifying size and digest while it reads
   * and never allocating by `expected.size`. Throws SizeMismatchError or DigestMismatchError
   * for wrong bytes, and stores nothing then. Content already present resolves without being
   * stored again, or throws AlreadyExistsError; callers treat both as success.
   */
  push(expected: Descriptor, body: Body, o?: OpOptions): Promise<void>
}

/** Storage that can be read: fetch, and ask whether content is there. */
export interface ReadOnlyStorage extends Fetcher {
  /** Whether the content `desc` names is present: false for absent content, never NotFoundError. */
  exists(desc: Descriptor, o?: OpOptions): Promise<boolean>
}

/** Storage that can be read and written: content addressed by descriptor, without names. */
export interface Storage extends ReadOnlyStorage, Pusher {}

/** Resolves a tag or digest string to a descriptor. Throws NotFoundError when unknown. */
export interface Resolver {
  /**
   * The descriptor `reference` names: for a digest, a descriptor of that content (a registry
   * resolves manifests only); for a tag, the descriptor it was tagged with. Throws
   * NotFoundError when nothing by that name is there; back ends with rules for tags throw
   * InvalidReferenceError for a malformed one.
   */
  resolve(reference: string, o?: OpOptions): Promise<Descriptor>
}

/** Points `reference` (a tag) at existing content. Throws NotFoundError if the content is absent. */
export interface Tagger {
  /**
   * Points tag `reference` at `desc`, moving the tag if it named other content. The content
   * must already be stored: throws NotFoundError otherwise. A digest reference must be
   * `desc`'s own digest (InvalidReferenceError otherwise) and only checks that it is present.
   */
  tag(desc: Descriptor, reference: string, o?: OpOptions): Promise<void>
}

/** Readable storage whose content can also be found by tag or digest string. */
export interface ReadOnlyTarget extends ReadOnlyStorage, Resolver {}
/** Storage with names: push, fetch, resolve and tag. What a copy writes to. */
export interface Target extends Storage, Resolver, Tagger {}

/** Finds the nodes that point at `node` (its parents in the content graph). */
export interface PredecessorFinder {
  /**
   * The manifests and indexes known to point at `node` (as config, layer, manifest or
   * subject), in no particular order; an empty list when none are known. How far a back end
   * sees differs: a registry finds `subject` links only.
   */
  predecessors(node: Descriptor, o?: OpOptions): Promise<Descriptor[]>
}
/** A ReadOnlyTarget that can also walk the content graph upwards. */
export interface ReadOnlyGraphTarget extends ReadOnlyTarget, PredecessorFinder {}
/** The full required surface of a back end: Target plus predecessors. Every back end implements it. */
export interface GraphTarget extends Target, PredecessorFinder {}

// ---- optional capabilities: never required, discovered with the guards below ----

/** Optional capability: fetches a manifest by tag or digest in one call (see canFetchReference). */
export interface ReferenceFetcher {
  /**
   * The content `reference` (a tag or digest) names, with its descriptor, in one request where
   * `resolve` followed by `fetch` would take two. Throws as `resolve` and `fetch` do.
   */
  fetchReference(reference: string, o?: OpOptions): Promise<{ desc: Descriptor; body: Readable }>
}
/** Optional capability: pushes a manifest straight under a tag (see canPushReference). */
export interface ReferencePusher {
  /**
   * Pushes `body` as `expected` and points tag `reference` at it, in one step where `push`
   * followed by `tag` would take two. Throws as `push` does, and InvalidReferenceError for a
   * malformed tag.
   */
  pushReference(expected: Descriptor, body: Body, reference: string, o?: OpOptions): Promise<void>
}
/** Optional capability: takes a blob over from another repository of the same registry without sending it (see canMount). */
export interface Mounter {
  /**
   * Makes blob `desc` of repository `fromRepository` (a name in the same registry) present
   * here, without transferring it. Where the registry will not mount, the blob is uploaded
   * from `getContent` instead; without `getContent` that throws UnsupportedError, as does a
   * manifest (registries mount blobs only).
   */
  mount(desc: Descriptor, fromRepository: string, getContent?: () => Promise<Readable>, o?: OpOptions): Promise<void>
}
/** Optional capability: lists tags (see canListTags). */
export interface TagLister {
  /**
   * The tags, only those after `last` in code-unit order when it is given (registry paging
   * semantics). A repository without tags lists nothing.
   */
  listTags(o?: OpOptions & { last?: string }): AsyncIterable<string>
}
/** Optional capability: lists the manifests whose `subject` is a given descriptor (see canListReferrers). */
export interface ReferrerLister {
  /** The descriptors of the manifests that refer to `subject`; only those of `artifactType` when it is given. */
  listReferrers(subject: Descriptor, o?: OpOptions & { artifactType?: string }): AsyncIterable<Descriptor>
}
/** Pushes a blob whose content can be opened again, so a refused upload can be retried another way. */
export interface BlobPusher {
  /**
   * Pushes the content `open` produces as `expected`; `open` may be called more than once.
   * Throws as `push`. `knownAbsent`: the caller has just checked that the blob is not there;
   * skip checking again.
   */
  pushBlob(expected: Descriptor, open: () => Promise<Readable>, o?: OpOptions & { knownAbsent?: boolean }): Promise<void>
}
/** Describes a blob from its digest alone: size from the store, media type `application/octet-stream`. */
export interface BlobResolver {
  /** A descriptor of the stored blob `digest` names (media type application/octet-stream). Throws NotFoundError when absent. */
  resolveBlob(digest: string, o?: OpOptions): Promise<Descriptor>
}
/** Optional capability: removes content (see canDelete). */
export interface Deleter {
  /**
   * Removes the content `desc` names, and with it the tags that point at it. Content that
   * other manifests reference may be removed all the same. Throws NotFoundError when absent.
   */
  delete(desc: Descriptor, o?: OpOptions): Promise<void>
}
/** Optional capability: removes a tag and keeps the content (see canUntag). */
export interface Untagger {
  /** Removes tag `reference`; the content it named stays. Throws NotFoundError for an unknown tag. */
  untag(reference: string, o?: OpOptions): Promise<void>
}

function hasMethod(x: unknown, name: string): boolean {
  return typeof x === 'object' && x !== null && typeof (x as Record<string, unknown>)[name] === 'function'
}
/** Whether `t` can mount blobs from another repository (has a `mount` method). */
export const canMount = (t: unknown): t is Mounter => hasMethod(t, 'mount')
/** Whether `t` can push a manifest under a tag in one step (has a `pushReference` method). */
export const canPushReference = (t: unknown): t is ReferencePusher => hasMethod(t, 'pushReference')
/** Whether `t` can fetch by tag or digest in one step (has a `fetchReference` method). */
export const canFetchReference = (t: unknown): t is ReferenceFetcher => hasMethod(t, 'fetchReference')
/** Whether `t` can list its tags (has a `listTags` method). */
export const canListTags = (t: unknown): t is TagLister => hasMethod(t, 'listTags')
/** Whether `t` can list the referrers of a subject (has a `listReferrers` method). */
export const canListReferrers = (t: unknown): t is ReferrerLister => hasMethod(t, 'listReferrers')
/** Whether `t` can push a blob from a re-opener (has a `pushBlob` method). */
export const canPushBlob = (t: unknown): t is BlobPusher => hasMethod(t, 'pushBlob')
/** Whether `t` can describe a blob from its digest alone (has a `resolveBlob` method). */
export const canResolveBlob = (t: unknown): t is BlobResolver => hasMethod(t, 'resolveBlob')
/** Whether `t` can remove content (has a `delete` method). */
export const canDelete = (t: unknown): t is Deleter => hasMethod(t, 'delete')
/** Whether `t` can remove a tag and keep the content (has an `untag` method). */
export const canUntag = (t: unknown): t is Untagger => hasMethod(t, 'untag')
