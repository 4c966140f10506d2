/**
 * Manifests on a registry: HEAD/GET/PUT/DELETE `/v2/<name>/manifests/<reference>`. Every manifest
 * received is read with a 4 MiB bound and checked against everything that names it (the digest
 * asked for, the descriptor, the `Docker-Content-Digest` header) before anyone sees it.
 * References:
 *  - https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#pulling-manifests
 *  - https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#pushing-manifests
 */
import { readBounded } from '../util/streams.js'
import { DigestMismatchError, NotFoundError, SizeLimitError } from '../errors.js'
import type { Descriptor } from '../oci/descriptor.js'
import { digestOf, isDigest, isDigestAlgorithm, verifyBytes, type Digest } from '../oci/digest.js'
import { MAX_MANIFEST_BYTES, parseManifest } from '../oci/manifest.js'
import { baseMediaType, isManifest, MANIFEST_ACCEPT } from '../oci/media-types.js'
import type { RepositoryContext, RepositoryRequest } from './context.js'
import { releaseBody, type RegistryResponse } from './http/client.js'
import { contentLength, discard, hasStatus, header } from './responses.js'
import { manifestPath } from './urls.js'

/**
 * Every manifest type we read, sent on every manifest request
 * (https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#pulling-manifests; D2-5, GHCR-5).
 */
const ACCEPT = MANIFEST_ACCEPT.join(', ')

/** A manifest read from the registry and verified. */
export interface FetchedManifest {
  desc: Descriptor
  /** Exactly the bytes served; they hash to `desc.digest`. */
  bytes: Buffer
  /** The `ETag` of the answer, for a conditional update (referrers tag schema). */
  etag?: string
}

/** What a manifest PUT answered that callers act on. */
export interface PutManifestResult {
  /** `OCI-Subject`: the registry indexed the manifest's subject itself (it has the referrers API). */
  ociSubject?: string
}

/** The manifest endpoints of one repository. */
export class ManifestStore {
  constructor(private readonly ctx: RepositoryContext) {}

  /**
   * Describes the manifest `reference` (a tag or digest) names: by HEAD, or by GET and hashing
   * when HEAD is refused (405) or its answer lacks `Docker-Content-Digest`, `Content-Type` or
   * `Content-Length` (registry.redhat.io, OTH-4; ECR, ECR-9).
   * Throws NotFoundError (404), SizeLimitError above 4 MiB, DigestMismatchError.
   */
  async resolve(reference: string, signal?: AbortSignal): Promise<Descriptor> {
    let res: RegistryResponse
    try {
      res = await this.request('HEAD', reference, signal)
    } catch (err) {
      if (!hasStatus(err, 405)) throw err
      return (await this.get(reference, { signal })).desc
    }
    await discard(res)
    // Asked by digest, the digest is known; only a tag needs the header (or the body).
    const digest = header(res, 'docker-content-digest') ?? (isDigest(reference) ? reference : undefined)
    const type = header(res, 'content-type')
    const size = contentLength(res)
    if (size !== undefined && size > MAX_MANIFEST_BYTES)
      throw new SizeLimitError(`manifest ${reference} (${size} bytes)`, MAX_MANIFEST_BYTES)
    if (digest === undefined || !isDigest(digest) || type === undefined || !isManifest(type) || size === undefined) {
      return (await this.get(reference, { signal })).desc
    }
    if (isDigest(reference) && digest !== reference) throw new DigestMismatchError(reference, digest)
    return { mediaType: baseMediaType(type), digest, size }
  }

  /**
   * Whether the manifest `desc` names is present: HEAD by digest (GET when HEAD is refused).
   * A HEAD answer whose Content-Length differs from `desc.size` counts as absent.
   */
  async exists(desc: Descriptor, signal?: AbortSignal): Promise<boolean> {
    try {
      const res = await this.request('HEAD', desc.digest, signal)
      await discard(res)
      const size = contentLength(res)
      return size === undefined || size === desc.size
    } catch (err) {
      if (err instanceof NotFoundError) return false
      if (!hasStatus(err, 405)) throw err
    }
    try {
      await this.get(desc.digest, { signal, expected: desc })
      return true
    } catch (err) {
      if (err instanceof NotFoundError) return false
      throw err
    }
  }

  /**
   * GETs a manifest and verifies it: a Content-Length above 4 MiB is refused before reading, the
   * body is read with that bound, and its digest must equal the digest asked for, the
   * `Docker-Content-Digest` header when present, and `expected` when given (size too). The media
   * type comes from Content-Type, else `expected`, else the document.
   * Throws NotFoundError, SizeLimitError, SizeMismatchError, DigestMismatchError, InvalidContentError.
   */
  async get(reference: string, o: { signal?: AbortSignal | undefined; expected?: Descriptor } = {}): Promise<FetchedManifest> {
    const { expected } = o
    if (expected !== undefined && expected.size > MAX_MANIFEST_BYTES) {
      throw new SizeLimitError(`manifest ${expected.digest} (${expected.size} bytes)`, MAX_MANIFEST_BYTES)
    }
    try {
      return await this.ctx.sendAndRead(this.requestOf('GET', reference, o.signal), (res) => this.read(res, reference, expected))
    } catch (err) {
      if (hasStatus(err, 404)) throw new NotFoundError(`manifest ${reference} not found in ${this.name}`, { cause: err })
      throw err
    }
  }

  /** Reads and verifies a manifest answer; see get. */
  private async read(res: RegistryResponse, reference: string, expected: Descriptor | undefined): Promise<FetchedManifest> {
    const length = contentLength(res)
    if (length !== undefined && length > MAX_MANIFEST_BYTES) {
      releaseBody(res.body)
      throw new SizeLimitError(`manifest ${reference} (${length} bytes)`, MAX_MANIFEST_BYTES)
    }
    const bytes = await readBounded(res.body, MAX_MANIFEST_BYTES, `manifest ${reference}`)
    if (isDigest(reference)) verifyClaim(bytes, reference)
    const served = header(res, 'docker-content-digest')
    if (served !== undefined) verifyClaim(bytes, served)
    if (expected !== undefined) verifyBytes(bytes, expected.digest, expected.size)
    const digest = expected?.digest ?? (isDigest(reference) ? reference : digestOf(bytes))
    const type = header(res, 'content-type')
    const mediaType = type !== undefined && isManifest(type) ? baseMediaType(type) : (expected?.mediaType ?? parseManifest(bytes).mediaType)
    const etag = header(res, 'etag')
    return { desc: { mediaType, digest, size: bytes.length }, bytes, ...(etag !== undefined && { etag }) }
  }

  /**
   * PUTs exactly `bytes` (already verified against `desc`) under `reference`, a tag or `desc`'s
   * digest, with Content-Type = `desc`'s media type without parameters (distribution refuses a
   * manifest PUT without the right Content-Type: it parses the body as that type,
   * https://github.com/distribution/distribution/blob/v2.8.2/registry/handlers/manifests.go). A
   * `Docker-Content-Digest` answer other than `desc.digest` throws DigestMismatchError.
   * `ifMatch` makes the PUT conditional (HTTP 412 when the manifest changed meanwhile).
   */
  async put(
    reference: string,
    desc: Descriptor,
    bytes: Uint8Array,
    o: { signal?: AbortSignal | undefined; ifMatch?: string } = {},
  ): Promise<PutManifestResult> {
    const res = await this.ctx.send({
      method: 'PUT',
      path: manifestPath(this.ctx.repository, reference),
      headers: { 'content-type': baseMediaType(desc.mediaType), ...(o.ifMatch !== undefined && { 'if-match': o.ifMatch }) },
      body: bytes,
      scopes: this.ctx.pushScopes,
      ...(o.signal && { signal: o.signal }),
    })
    await discard(res)
    const stored = header(res, 'docker-content-digest')
    if (stored !== undefined && stored !== desc.digest) throw new DigestMismatchError(desc.digest, stored)
    const ociSubject = header(res, 'oci-subject')
    return ociSubject === undefined ? {} : { ociSubject }
  }

  /** DELETEs a manifest by digest, or a tag. Throws NotFoundError (404), RegistryResponseError otherwise. */
  async delete(reference: string, signal?: AbortSignal): Promise<void> {
    try {
      await discard(
        await this.ctx.send({
          method: 'DELETE',
          path: manifestPath(this.ctx.repository, reference),
          scopes: this.ctx.deleteScopes,
          ...(signal && { signal }),
        }),
      )
    } catch (err) {
      if (hasStatus(err, 404)) throw new NotFoundError(`manifest ${reference} not found in ${this.name}`, { cause: err })
      throw err
    }
  }

  /** `registry/repository`, for messages. */
  get name(): string {
    return `${this.ctx.registry}/${this.ctx.repository}`
  }

  /** HEAD or GET with the full Accept list. */
  private requestOf(method: 'HEAD' | 'GET', reference: string, signal: AbortSignal | undefined): RepositoryRequest {
    return {
      method,
      path: manifestPath(this.ctx.repository, reference),
      // Distribution answers 404 to an OCI manifest or index not named in Accept (D2-5).
      headers: { accept: ACCEPT },
      scopes: this.ctx.pullScopes,
      expect: [200],
      ...(signal && { signal }),
    }
  }

  /** HEAD or GET with the full Accept list; a 404 becomes NotFoundError. */
  private async request(method: 'HEAD' | 'GET', reference: string, signal: AbortSignal | undefined): Promise<RegistryResponse> {
    try {
      return await this.ctx.send(this.requestOf(method, reference, signal))
    } catch (err) {
      if (hasStatus(err, 404)) throw new NotFoundError(`manifest ${reference} not found in ${this.name}`, { cause: err })
      throw err
    }
  }
}

/** Checks bytes against a digest someone claimed for them (URL or header); throws DigestMismatchError. */
function verifyClaim(bytes: Uint8Array, claimed: string): void {
  const alg = claimed.slice(0, claimed.indexOf(':'))
  const actual: Digest = isDigestAlgorithm(alg) ? digestOf(bytes, alg) : digestOf(bytes)
  if (actual !== claimed) throw new DigestMismatchError(claimed, actual)
}
