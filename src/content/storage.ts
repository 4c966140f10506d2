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

export interface OpOptions {
  signal?: AbortSignal
}

/** Bytes accepted by push: in memory, or streamed. */
export type Body = Uint8Array | Readable | AsyncIterable<Uint8Array>

/** Fetches content by descriptor. Throws NotFoundError when absent. */
export interface Fetcher {
  fetch(desc: Descriptor, o?: OpOptions): Promise<Readable>
}

/** Stores content that must match `expected`. */
export interface Pusher {
  push(expected: Descriptor, body: Body, o?: OpOptions): Promise<void>
}

export interface ReadOnlyStorage extends Fetcher {
  exists(desc: Descriptor, o?: OpOptions): Promise<boolean>
}

export interface Storage extends ReadOnlyStorage, Pusher {}

/** Resolves a tag or digest string to a descriptor. Throws NotFoundError when unknown. */
export interface Resolver {
  resolve(reference: string, o?: OpOptions): Promise<Descriptor>
}

/** Points `reference` (a tag) at existing content. Throws NotFoundError if the content is absent. */
export interface Tagger {
  tag(desc: Descriptor, reference: string, o?: OpOptions): Promise<void>
}

export interface ReadOnlyTarget extends ReadOnlyStorage, Resolver {}
export interface Target extends Storage, Resolver, Tagger {}

/** Finds the nodes that point at `node` (its parents in the content graph). */
export interface PredecessorFinder {
  predecessors(node: Descriptor, o?: OpOptions): Promise<Descriptor[]>
}
export interface ReadOnlyGraphTarget extends ReadOnlyTarget, PredecessorFinder {}
export interface GraphTarget extends Target, PredecessorFinder {}

// ---- optional capabilities: never required, discovered with the guards below ----

export interface ReferenceFetcher {
  fetchReference(reference: string, o?: OpOptions): Promise<{ desc: Descriptor; body: Readable }>
}
export interface ReferencePusher {
  pushReference(expected: Descriptor, body: Body, reference: string, o?: OpOptions): Promise<void>
}
export interface Mounter {
  mount(desc: Descriptor, fromRepository: string, getContent?: () => Promise<Readable>, o?: OpOptions): Promise<void>
}
export interface TagLister {
  listTags(o?: OpOptions & { last?: string }): AsyncIterable<string>
}
export interface ReferrerLister {
  listReferrers(subject: Descriptor, o?: OpOptions & { artifactType?: string }): AsyncIterable<Descriptor>
}
/** Pushes a blob whose content can be opened again, so a refused upload can be retried another way. */
export interface BlobPusher {
  /** `knownAbsent`: the caller has just checked that the blob is not there; skip checking again. */
  pushBlob(expected: Descriptor, open: () => Promise<Readable>, o?: OpOptions & { knownAbsent?: boolean }): Promise<void>
}
/** Describes a blob from its digest alone: size from the store, media type `application/octet-stream`. */
export interface BlobResolver {
  resolveBlob(digest: string, o?: OpOptions): Promise<Descriptor>
}
export interface Deleter {
  delete(desc: Descriptor, o?: OpOptions): Promise<void>
}
export interface Untagger {
  untag(reference: string, o?: OpOptions): Promise<void>
}

function hasMethod(x: unknown, name: string): boolean {
  return typeof x === 'object' && x !== null && typeof (x as Record<string, unknown>)[name] === 'function'
}
export const canMount = (t: unknown): t is Mounter => hasMethod(t, 'mount')
export const canPushReference = (t: unknown): t is ReferencePusher => hasMethod(t, 'pushReference')
export const canFetchReference = (t: unknown): t is ReferenceFetcher => hasMethod(t, 'fetchReference')
export const canListTags = (t: unknown): t is TagLister => hasMethod(t, 'listTags')
export const canListReferrers = (t: unknown): t is ReferrerLister => hasMethod(t, 'listReferrers')
export const canPushBlob = (t: unknown): t is BlobPusher => hasMethod(t, 'pushBlob')
export const canResolveBlob = (t: unknown): t is BlobResolver => hasMethod(t, 'resolveBlob')
export const canDelete = (t: unknown): t is Deleter => hasMethod(t, 'delete')
export const canUntag = (t: unknown): t is Untagger => hasMethod(t, 'untag')
