/**
 * An OCI image layout in a tar file as a GraphTarget: the `oci-archive:` format of skopeo and
 * containers/image (an uncompressed tar of an OCI layout, names relative: `oci-layout`,
 * `index.json`, `blobs/sha256/<hex>`; `./`-prefixed names read as well), and read-only, the
 * `artifacts/layout` inside a thick bundle archive.
 *
 * Reading never unpacks: the headers are read once (TarIndex, which refuses links, devices,
 * duplicate names, names leading out and truncated entries), and a blob is a range read of the
 * tar file, verified against its descriptor; an entry whose size differs from the descriptor's
 * is refused before a byte is read.
 *
 * Writing (`write`): pushed blobs go to a work directory beside the file, tags and manifests to
 * an index.json held in memory; close() writes the whole archive (what was there and what was
 * added) to a temporary file beside the destination and renames it into place, then removes the
 * work directory. discard() removes it without writing, so a failed operation leaves the file as
 * it was and nothing beside it. The archive written depends only on its content: `oci-layout`
 * and `index.json` first, then every blob in digest order, with the deterministic headers of
 * src/util/tar.ts.
 * References:
 *  - https://github.com/opencontainers/image-spec/blob/v1.1.1/image-layout.md
 *  - https://github.com/containers/image/blob/main/oci/archive/oci_dest.go (tars the layout directory)
 */
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve as resolvePath } from 'node:path'
import { addAbortSignal, type Readable } from 'node:stream'
import { readManifestBody } from '../content/manifest-body.js'
import { indexReachable, PredecessorIndex } from '../content/predecessor-index.js'
import { referrersInGraph } from '../content/referrer-list.js'
import type { BlobResolver, Body, GraphTarget, OpOptions, ReferrerLister, TagLister } from '../content/storage.js'
import { discardBody, verifying } from '../content/verify.js'
import { InputError, InvalidContentError, InvalidReferenceError, NotFoundError, SizeMismatchError, UnsupportedError } from '../errors.js'
import { plainDescriptor, type Descriptor } from '../oci/descriptor.js'
import { digestAlgorithm, digestEncoded, isDigest, parseDigest, type Digest } from '../oci/digest.js'
import { isManifest, MediaTypes } from '../oci/media-types.js'
import { hasErrorCode, writeFileAtomic } from '../util/files.js'
import { isGzipFile } from '../util/gzip.js'
import { tarStream, type TarEntry } from '../util/tar.js'
import { TarIndex, type TarFileEntry } from '../util/tar-index.js'
import { BLOBS_DIR, blobFileSize, blobPath } from './blob-path.js'
import { writeBlob } from './blob-writer.js'
import {
  addUntagged,
  emptyIndex,
  findTagged,
  parseIndexDocument,
  serializeIndexDocument,
  setTag,
  tagsOf,
  withoutRefName,
  type IndexDocument,
} from './index-document.js'
import { INDEX_FILE, MAX_INDEX_FILE_BYTES } from './index-file.js'
import { LAYOUT_FILE, layoutHeaderBytes, MAX_HEADER_BYTES, parseLayoutHeader } from './layout-header.js'
import { validateRefName } from './ref-name.js'

/** Options of OciArchiveStore.open. */
export interface OciArchiveOptions {
  /**
   * The archive will be written: a missing file is created, and what is pushed and tagged is
   * written into it by close(). Default false: a missing file is a NotFoundError, and push and
   * tag throw UnsupportedError.
   */
  write?: boolean
  /** Headers read at most (see TarIndex). */
  maxEntries?: number
}

/** See the module comment. */
export class OciArchiveStore implements GraphTarget, TagLister, BlobResolver, ReferrerLister {
  private readonly graph = new PredecessorIndex()
  /** Blobs written since open (write mode), created on the first push. */
  private work: string | undefined
  private making: Promise<string> | undefined
  private dirty = false
  private finished = false

  private constructor(
    /** Absolute path of the archive file. */
    readonly file: string,
    /** How the archive is named in messages. */
    readonly label: string,
    private readonly tar: TarIndex | undefined,
    private readonly blobs: ReadonlyMap<string, TarFileEntry>,
    private doc: IndexDocument,
    private readonly writable: boolean,
  ) {}

  /**
   * Opens the archive `file` (`ociarchive://file`). Throws NotFoundError for a missing file
   * (unless `write`), InputError for a directory or a gzip file, InvalidContentError when the
   * tar holds no valid layout, and what TarIndex.open throws for a hostile archive.
   */
  static async open(file: string, options: OciArchiveOptions = {}): Promise<OciArchiveStore> {
    const path = resolvePath(file)
    const label = `archive ${file}`
    let exists = true
    try {
      const info = await stat(path)
      if (info.isDirectory()) {
        throw new InputError(`${file} is a directory; ociarchive:// names a tar file`, {
          suggestions: [`for an OCI layout directory use ocidir://${file}`],
        })
      }
    } catch (err) {
      if (!hasErrorCode(err, 'ENOENT')) throw err
      exists = false
    }
    if (!exists) {
      if (options.write !== true) throw new NotFoundError(`${file} does not exist`, { suggestions: ['check the path of the archive'] })
      return new OciArchiveStore(path, label, undefined, new Map(), emptyIndex(), true)
    }
    if (await isGzipFile(path)) {
      throw new InputError(`${file} is gzip-compressed; ociarchive:// reads an uncompressed tar of an OCI layout (skopeo's oci-archive)`, {
        suggestions: ['a thick bundle archive (.tgz) is read as it is: ocibundle push <file.tgz> <registry>, ocibundle verify <file.tgz>'],
      })
    }
    const tar = await TarIndex.open(path, { label, ...(options.maxEntries !== undefined && { maxEntries: options.maxEntries }) })
    return OciArchiveStore.inTar(tar, '', options.write === true, path)
  }

  /**
   * The layout under directory `prefix` (`artifacts/layout`, `''` for the root) of a tar
   * already read, read-only (a thick bundle archive's images). Throws InvalidContentError when
   * there is no valid layout there.
   */
  static async fromTar(tar: TarIndex, prefix: string): Promise<OciArchiveStore> {
    return OciArchiveStore.inTar(tar, prefix, false, tar.path)
  }

  private static async inTar(tar: TarIndex, prefix: string, writable: boolean, path: string): Promise<OciArchiveStore> {
    const at = (name: string): string => (prefix === '' ? name : `${prefix}/${name}`)
    const where = `${tar.label}${prefix === '' ? '' : ` (${prefix}/)`}`
    const header = tar.file(at(LAYOUT_FILE))
    const index = tar.file(at(INDEX_FILE))
    if (header === undefined || index === undefined) {
      throw new InvalidContentError(`${where} holds no OCI image layout: it has no ${header === undefined ? LAYOUT_FILE : INDEX_FILE}`)
    }
    parseLayoutHeader(await tar.read(header, MAX_HEADER_BYTES), `${where} ${LAYOUT_FILE}`)
    const doc = parseIndexDocument(await tar.read(index, MAX_INDEX_FILE_BYTES), `${where} ${INDEX_FILE}`)
    const blobs = new Map<string, TarFileEntry>()
    const dir = `${at(BLOBS_DIR)}/`
    for (const [name, entry] of tar.files) {
      if (!name.startsWith(dir)) continue
      const [alg, encoded, ...rest] = name.slice(dir.length).split('/')
      const digest = `${alg}:${encoded}`
      // The spec allows other files; only well-formed blob names are blobs.
      if (rest.length === 0 && isDigest(digest)) blobs.set(digest, entry)
    }
    const store = new OciArchiveStore(path, where, tar, blobs, doc, writable)
    await indexReachable(
      store,
      store.graph,
      doc.manifests.map((e) => withoutRefName(e)),
    )
    return store
  }

  /**
   * Writes the archive when anything was pushed or tagged since open (see the module comment),
   * then removes the work directory; an archive opened for reading is left as it is. Call
   * once, when the operation succeeded; use discard() when it failed.
   */
  async close(): Promise<void> {
    if (this.finished) return
    this.finished = true
    try {
      if (this.dirty) await writeFileAtomic(this.file, tarStream(this.entries()))
    } finally {
      await this.removeWork()
    }
  }

  /** Forgets what was pushed and tagged since open: the archive file stays as it was, and the work directory is removed. */
  async discard(): Promise<void> {
    this.finished = true
    await this.removeWork()
  }

  /**
   * Streams the blob, verified against `desc`. Throws NotFoundError when the archive has no
   * such blob and SizeMismatchError when its entry's size differs from `desc.size`.
   */
  async fetch(desc: Descriptor, o: OpOptions = {}): Promise<Readable> {
    const found = await this.locate(desc.digest)
    if (found === undefined) throw new NotFoundError(`${desc.digest} not found in ${this.label}`)
    if (found.size !== desc.size) {
      throw new SizeMismatchError(desc.size, found.size, {
        suggestions: [`the ${this.label} entry of ${desc.digest} holds ${found.size} bytes: the archive is damaged or was altered`],
      })
    }
    const stream = verifying(found.open(), desc)
    return o.signal ? addAbortSignal(o.signal, stream) : stream
  }

  /** Whether a blob of `desc`'s digest and size is in the archive (or was pushed since open). */
  async exists(desc: Descriptor, _o?: OpOptions): Promise<boolean> {
    return (await this.locate(desc.digest))?.size === desc.size
  }

  /**
   * Stores the body (write mode), verified while it streams; content already there is not
   * stored again. A manifest is also parsed, indexed and given a digest-only index.json entry.
   * Throws UnsupportedError for an archive opened for reading, and what OciLayoutStore.push throws.
   */
  async push(expected: Descriptor, body: Body, o: OpOptions = {}): Promise<void> {
    this.checkWritable()
    if (!isManifest(expected.mediaType)) {
      if (await this.exists(expected)) discardBody(body)
      else this.dirty = (await writeBlob(await this.workDir(), expected, body, o)) === 'written' || this.dirty
      return
    }
    const manifest = await readManifestBody(expected, body, o.signal)
    if (!(await this.exists(expected)))
      this.dirty = (await writeBlob(await this.workDir(), expected, manifest.bytes, o)) === 'written' || this.dirty
    this.graph.add(withoutRefName(expected), manifest.successors)
    this.dirty = addUntagged(this.doc, expected) || this.dirty
  }

  /** Resolves a tag of index.json, or a digest (from index.json, else the blob with media type application/octet-stream). Throws NotFoundError. */
  async resolve(reference: string, _o?: OpOptions): Promise<Descriptor> {
    if (isDigest(reference)) {
      const entry = this.doc.manifests.find((e) => e.digest === reference)
      return entry !== undefined ? plainDescriptor(entry) : this.resolveBlob(reference)
    }
    const entry = findTagged(this.doc, reference)
    if (entry === undefined) throw new NotFoundError(`tag "${reference}" not found in ${this.label}`)
    return withoutRefName(entry)
  }

  /** Describes the blob `digest` names (media type application/octet-stream). Throws NotFoundError. */
  async resolveBlob(digest: string, _o?: OpOptions): Promise<Descriptor> {
    const found = await this.locate(digest)
    if (found === undefined) throw new NotFoundError(`${digest} not found in ${this.label}`)
    return { mediaType: MediaTypes.OctetStream, digest: parseDigest(digest), size: found.size }
  }

  /**
   * Points tag `reference` at `desc` (write mode), as OciLayoutStore.tag does. Throws
   * UnsupportedError for an archive opened for reading, InvalidReferenceError, NotFoundError.
   */
  async tag(desc: Descriptor, reference: string, _o?: OpOptions): Promise<void> {
    this.checkWritable()
    const byDigest = isDigest(reference)
    if (byDigest && reference !== desc.digest) {
      throw new InvalidReferenceError(reference, `a digest reference must equal the content digest ${desc.digest}`)
    }
    if (!byDigest) validateRefName(reference)
    if (!(await this.exists(desc))) throw new NotFoundError(`cannot tag ${desc.digest}: it is not in ${this.label}`)
    const changed = byDigest ? addUntagged(this.doc, desc) : setTag(this.doc, desc, reference)
    this.dirty = changed || this.dirty
  }

  /** The entries of index.json as they are (ref.name annotations included), in order. */
  indexEntries(): Descriptor[] {
    return this.doc.manifests.map((e) => ({ ...e }))
  }

  /** The tags of index.json in ascending code-unit order, after `last` when given. */
  async *listTags(o: OpOptions & { last?: string } = {}): AsyncIterable<string> {
    for (const t of tagsOf(this.doc)) if (o.last === undefined || t > o.last) yield t
  }

  /** The manifests known to point at `node` (indexed on open and on push). */
  async predecessors(node: Descriptor, _o?: OpOptions): Promise<Descriptor[]> {
    return this.graph.predecessors(node)
  }

  /** The manifests whose `subject` is `subject`, among those indexed; only those of `artifactType` when given. */
  listReferrers(subject: Descriptor, o: OpOptions & { artifactType?: string } = {}): AsyncIterable<Descriptor> {
    return referrersInGraph(this, subject, o)
  }

  private checkWritable(): void {
    if (!this.writable) throw new UnsupportedError(`${this.label} was opened for reading`)
    if (this.finished) throw new UnsupportedError(`${this.label} was already written or discarded`)
  }

  private async locate(digest: string): Promise<{ size: number; open: () => Readable } | undefined> {
    const d = parseDigest(digest)
    const work = this.work
    if (work !== undefined) {
      const size = await blobFileSize(work, d)
      if (size !== undefined) return { size, open: () => createReadStream(blobPath(work, d), { highWaterMark: 1024 * 1024 }) }
    }
    const entry = this.blobs.get(d)
    const tar = this.tar
    return entry !== undefined && tar !== undefined ? { size: entry.size, open: () => tar.stream(entry) } : undefined
  }

  /** The work directory, made on first use (once, however many pushes ask at the same time). */
  private workDir(): Promise<string> {
    this.making ??= (async () => {
      const dir = join(dirname(this.file), `.${basename(this.file)}-${process.pid}-${randomBytes(6).toString('hex')}.tmp.d`)
      this.work = dir
      await mkdir(join(dir, BLOBS_DIR), { recursive: true })
      return dir
    })()
    return this.making
  }

  private async removeWork(): Promise<void> {
    await this.making?.catch(() => undefined)
    const work = this.work
    this.work = undefined
    this.making = undefined
    if (work !== undefined) await rm(work, { recursive: true, force: true })
  }

  /** The entries of the archive to write: the layout header, index.json, then every blob in digest order, each verified as it is copied. */
  private async *entries(): AsyncGenerator<TarEntry> {
    yield { path: LAYOUT_FILE, type: 'file', content: layoutHeaderBytes() }
    yield { path: INDEX_FILE, type: 'file', content: serializeIndexDocument(this.doc) }
    yield { path: `${BLOBS_DIR}/`, type: 'directory' }
    const digests = new Set<Digest>([...this.blobs.keys()].map((d) => parseDigest(d)))
    if (this.work !== undefined) {
      for (const alg of await readdir(join(this.work, BLOBS_DIR))) {
        for (const encoded of await readdir(join(this.work, BLOBS_DIR, alg))) {
          if (isDigest(`${alg}:${encoded}`)) digests.add(parseDigest(`${alg}:${encoded}`))
        }
      }
    }
    let algorithm: string | undefined
    for (const digest of [...digests].sort()) {
      if (digestAlgorithm(digest) !== algorithm) {
        algorithm = digestAlgorithm(digest)
        yield { path: `${BLOBS_DIR}/${algorithm}/`, type: 'directory' }
      }
      const found = (await this.locate(digest))!
      const desc = { mediaType: MediaTypes.OctetStream, digest, size: found.size }
      yield {
        path: `${BLOBS_DIR}/${algorithm}/${digestEncoded(digest)}`,
        type: 'file',
        size: found.size,
        content: async () => verifying(found.open(), desc),
      }
    }
  }
}
