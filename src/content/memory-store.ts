/**
 * A content store held in memory: the reference back end for tests, dry runs and staging a
 * graph before it is copied elsewhere (design after oras-go v2 content/memory).
 */
import { Readable } from 'node:stream'
import { InvalidReferenceError, NotFoundError } from '../errors.js'
import { descriptorKey, plainDescriptor, type Descriptor } from '../oci/descriptor.js'
import { isDigest } from '../oci/digest.js'
import { isManifest, MediaTypes } from '../oci/media-types.js'
import { readManifestBody } from './manifest-body.js'
import { PredecessorIndex } from './predecessor-index.js'
import { referrersInGraph } from './referrer-list.js'
import type { BlobResolver, Body, Deleter, GraphTarget, OpOptions, ReferrerLister, TagLister, Untagger } from './storage.js'
import { consumeVerified, discardBody } from './verify.js'

interface Stored {
  desc: Descriptor
  bytes: Buffer
}

/**
 * GraphTarget kept in memory. Content is keyed by digest and size; manifests are parsed on push
 * so `predecessors` answers from an index. Tags may be any non-empty string that is not a digest.
 */
export class MemoryStore implements GraphTarget, TagLister, Deleter, Untagger, BlobResolver, ReferrerLister {
  private readonly content = new Map<string, Stored>()
  private readonly tags = new Map<string, Descriptor>()
  private readonly graph = new PredecessorIndex()

  /** Streams a copy of the stored bytes. Throws NotFoundError when absent. */
  async fetch(desc: Descriptor, _o?: OpOptions): Promise<Readable> {
    // A copy, so a consumer that mutates the chunks it reads cannot change stored content.
    return Readable.from([Buffer.from(this.get(desc).bytes)])
  }

  async exists(desc: Descriptor, _o?: OpOptions): Promise<boolean> {
    return this.content.has(descriptorKey(desc))
  }

  /**
   * Verifies and stores the body; manifests are also parsed and indexed. Resolves without
   * reading the body when the content is already present. Throws SizeMismatchError,
   * DigestMismatchError, or (for manifests) SizeLimitError and InvalidContentError; nothing is
   * stored then.
   */
  async push(expected: Descriptor, body: Body, o: OpOptions = {}): Promise<void> {
    if (this.content.has(descriptorKey(expected))) {
      discardBody(body)
      return
    }
    if (isManifest(expected.mediaType)) {
      const manifest = await readManifestBody(expected, body, o.signal)
      this.content.set(descriptorKey(expected), { desc: expected, bytes: manifest.bytes })
      this.graph.add(expected, manifest.successors)
      return
    }
    // Chunks grow with what actually arrives; `expected.size` is never used to allocate.
    const chunks: Buffer[] = []
    await consumeVerified(body, expected, (chunk) => void chunks.push(chunk), o.signal)
    this.content.set(descriptorKey(expected), { desc: expected, bytes: Buffer.concat(chunks) })
  }

  /**
   * Resolves a digest to the descriptor it was pushed with (without annotations), or a tag to
   * the descriptor it was tagged with. Throws NotFoundError when unknown.
   */
  async resolve(reference: string, _o?: OpOptions): Promise<Descriptor> {
    if (isDigest(reference)) {
      for (const { desc } of this.content.values()) if (desc.digest === reference) return plainDescriptor(desc)
      throw new NotFoundError(`${reference} not found in memory store`)
    }
    const desc = this.tags.get(reference)
    if (desc === undefined) throw new NotFoundError(`tag "${reference}" not found in memory store`)
    return desc
  }

  /** Describes stored content by digest alone, as application/octet-stream. Throws NotFoundError. */
  async resolveBlob(digest: string, _o?: OpOptions): Promise<Descriptor> {
    for (const { desc } of this.content.values())
      if (desc.digest === digest) return { mediaType: MediaTypes.OctetStream, digest: desc.digest, size: desc.size }
    throw new NotFoundError(`${digest} not found in memory store`)
  }

  /**
   * Points `reference` at `desc`, moving the tag if it already exists. A digest reference must
   * be `desc`'s own digest and only checks existence. Throws NotFoundError when the content is
   * absent and InvalidReferenceError for an empty reference or a foreign digest.
   */
  async tag(desc: Descriptor, reference: string, _o?: OpOptions): Promise<void> {
    if (reference === '') throw new InvalidReferenceError(reference, 'a tag must not be empty')
    this.get(desc)
    if (isDigest(reference)) {
      if (reference !== desc.digest)
        throw new InvalidReferenceError(reference, `a digest reference must equal the content digest ${desc.digest}`)
      return
    }
    this.tags.set(reference, desc)
  }

  /** Removes a tag; the content stays. Throws NotFoundError for an unknown tag. */
  async untag(reference: string, _o?: OpOptions): Promise<void> {
    if (!this.tags.delete(reference)) throw new NotFoundError(`tag "${reference}" not found in memory store`)
  }

  /** Lists tags in ascending code-unit order, after `last` when given (registry paging semantics). */
  async *listTags(o: OpOptions & { last?: string } = {}): AsyncIterable<string> {
    const last = o.last
    for (const t of [...this.tags.keys()].sort()) if (last === undefined || t > last) yield t
  }

  /** The manifests pushed so far that point at `node`. */
  async predecessors(node: Descriptor, _o?: OpOptions): Promise<Descriptor[]> {
    return this.graph.predecessors(node)
  }

  /** The manifests pushed so far whose `subject` is `subject`; only those of `artifactType` when given. */
  listReferrers(subject: Descriptor, o: OpOptions & { artifactType?: string } = {}): AsyncIterable<Descriptor> {
    return referrersInGraph(this, subject, o)
  }

  /** Removes content, the tags pointing at it and its graph edges. Throws NotFoundError when absent. */
  async delete(desc: Descriptor, _o?: OpOptions): Promise<void> {
    this.get(desc)
    this.content.delete(descriptorKey(desc))
    for (const [t, d] of this.tags) if (d.digest === desc.digest) this.tags.delete(t)
    this.graph.remove(desc)
  }

  private get(desc: Descriptor): Stored {
    const stored = this.content.get(descriptorKey(desc))
    if (stored === undefined) throw new NotFoundError(`${desc.digest} (${desc.size} bytes) not found in memory store`)
    return stored
  }
}
