/**
 * Referrers of a subject: the manifests whose `subject` names it. Registries with the referrers
 * API list them at GET `/v2/<name>/referrers/<digest>`; for the others (distribution 2.8 and 3,
 * GHCR, GCR: D2-1, D3-1, GHCR-1, GCR-6) clients keep an image index of them
 * under the tag `<alg>-<encoded>` (the "referrers tag schema") and update it on every push of a
 * manifest with a subject. Whether the API exists is probed once per repository and remembered
 * (oras-go and regclient do the same).
 * References:
 *  - https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#listing-referrers
 *  - https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#pushing-manifests-with-subject
 *  - https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#referrers-tag-schema
 */
import { readBounded } from '../util/streams.js'
import { InvalidContentError, NotFoundError } from '../errors.js'
import { descriptorFromBytes, type Descriptor } from '../oci/descriptor.js'
import { digestAlgorithm, digestEncoded, type Digest } from '../oci/digest.js'
import { MAX_MANIFEST_BYTES, parseManifest, type ImageIndex, type ParsedManifest } from '../oci/manifest.js'
import { baseMediaType, MediaTypes } from '../oci/media-types.js'
import type { RepositoryContext, RepositoryRequest } from './context.js'
import type { RegistryResponse } from './http/client.js'
import type { FetchedManifest, ManifestStore } from './manifest-store.js'
import { discard, hasStatus, header } from './responses.js'
import { nextLink, referrersPath } from './urls.js'

/** What is known about the repository's referrers API: nothing yet, or the outcome of the probe. */
export type ReferrersSupport = 'unknown' | 'supported' | 'unsupported'

/** Pre-release (rc) spelling of OCI-Filters-Applied, as an index annotation; oras-go checks both. */
const FILTERS_APPLIED_ANNOTATION = 'org.opencontainers.referrers.filtersApplied'
/** Read-modify-write rounds of the tag-schema index when a conditional PUT loses a race (412). */
const MAX_INDEX_UPDATES = 3

export interface ListReferrersOptions {
  /** Only referrers of this artifact type. */
  artifactType?: string | undefined
  signal?: AbortSignal | undefined
}

/** One page of the referrers API, or why there is none. */
type ApiPage = { referrers: Descriptor[]; url: string; next?: string } | 'unsupported' | 'no-repository'

/**
 * The referrers tag of a digest: `<alg>-<encoded>`, the algorithm cut to 32 and the encoded part
 * to 64 characters and anything a tag may not hold replaced with `-` (spec HEAD-dev rule; for
 * sha256 this is just `sha256-<hex>`).
 */
export function referrersTag(digest: Digest): string {
  const tag = `${digestAlgorithm(digest).slice(0, 32)}-${digestEncoded(digest).slice(0, 64)}`
  return tag.replace(/[^A-Za-z0-9_.-]/g, '-')
}

/**
 * The descriptor a referrers list holds for a manifest: its artifactType (else, for an image
 * manifest, its config's media type) and all its annotations, as the spec asks of both the API
 * and the tag schema.
 */
export function referrerDescriptor(desc: Descriptor, parsed: ParsedManifest): Descriptor {
  const doc = parsed.kind === 'index' ? parsed.index : parsed.manifest
  const artifactType = doc.artifactType ?? (parsed.kind === 'manifest' ? parsed.manifest.config.mediaType : undefined)
  return {
    mediaType: desc.mediaType,
    digest: desc.digest,
    size: desc.size,
    ...(artifactType !== undefined && { artifactType }),
    ...(doc.annotations !== undefined && { annotations: doc.annotations }),
  }
}

/** Lists referrers of one repository and maintains its tag-schema indexes; remembers the API probe. */
export class Referrers {
  constructor(
    private readonly ctx: RepositoryContext,
    private readonly manifests: ManifestStore,
    private state: ReferrersSupport = 'unknown',
  ) {}

  /** What the probe found so far. */
  get support(): ReferrersSupport {
    return this.state
  }

  /**
   * Yields the referrers of `subject`: from the API, following `Link` pages and filtering by
   * artifactType here when the registry says it did not (`OCI-Filters-Applied`); else from the
   * tag-schema index, which counts as empty when absent or not an index (as the spec says).
   * The first call probes the API: 200 with an index → supported; 405, a 200 that is not an
   * index (GAR redirects to an HTML sign-in page, GAR-2) or a 404 other than NAME_UNKNOWN
   * (distribution's router has no such route and answers `404 page not found` in text, D2-1)
   * → unsupported. A 404 NAME_UNKNOWN means the repository does not exist: no referrers, and
   * nothing learned (oras-go does the same).
   */
  async *list(subject: Descriptor, o: ListReferrersOptions = {}): AsyncGenerator<Descriptor> {
    if (this.state !== 'unsupported') {
      let page = await this.apiPage(referrersPath(this.ctx.repository, subject.digest), o, true)
      if (page === 'no-repository') return
      // A Link that leads back to a page already read would page forever.
      const visited = new Set<string>()
      while (page !== 'unsupported' && page !== 'no-repository') {
        yield* page.referrers
        visited.add(page.url)
        if (page.next === undefined || visited.has(page.next)) return
        page = await this.apiPage(page.next, { ...o, artifactType: undefined }, false)
      }
    }
    const current = await this.readTagIndex(subject.digest, o.signal)
    if (current === undefined || current === 'invalid') return
    for (const d of current.index.manifests) if (o.artifactType === undefined || d.artifactType === o.artifactType) yield d
  }

  /**
   * Records a pushed manifest that has a subject in the subject's tag-schema index, unless the
   * registry indexed it itself. That is what `OCI-Subject` on the PUT answer says, but it is
   * not trusted once a probe found no API: ECR sent it without one (ECR-8,
   * sigstore-js #1183). Steps as the spec lists them: read the index (404 → empty), fail if it
   * is not an index, skip if already listed, append, PUT back (conditional when the registry
   * gave an ETag).
   */
  async pushed(desc: Descriptor, parsed: ParsedManifest, ociSubject: string | undefined, signal?: AbortSignal): Promise<void> {
    const subject = parsed.kind === 'index' ? parsed.index.subject : parsed.manifest.subject
    if (subject === undefined) return
    if (ociSubject !== undefined && this.state !== 'unsupported') return
    const entry = referrerDescriptor(desc, parsed)
    await this.updateTagIndex(subject.digest, (list) => (list.some((d) => d.digest === desc.digest) ? undefined : [...list, entry]), signal)
  }

  /**
   * Removes a deleted manifest from its subject's tag-schema index, as the spec asks of clients
   * on registries without the API (probed here if not known yet).
   */
  async deleted(desc: Descriptor, subject: Descriptor, signal?: AbortSignal): Promise<void> {
    if (this.state === 'unknown') await this.apiPage(referrersPath(this.ctx.repository, subject.digest), { signal }, true)
    if (this.state === 'supported') return
    await this.updateTagIndex(
      subject.digest,
      (list) => (list.some((d) => d.digest === desc.digest) ? list.filter((d) => d.digest !== desc.digest) : undefined),
      signal,
    )
  }

  /** One page of the referrers API; `probe` lets the answer decide whether the API exists. */
  private async apiPage(path: string, o: ListReferrersOptions, probe: boolean): Promise<ApiPage> {
    const request: RepositoryRequest = {
      method: 'GET',
      path,
      ...(o.artifactType !== undefined && { query: { artifactType: o.artifactType } }),
      headers: { accept: MediaTypes.OciIndex },
      scopes: this.ctx.pullScopes,
      expect: [200],
      ...(o.signal && { signal: o.signal }),
    }
    let page: ApiPage
    try {
      page = await this.ctx.sendAndRead(request, (res) => this.readPage(res, path, o, probe))
    } catch (err) {
      if (!probe || !hasStatus(err, 404, 405)) throw err
      if (err.status === 404 && err.hasCode('NAME_UNKNOWN')) return 'no-repository'
      this.state = 'unsupported'
      return 'unsupported'
    }
    if (page === 'unsupported') this.state = 'unsupported'
    return page
  }

  /** One answer of the referrers API: a page, or 'unsupported' when a probe's answer is not an index. */
  private async readPage(res: RegistryResponse, path: string, o: ListReferrersOptions, probe: boolean): Promise<ApiPage> {
    const type = header(res, 'content-type')
    if (type === undefined || baseMediaType(type) !== MediaTypes.OciIndex) {
      await discard(res)
      if (!probe)
        throw new InvalidContentError(`a referrers page of ${this.ctx.repository} is not an image index (${type ?? 'no Content-Type'})`)
      return 'unsupported'
    }
    this.state = 'supported'
    const next = nextLink(header(res, 'link'), res.url)
    const bytes = await readBounded(res.body, MAX_MANIFEST_BYTES, `referrers of ${path}`)
    const parsed = parseManifest(bytes, MediaTypes.OciIndex)
    if (parsed.kind !== 'index') throw new InvalidContentError(`a referrers page of ${this.ctx.repository} is not an image index`)
    const { index } = parsed
    const applied = [header(res, 'oci-filters-applied'), index.annotations?.[FILTERS_APPLIED_ANNOTATION]]
      .flatMap((v) => (v ?? '').split(','))
      .map((v) => v.trim())
    const filter = o.artifactType !== undefined && !applied.includes('artifactType') ? o.artifactType : undefined
    const referrers = index.manifests.filter((d) => filter === undefined || d.artifactType === filter)
    return { referrers, url: res.url, ...(next !== undefined && { next: this.ctx.sameOrigin(next) }) }
  }

  /** The subject's tag-schema index: undefined when absent, 'invalid' when the tag holds something else. */
  private async readTagIndex(
    subject: Digest,
    signal: AbortSignal | undefined,
  ): Promise<{ index: ImageIndex; etag?: string } | 'invalid' | undefined> {
    let fetched: FetchedManifest
    try {
      fetched = await this.manifests.get(referrersTag(subject), { signal })
    } catch (err) {
      if (err instanceof NotFoundError) return undefined
      throw err
    }
    let parsed: ParsedManifest
    try {
      parsed = parseManifest(fetched.bytes, fetched.desc.mediaType)
    } catch (err) {
      if (err instanceof InvalidContentError) return 'invalid'
      throw err
    }
    if (parsed.kind !== 'index') return 'invalid'
    return { index: parsed.index, ...(fetched.etag !== undefined && { etag: fetched.etag }) }
  }

  /**
   * Read-modify-write of the subject's tag-schema index; `change` returns the new list, or
   * undefined to leave it alone. The PUT carries `If-Match` when the read gave a strong ETag, and
   * a lost race (412) starts over. Throws InvalidContentError when the tag holds something other
   * than an index (the spec says to fail rather than overwrite it).
   */
  private async updateTagIndex(
    subject: Digest,
    change: (list: readonly Descriptor[]) => Descriptor[] | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const tag = referrersTag(subject)
    for (let round = 1; ; round++) {
      const current = await this.readTagIndex(subject, signal)
      if (current === 'invalid') {
        throw new InvalidContentError(
          `the referrers tag ${tag} of ${this.ctx.repository} holds something other than an image index; not changing it`,
        )
      }
      const list = change(current?.index.manifests ?? [])
      if (list === undefined) return
      const doc = { ...current?.index, schemaVersion: 2, mediaType: MediaTypes.OciIndex, manifests: list }
      const bytes = Buffer.from(JSON.stringify(doc))
      const etag = current?.etag
      try {
        await this.manifests.put(tag, descriptorFromBytes(MediaTypes.OciIndex, bytes), bytes, {
          signal,
          // A weak ETag never matches for If-Match (RFC 9110 §13.1.1).
          ...(etag !== undefined && !etag.startsWith('W/') && { ifMatch: etag }),
        })
        return
      } catch (err) {
        if (!hasStatus(err, 412) || round >= MAX_INDEX_UPDATES) throw err
      }
    }
  }
}
