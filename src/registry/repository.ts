/**
 * One repository of a registry as a GraphTarget, with every optional capability a registry can
 * offer. Each call goes to the blob or the manifest endpoints according to the descriptor's
 * media type (as oras-go's Repository does), through the one RegistryClient.
 * References:
 *  - https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md
 *  - https://github.com/distribution/distribution/tree/v2.8.2/registry/handlers (how the reference
 *    registry, distribution 2.8, answers each case)
 */
import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { readManifestBody } from '../content/manifest-body.js'
import type {
  Body,
  Deleter,
  GraphTarget,
  Mounter,
  OpOptions,
  ReferenceFetcher,
  ReferencePusher,
  ReferrerLister,
  TagLister,
  Untagger,
} from '../content/storage.js'
import { discardBody, toReadable } from '../content/verify.js'
import { InvalidContentError, InvalidReferenceError, NotFoundError, OcibundleError, UnsupportedError } from '../errors.js'
import { descriptorFromBytes, type Descriptor } from '../oci/descriptor.js'
import { isDigest, parseDigest } from '../oci/digest.js'
import { parseManifest, type ParsedManifest } from '../oci/manifest.js'
import { isManifest, MediaTypes } from '../oci/media-types.js'
import { EMPTY_DESCRIPTOR, EMPTY_JSON, subjectOf } from '../oci/referrers.js'
import { isValidTag, parseRegistryReference, type RegistryReference } from '../oci/reference.js'
import { BlobStore } from './blob-store.js'
import { RepositoryContext } from './context.js'
import type { RegistryClient } from './http/client.js'
import { ManifestStore } from './manifest-store.js'
import { Referrers, type ReferrerRecord, type ReferrersMode, type ReferrersSupport } from './referrers.js'
import { hasStatus } from './responses.js'
import { listTags } from './tag-list.js'
import { BlobUploader, type UploadContent, type UploadOptions } from './upload.js'

export interface RegistryRepositoryOptions extends UploadOptions {
  /** Range requests allowed per blob download after its connection broke off. Undefined or not a non-negative integer → 5. */
  maxResumes?: number
  /** Tags asked for per tags/list page (`n`). Undefined → the registry's default page. */
  tagPageSize?: number
  /** 'push' for a repository that will be written to: one token (pull,push) for every request. Default 'pull'. */
  access?: 'pull' | 'push'
  /** Known referrers API support (from an earlier probe), so it is not probed again. Undefined → 'unknown'. */
  referrersSupport?: ReferrersSupport
  /** close() closes the client too (it was made for this repository alone). Default false: the client is shared. */
  ownsClient?: boolean
  /** Where referrers (manifests with a subject) are recorded and looked up; see ReferrersMode. Undefined → 'auto'. */
  referrersMode?: ReferrersMode
}

/** What pushManifest did. */
export interface PushedManifest {
  /** How the manifest was recorded as a referrer of its subject; absent for a manifest without subject. */
  referrer?: ReferrerRecord
}

/** artifactType of that throwaway manifest, so anyone who sees one knows what it was. */
const UNTAG_ARTIFACT_TYPE = 'application/vnd.ocibundle.untag.v1+json'
const DEFAULT_MAX_RESUMES = 5

/**
 * One registry repository as a GraphTarget: blobs and manifests, tags, mounts, referrers and
 * deletion, all through the given RegistryClient (scheme, TLS, auth and retries are its job).
 * Holds one piece of state: whether the registry has the referrers API (`referrersSupport`).
 */
export class RegistryRepository
  implements GraphTarget, ReferenceFetcher, ReferencePusher, Mounter, TagLister, ReferrerLister, Deleter, Untagger
{
  /** Registry as written in references (`docker.io`, `localhost:5000`). */
  readonly registry: string
  /** Repository path inside the registry. */
  readonly repository: string
  private readonly manifests: ManifestStore
  private readonly blobs: BlobStore
  private readonly uploader: BlobUploader
  private readonly referrers: Referrers
  private readonly tagPageSize: number | undefined
  private readonly ctx: RepositoryContext
  private readonly client: RegistryClient | undefined

  constructor(ref: Pick<RegistryReference, 'registry' | 'repository'>, client: RegistryClient, options: RegistryRepositoryOptions = {}) {
    this.client = options.ownsClient === true ? client : undefined
    this.registry = ref.registry
    this.repository = ref.repository
    this.ctx = new RepositoryContext(client, ref.registry, ref.repository, options.access)
    const r = options.maxResumes
    this.manifests = new ManifestStore(this.ctx)
    this.blobs = new BlobStore(this.ctx, r !== undefined && Number.isSafeInteger(r) && r >= 0 ? r : DEFAULT_MAX_RESUMES)
    this.uploader = new BlobUploader(this.ctx, options)
    this.referrers = new Referrers(this.ctx, this.manifests, options.referrersSupport, options.referrersMode)
    this.tagPageSize = options.tagPageSize
  }

  /** Releases the connections of a client this repository owns (`ownsClient`); a shared client stays open. */
  async close(): Promise<void> {
    await this.client?.close()
  }

  /** Whether this repository's registry has the referrers API, as far as probed ('unknown' before the first need). */
  get referrersSupport(): ReferrersSupport {
    return this.referrers.support
  }

  /**
   * A verified stream of the content. Manifests are read whole (at most 4 MiB) and checked
   * before the stream is returned; blobs are verified as they stream and resumed with Range
   * when the connection breaks off. Throws NotFoundError when absent, SizeLimitError for a
   * manifest above 4 MiB; the stream fails with SizeMismatchError or DigestMismatchError.
   */
  async fetch(desc: Descriptor, o: OpOptions = {}): Promise<Readable> {
    if (!isManifest(desc.mediaType)) return this.blobs.fetch(desc, o.signal)
    const { bytes } = await this.manifests.get(desc.digest, { signal: o.signal, expected: desc })
    return Readable.from([bytes])
  }

  /** HEAD of the manifest or blob; false on 404. */
  async exists(desc: Descriptor, o: OpOptions = {}): Promise<boolean> {
    return isManifest(desc.mediaType) ? this.manifests.exists(desc, o.signal) : this.blobs.exists(desc, o.signal)
  }

  /**
   * Pushes a manifest (by digest) or a blob. A manifest is read (4 MiB bound), verified and
   * parsed before it is PUT; when it has a subject and the registry does not index referrers
   * itself, the subject's referrers tag is updated. A blob already present (HEAD) is not sent
   * again; otherwise it is uploaded as UploadOptions says. A stream body can be sent once: if
   * the registry refuses a monolithic upload, the chunked fallback needs `pushBlob` with a
   * re-opener (or bytes) and this throws BodyNotReplayableError.
   * Throws SizeMismatchError and DigestMismatchError for wrong content (nothing is stored),
   * SizeLimitError and InvalidContentError for manifests, RegistryResponseError for refusals.
   */
  async push(expected: Descriptor, body: Body, o: OpOptions = {}): Promise<void> {
    if (isManifest(expected.mediaType)) {
      await this.putManifest(expected, body, expected.digest, o.signal)
      return
    }
    const content: UploadContent = body instanceof Uint8Array ? { bytes: body } : { open: async () => toReadable(body), reopenable: false }
    try {
      await this.pushBlobContent(expected, content, o.signal)
    } finally {
      // Frees a stream the upload did not read (already present, or failed before it).
      discardBody(body)
    }
  }

  /**
   * Pushes a blob whose content `open` can produce more than once (a file, a fetch from another
   * store), so a refused monolithic upload can fall back to chunks. Skips content already
   * present. A manifest is pushed as `push` does, from one opening. Throws as `push`.
   */
  async pushBlob(expected: Descriptor, open: () => Promise<Readable>, o: OpOptions & { knownAbsent?: boolean } = {}): Promise<void> {
    if (isManifest(expected.mediaType)) return this.push(expected, await open(), o)
    await this.pushBlobContent(expected, { open, reopenable: true }, o.signal, o.knownAbsent)
  }

  /** Describes a blob by digest with a HEAD request (size from Content-Length). Throws NotFoundError. */
  async resolveBlob(digest: string, o: OpOptions = {}): Promise<Descriptor> {
    return this.blobs.resolve(parseDigest(digest), o.signal)
  }

  /**
   * Describes what a tag or digest names, by HEAD (GET and hashing when HEAD is refused or
   * incomplete). Only manifests can be resolved: a registry has no way to resolve a blob by
   * reference. Throws InvalidReferenceError, NotFoundError, SizeLimitError, DigestMismatchError.
   */
  async resolve(reference: string, o: OpOptions = {}): Promise<Descriptor> {
    checkReference(reference)
    return this.manifests.resolve(reference, o.signal)
  }

  /**
   * Points tag `reference` at manifest `desc`: on a registry that means fetching the manifest's
   * bytes by digest and PUTting them under the tag. A digest reference must be `desc`'s own
   * and only checks existence. Throws NotFoundError when the manifest is absent,
   * InvalidReferenceError, UnsupportedError for a blob (registries tag manifests only).
   */
  async tag(desc: Descriptor, reference: string, o: OpOptions = {}): Promise<void> {
    checkReference(reference)
    if (isDigest(reference)) {
      if (reference !== desc.digest)
        throw new InvalidReferenceError(reference, `a digest reference must equal the content digest ${desc.digest}`)
      if (!(await this.exists(desc, o))) throw new NotFoundError(`cannot tag ${desc.digest}: it is not in ${this.name}`)
      return
    }
    if (!isManifest(desc.mediaType))
      throw new UnsupportedError(`cannot tag ${desc.digest} (${desc.mediaType}): a registry tags manifests only`)
    const current = await this.manifests.get(desc.digest, { signal: o.signal, expected: desc })
    await this.manifests.put(reference, current.desc, current.bytes, { signal: o.signal })
  }

  /** The verified manifest a tag or digest names, with its descriptor. Throws as `resolve`. */
  async fetchReference(reference: string, o: OpOptions = {}): Promise<{ desc: Descriptor; body: Readable }> {
    checkReference(reference)
    const { desc, bytes } = await this.manifests.get(reference, { signal: o.signal })
    return { desc, body: Readable.from([bytes]) }
  }

  /**
   * Pushes a manifest straight under a tag (one PUT instead of push + tag). Throws as `push`,
   * and InvalidReferenceError for a malformed reference or a blob descriptor.
   */
  async pushReference(expected: Descriptor, body: Body, reference: string, o: OpOptions = {}): Promise<void> {
    checkReference(reference)
    if (!isManifest(expected.mediaType)) {
      discardBody(body)
      throw new InvalidReferenceError(reference, `${expected.mediaType} is not a manifest; only manifests can be pushed under a tag`)
    }
    await this.putManifest(expected, body, reference, o.signal)
  }

  /**
   * Pushes a manifest by digest, or under tag `o.reference`, and tells how it was recorded as a
   * referrer when it has a subject: by the registry (`OCI-Subject`), or in the subject's
   * `sha256-<hex>` tag-schema index (ReferrersMode decides). Throws as `push` and
   * `pushReference`, and UnsupportedError in mode 'api' on a registry without the API.
   */
  async pushManifest(expected: Descriptor, body: Body, o: OpOptions & { reference?: string } = {}): Promise<PushedManifest> {
    if (o.reference !== undefined) checkReference(o.reference)
    if (!isManifest(expected.mediaType)) {
      discardBody(body)
      throw new InvalidReferenceError(expected.digest, `${expected.mediaType} is not a manifest`)
    }
    const referrer = await this.putManifest(expected, body, o.reference ?? expected.digest, o.signal)
    return referrer === undefined ? {} : { referrer }
  }

  /**
   * Mounts blob `desc` from another repository of the same registry (POST `?mount=&from=`).
   * When the registry opens an upload instead (202), the content of `getContent` is uploaded
   * into it, or without `getContent` the upload is cancelled and UnsupportedError thrown.
   * Throws InvalidReferenceError for a malformed repository name, UnsupportedError for a manifest.
   */
  async mount(desc: Descriptor, fromRepository: string, getContent?: () => Promise<Readable>, o: OpOptions = {}): Promise<void> {
    if (isManifest(desc.mediaType)) throw new UnsupportedError(`cannot mount manifest ${desc.digest}: registries mount blobs only`)
    const from = parseRegistryReference(`${this.registry}/${fromRepository}`, false)
    if (from.tag !== undefined || from.digest !== undefined || from.registry !== this.registry) {
      throw new InvalidReferenceError(fromRepository, 'give a repository name of the same registry, without tag or digest')
    }
    await this.uploader.mount(desc, from.repository, getContent, o.signal)
  }

  /**
   * The repository's tags, after `o.last` when given, page by page as the registry's `Link`
   * header leads; each page in code-unit order. A repository that does not exist lists nothing.
   * Throws RegistryResponseError, and InvalidContentError for a page that is not a tag list.
   */
  listTags(o: OpOptions & { last?: string } = {}): AsyncIterable<string> {
    return listTags(this.ctx, { last: o.last, pageSize: this.tagPageSize, signal: o.signal })
  }

  /** Manifests whose subject is `subject`: referrers API, else the referrers tag schema. */
  listReferrers(subject: Descriptor, o: OpOptions & { artifactType?: string } = {}): AsyncIterable<Descriptor> {
    return this.referrers.list(subject, o)
  }

  /**
   * The referrers of `node`. A registry cannot say which manifests or indexes point at a node
   * through their config, layers or manifests lists; only `subject` links are indexed (by the
   * referrers API or the tag schema), so those are the only predecessors a registry can find.
   */
  async predecessors(node: Descriptor, o: OpOptions = {}): Promise<Descriptor[]> {
    const found: Descriptor[] = []
    for await (const d of this.referrers.list(node, o)) found.push(d)
    return found
  }

  /**
   * Deletes a manifest or blob by digest. A manifest with a subject is also removed from the
   * subject's referrers tag when the registry has no referrers API (the spec asks clients to);
   * that needs the manifest read first. Distribution removes every tag of a deleted manifest.
   * Throws NotFoundError when absent, RegistryResponseError when refused (405 when deletion is
   * disabled: D2-4, GHCR-2).
   */
  async delete(desc: Descriptor, o: OpOptions = {}): Promise<void> {
    if (!isManifest(desc.mediaType)) return this.blobs.delete(desc, o.signal)
    let subject: Descriptor | undefined
    if (this.referrers.support !== 'supported') {
      const current = await this.manifests.get(desc.digest, { signal: o.signal, expected: desc })
      subject = storedSubject(current.bytes, current.desc.mediaType)
    }
    await this.manifests.delete(desc.digest, o.signal)
    if (subject !== undefined) await this.referrers.deleted(desc, subject, o.signal)
  }

  /**
   * Removes a tag; the manifest stays. DELETE `/manifests/<tag>` first; when the registry
   * refuses deletion by tag (distribution 2.8 answers 400 DIGEST_INVALID, its DeleteManifest
   * taking digests only: https://github.com/distribution/distribution/blob/v2.8.2/registry/handlers/manifests.go;
   * others 400 or 405 UNSUPPORTED, as the spec allows:
   * https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#deleting-tags) it is done the way
   * regctl does: the tag is moved onto a throwaway manifest (an OCI artifact with the empty
   * config and a random annotation, so its digest is new) and that manifest is deleted by
   * digest, which takes the tag with it. Should that delete be refused, the tag is put back
   * where it was and an error thrown.
   * Throws NotFoundError for an unknown tag, InvalidReferenceError for a digest or malformed tag.
   */
  async untag(reference: string, o: OpOptions = {}): Promise<void> {
    if (!isValidTag(reference)) throw new InvalidReferenceError(reference, 'untag takes a tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})')
    try {
      await this.manifests.delete(reference, o.signal)
      return
    } catch (err) {
      if (!hasStatus(err, 400, 405)) throw err
    }
    const original = await this.manifests.resolve(reference, o.signal)
    const emptyConfig = EMPTY_DESCRIPTOR
    // Distribution refuses a manifest whose config blob is not in the repository, `data` or not (it checks every
    // blob: https://github.com/distribution/distribution/blob/v2.8.2/registry/storage/ocimanifesthandler.go).
    await this.pushBlobContent(emptyConfig, { bytes: EMPTY_JSON }, o.signal)
    const throwaway = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.OciManifest,
        artifactType: UNTAG_ARTIFACT_TYPE,
        config: emptyConfig,
        layers: [],
        annotations: { 'io.ocibundle.untag.tag': reference, 'io.ocibundle.untag.nonce': randomUUID() },
      }),
    )
    const throwawayDesc = descriptorFromBytes(MediaTypes.OciManifest, throwaway)
    await this.manifests.put(reference, throwawayDesc, throwaway, { signal: o.signal })
    try {
      await this.manifests.delete(throwawayDesc.digest, o.signal)
    } catch (err) {
      const restored = await this.tag(original, reference).then(
        () => true,
        () => false,
      )
      throw new OcibundleError(
        `cannot remove tag "${reference}" from ${this.name}: the registry refuses to delete by tag and by digest${restored ? '' : `, and the tag now names the throwaway manifest ${throwawayDesc.digest}`}`,
        { cause: err },
      )
    }
  }

  private get name(): string {
    return `${this.registry}/${this.repository}`
  }

  private async pushBlobContent(
    expected: Descriptor,
    content: UploadContent,
    signal: AbortSignal | undefined,
    knownAbsent = false,
  ): Promise<void> {
    // Copy has just asked `exists`; a second HEAD per blob would cost a round trip each.
    if (!knownAbsent && (await this.blobs.exists(expected, signal))) return
    await this.uploader.upload(expected, content, signal)
  }

  private async putManifest(
    expected: Descriptor,
    body: Body,
    reference: string,
    signal: AbortSignal | undefined,
  ): Promise<ReferrerRecord | undefined> {
    const { bytes } = await readManifestBody(expected, body, signal)
    const parsed = parseManifest(bytes, expected.mediaType)
    const { ociSubject } = await this.manifests.put(reference, expected, bytes, { signal })
    return this.referrers.pushed(expected, parsed, ociSubject, signal)
  }
}

/** A tag or a digest, as registries accept them in URLs; anything else is refused before a request. */
function checkReference(reference: string): void {
  if (!isDigest(reference) && !isValidTag(reference)) {
    throw new InvalidReferenceError(reference, 'a registry reference is a tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}) or a digest')
  }
}

/** The subject of stored manifest bytes; undefined when it has none or does not parse (it is being deleted anyway). */
function storedSubject(bytes: Uint8Array, mediaType: string): Descriptor | undefined {
  let parsed: ParsedManifest
  try {
    parsed = parseManifest(bytes, mediaType)
  } catch (err) {
    if (err instanceof InvalidContentError) return undefined
    throw err
  }
  return subjectOf(parsed)
}
