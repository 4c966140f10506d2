/**
 * An OCI image layout directory as a GraphTarget: `oci-layout`, `index.json` and
 * `blobs/<alg>/<encoded>`, readable and writable by other tools (skopeo, umoci, oras, crane) and
 * by several of our processes at once (design after oras-go v2 content/oci).
 * Reference: https://github.com/opencontainers/image-spec/blob/v1.1.1/image-layout.md
 */
import { mkdir, readdir, rm, type FileHandle } from 'node:fs/promises'
import { join, resolve as resolvePath, sep } from 'node:path'
import { addAbortSignal, type Readable } from 'node:stream'
import { readManifestBody } from '../content/manifest-body.js'
import { indexReachable, PredecessorIndex } from '../content/predecessor-index.js'
import { referrersInGraph } from '../content/referrer-list.js'
import type { BlobResolver, Body, Deleter, GraphTarget, OpOptions, ReferrerLister, TagLister, Untagger } from '../content/storage.js'
import { verifying } from '../content/verify.js'
import { InvalidContentError, InvalidReferenceError, NotFoundError, SizeMismatchError } from '../errors.js'
import { plainDescriptor, type Descriptor } from '../oci/descriptor.js'
import { isDigest, parseDigest } from '../oci/digest.js'
import { isManifest, MediaTypes } from '../oci/media-types.js'
import { BLOBS_DIR, blobFileSize, blobPath } from './blob-path.js'
import { writeBlob } from './blob-writer.js'
import { hasErrorCode, openRegularFile, PendingDirectorySyncs } from '../util/files.js'
import { addUntagged, findTagged, removeDigest, removeTag, setTag, tagsOf, withoutRefName, type IndexDocument } from './index-document.js'
import { IndexFile } from './index-file.js'
import { collectLayoutGarbage, type GarbageCollectionOptions, type GarbageCollectionResult } from './gc.js'
import { deadIngestFiles, releaseLease, takeLease } from './ingest.js'
import { createLayoutHeader, readLayoutHeader } from './layout-header.js'
import type { LockOptions } from './lock-file.js'
import { validateRefName } from './ref-name.js'

/** Options of OciLayoutStore.open. */
export interface OciLayoutOptions {
  /**
   * Open the layout for writing: create it (directory, oci-layout, index.json, blobs/) if `dir`
   * holds none, remove the leftovers of killed writers from `.ingest`, and take a writer's lease
   * there (so garbage collection leaves this process's new content alone) until close().
   * Undefined → false: open for reading.
   */
  create?: boolean
  /** Waiting for the index.json lock of another process. Undefined fields → 60 s timeout, 30 s staleness. */
  lock?: Omit<LockOptions, 'signal'>
}

/** Chunk size of blob reads. */
const READ_CHUNK_BYTES = 1024 * 1024

/**
 * GraphTarget over an OCI image layout directory.
 *
 * - Tags are `org.opencontainers.image.ref.name` annotations in index.json. A pushed manifest
 *   gets a digest-only entry so it stays reachable; tagging it turns that entry into the
 *   tagged one (no duplicate), and a manifest whose last tag moves away or is removed goes
 *   back to a digest-only entry (oras-go behaves the same).
 * - index.json is read fresh for every resolve and updated under a cross-process lock, so
 *   processes sharing the layout see each other's tags and lose none.
 * - The predecessor index is built on open from the manifests reachable from index.json that
 *   are present, and extended on push; pushes by other processes after open are not in it.
 */
export class OciLayoutStore implements GraphTarget, TagLister, Deleter, Untagger, BlobResolver, ReferrerLister {
  private readonly graph = new PredecessorIndex()
  /** Directories of blobs renamed into place whose entries are not flushed yet (see push). */
  private readonly pendingSyncs = new PendingDirectorySyncs()

  private constructor(
    /** Absolute path of the layout directory. */
    readonly root: string,
    private readonly index: IndexFile,
    /**
     * The directory open() created for this layout (the layout's own, or the first missing one
     * above it), when it did not exist before; undefined when the layout was there already.
     */
    readonly createdDir: string | undefined,
    private lease: string | undefined,
  ) {}

  /**
   * Opens the layout in `dir`, creating it when `options.create` is set. Validates oci-layout
   * and index.json; tolerates extra files and blobs that index.json references but are missing.
   * Throws NotFoundError when `dir` is not a layout (and `create` is not set), and
   * InvalidContentError when oci-layout or index.json is malformed.
   */
  static async open(dir: string, options: OciLayoutOptions = {}): Promise<OciLayoutStore> {
    const root = resolvePath(dir)
    const index = new IndexFile(root, options.lock)
    let createdDir: string | undefined
    let lease: string | undefined
    if (options.create === true) {
      const first = await mkdir(join(root, BLOBS_DIR), { recursive: true })
      if (first !== undefined && (first === root || root.startsWith(first + sep))) createdDir = first
      // index.json first: a directory with an oci-layout file must always have an index.
      await index.createIfAbsent()
      await createLayoutHeader(root)
      await deadIngestFiles(root, true)
      lease = await takeLease(root)
    }
    try {
      await readLayoutHeader(root)
    } catch (err) {
      if (!hasErrorCode(err, 'ENOENT')) throw err
      throw new NotFoundError(`${root} is not an OCI image layout: it has no oci-layout file`, {
        suggestions: ['check the path, or create a new layout (for example by pushing to it)'],
      })
    }
    const store = new OciLayoutStore(root, index, createdDir, lease)
    try {
      await indexReachable(
        store,
        store.graph,
        (await store.readIndex()).manifests.map((e) => withoutRefName(e)),
      )
    } catch (err) {
      await store.close()
      throw err
    }
    return store
  }

  /** Flushes the directory entries of blobs written since the last manifest, and gives up the writer's lease of a layout opened for writing. */
  async close(): Promise<void> {
    await this.pendingSyncs.flush()
    const lease = this.lease
    this.lease = undefined
    if (lease !== undefined) await releaseLease(lease)
  }

  /**
   * Removes the blobs that no tag, index.json entry or referrer reaches, and the leftovers of
   * killed writers in `.ingest`; `dryRun` lists them only. Blobs another live writer may still
   * link are kept (listed as `inUse`). Throws LockTimeoutError when index.json stays locked.
   */
  async collectGarbage(o: GarbageCollectionOptions = {}): Promise<GarbageCollectionResult> {
    return collectLayoutGarbage(this.root, (fn) => this.index.locked(fn, o.signal), this.lease, o)
  }

  /** Whether the layout holds any content: an index.json entry or a blob file. */
  async isEmpty(): Promise<boolean> {
    if ((await this.readIndex()).manifests.length > 0) return false
    return (await listBlobDirs(this.root)).length === 0
  }

  /**
   * Streams the blob, verified against `desc`: the stream fails with DigestMismatchError if the
   * file was altered. Throws NotFoundError when absent and SizeMismatchError when the file's
   * size differs from `desc.size`.
   */
  async fetch(desc: Descriptor, o: OpOptions = {}): Promise<Readable> {
    const path = blobPath(this.root, desc.digest)
    let fh: FileHandle
    try {
      fh = await openRegularFile(path, `blob ${desc.digest}`)
    } catch (err) {
      if (hasErrorCode(err, 'ENOENT')) throw new NotFoundError(`${desc.digest} not found in layout ${this.root}`)
      throw err
    }
    try {
      // Checked on the open handle, so a concurrent replacement of the file cannot slip in.
      const { size } = await fh.stat()
      if (size !== desc.size) {
        throw new SizeMismatchError(desc.size, size, { suggestions: [`the blob file ${path} is damaged; push the content again`] })
      }
    } catch (err) {
      await fh.close()
      throw err
    }
    // Large reads: fewer, bigger chunks through verification and the network cost less per byte.
    const stream = verifying(fh.createReadStream({ highWaterMark: READ_CHUNK_BYTES }), desc)
    return o.signal ? addAbortSignal(o.signal, stream) : stream
  }

  /** Whether a blob file of `desc`'s digest and size is present. */
  async exists(desc: Descriptor, _o?: OpOptions): Promise<boolean> {
    return (await blobFileSize(this.root, desc.digest)) === desc.size
  }

  /**
   * Stores the body under `blobs/`, verified while it streams; already present content is not
   * rewritten. A manifest is also parsed (so an invalid one is refused before it is stored),
   * indexed for `predecessors`, and given a digest-only index.json entry unless it has one.
   * Throws SizeMismatchError, DigestMismatchError, InvalidDigestError, and for manifests
   * SizeLimitError and InvalidContentError; LockTimeoutError when index.json stays locked.
   */
  async push(expected: Descriptor, body: Body, o: OpOptions = {}): Promise<void> {
    if (!isManifest(expected.mediaType)) {
      await writeBlob(this.root, expected, body, { ...o, pendingSyncs: this.pendingSyncs })
      return
    }
    const manifest = await readManifestBody(expected, body, o.signal)
    await writeBlob(this.root, expected, manifest.bytes, { ...o, pendingSyncs: this.pendingSyncs })
    this.graph.add(withoutRefName(expected), manifest.successors)
    // The blobs this manifest refers to were written before it (children first): their directory
    // entries reach the disk before index.json names the manifest, in one fsync for all of them.
    await this.pendingSyncs.flush()
    await this.index.update((doc) => addUntagged(doc, expected), o.signal)
  }

  /**
   * Resolves a tag to its index.json descriptor (without the ref.name annotation, with any
   * other fields), or a digest to a plain descriptor: from index.json when listed there, else
   * from the blob file with media type application/octet-stream. Throws NotFoundError.
   */
  async resolve(reference: string, _o?: OpOptions): Promise<Descriptor> {
    const doc = await this.readIndex()
    if (isDigest(reference)) {
      const entry = doc.manifests.find((e) => e.digest === reference)
      if (entry !== undefined) return plainDescriptor(entry)
      return this.resolveBlob(reference)
    }
    const entry = findTagged(doc, reference)
    if (entry === undefined) throw new NotFoundError(`tag "${reference}" not found in layout ${this.root}`)
    return withoutRefName(entry)
  }

  /**
   * Describes the blob file of `digest`, with media type application/octet-stream (a digest
   * says nothing more; oras reports blobs the same way). Throws NotFoundError.
   */
  async resolveBlob(digest: string, _o?: OpOptions): Promise<Descriptor> {
    const size = await blobFileSize(this.root, digest)
    if (size === undefined) throw new NotFoundError(`${digest} not found in layout ${this.root}`)
    return { mediaType: MediaTypes.OctetStream, digest: parseDigest(digest), size }
  }

  /**
   * Points tag `reference` at `desc` in index.json, moving it if it named other content. A
   * digest reference must be `desc`'s own digest and records a digest-only entry. Throws
   * InvalidReferenceError for a malformed tag, NotFoundError when the content is absent,
   * LockTimeoutError when index.json stays locked.
   */
  async tag(desc: Descriptor, reference: string, o: OpOptions = {}): Promise<void> {
    const byDigest = isDigest(reference)
    if (byDigest && reference !== desc.digest) {
      throw new InvalidReferenceError(reference, `a digest reference must equal the content digest ${desc.digest}`)
    }
    if (!byDigest) validateRefName(reference)
    if (!(await this.exists(desc))) throw new NotFoundError(`cannot tag ${desc.digest}: it is not in layout ${this.root}`)
    await this.index.update((doc) => (byDigest ? addUntagged(doc, desc) : setTag(doc, desc, reference)), o.signal)
  }

  /** Removes a tag; its manifest keeps a digest-only entry. Throws NotFoundError for an unknown tag. */
  async untag(reference: string, o: OpOptions = {}): Promise<void> {
    if (!(await this.index.update((doc) => removeTag(doc, reference), o.signal))) {
      throw new NotFoundError(`tag "${reference}" not found in layout ${this.root}`)
    }
  }

  /** Lists the tags of index.json in ascending code-unit order, after `last` when given. */
  async *listTags(o: OpOptions & { last?: string } = {}): AsyncIterable<string> {
    const last = o.last
    for (const t of tagsOf(await this.readIndex())) if (last === undefined || t > last) yield t
  }

  /** The manifests known to point at `node` (indexed on open and on push). */
  async predecessors(node: Descriptor, _o?: OpOptions): Promise<Descriptor[]> {
    return this.graph.predecessors(node)
  }

  /**
   * The manifests whose `subject` is `subject`, among those indexed (see predecessors): a
   * referrer copied into the layout has a digest-only index.json entry, so it is found again
   * when the layout is opened later, by this or another process (oras lays out referrers the
   * same way). Only those of `artifactType` when given.
   */
  listReferrers(subject: Descriptor, o: OpOptions & { artifactType?: string } = {}): AsyncIterable<Descriptor> {
    return referrersInGraph(this, subject, o)
  }

  /**
   * Removes every index.json entry of `desc`'s digest, then its blob file. Content that other
   * manifests reference is removed all the same; the layout allows missing blobs. Throws
   * NotFoundError when there is neither an entry nor a blob.
   */
  async delete(desc: Descriptor, o: OpOptions = {}): Promise<void> {
    const listed = await this.index.update((doc) => removeDigest(doc, desc.digest), o.signal)
    const present = (await blobFileSize(this.root, desc.digest)) !== undefined
    if (!listed && !present) throw new NotFoundError(`${desc.digest} not found in layout ${this.root}`)
    if (present) await rm(blobPath(this.root, desc.digest), { force: true })
    this.graph.remove(desc)
  }

  private async readIndex(): Promise<IndexDocument> {
    try {
      return await this.index.read()
    } catch (err) {
      if (!hasErrorCode(err, 'ENOENT')) throw err
      throw new InvalidContentError(`layout ${this.root} has no index.json`, { suggestions: ['the layout is damaged; recreate it'] })
    }
  }
}

/** The files under `blobs/<alg>/` (names only); none when there is no blobs directory. */
async function listBlobDirs(root: string): Promise<string[]> {
  const files: string[] = []
  for (const alg of await readdir(join(root, BLOBS_DIR)).catch(() => [] as string[])) {
    files.push(...(await readdir(join(root, BLOBS_DIR, alg)).catch(() => [] as string[])))
  }
  return files
}
