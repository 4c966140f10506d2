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
import { setTimeout as sleep } from 'node:timers/promises'
import { readBounded } from '../util/streams.js'
import { DigestMismatchError, InvalidContentError, NotFoundError, OcibundleError, SizeMismatchError, UnsupportedError } from '../errors.js'
import { descriptorFromBytes, type Descriptor } from '../oci/descriptor.js'
import { digestAlgorithm, digestEncoded, type Digest } from '../oci/digest.js'
import { MAX_MANIFEST_BYTES, parseManifest, type ImageIndex, type ParsedManifest } from '../oci/manifest.js'
import { baseMediaType, isManifest, MediaTypes } from '../oci/media-types.js'
import { referrerDescriptor, subjectOf } from '../oci/referrers.js'
import type { RepositoryContext, RepositoryRequest } from './context.js'
import type { RegistryResponse } from './http/client.js'
import type { FetchedManifest, ManifestStore } from './manifest-store.js'
import { discard, hasStatus, header } from './responses.js'
import { nextLink, referrersPath } from './urls.js'

/** What is known about the repository's referrers API: nothing yet, or the outcome of the probe. */
export type ReferrersSupport = 'unknown' | 'supported' | 'unsupported'

/**
 * Where referrers are recorded and looked up: `api` only through the registry's referrers API
 * (a push the registry does not index, no `OCI-Subject`, is an error); `tag` always in the
 * referrers tag schema, API or not (for readers that only know the tags); `auto` the API where
 * the registry has it, else the tag schema (the spec's client behaviour).
 */
export type ReferrersMode = 'auto' | 'api' | 'tag'

/** How a pushed manifest with a subject was recorded: by the registry itself, or in the subject's tag-schema index. */
export type ReferrerRecord = { via: 'registry' } | { via: 'tag-schema'; tag: string }

/** Pre-release (rc) spelling of OCI-Filters-Applied, as an index annotation; oras-go checks both. */
const FILTERS_APPLIED_ANNOTATION = 'org.opencontainers.referrers.filtersApplied'
/** Read-modify-write rounds of the tag-schema index before giving up on a writer that keeps replacing it. */
const MAX_INDEX_UPDATES = 5
/** Bounds of the pause before a written index is read back (see settleDelay). */
const SETTLE_MIN_MS = 50
const SETTLE_MAX_MS = 1000

/** The updates of each tag-schema index in progress in this process, so that they take turns. */
const indexLocks = new Map<string, Promise<void>>()

/** Runs `fn` after every earlier update of `key` in this process has ended. */
async function withIndexLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const before = indexLocks.get(key) ?? Promise.resolve()
  let release!: () => void
  const mine = new Promise<void>((resolve) => (release = resolve))
  const chain = before.then(() => mine)
  indexLocks.set(key, chain)
  await before
  try {
    return await fn()
  } finally {
    release()
    if (indexLocks.get(key) === chain) indexLocks.delete(key)
  }
}

/**
 * How long to wait before reading a written index back: twice what our own read and write
 * took (another writer's read-modify-write takes about as long, and a PUT of theirs that was
 * in flight lands within that time), at least 50 ms, at most 1 s.
 */
function settleDelay(readToWriteMs: number): number {
  return Math.min(SETTLE_MAX_MS, Math.max(SETTLE_MIN_MS, 2 * readToWriteMs))
}

export interface ListReferrersOptions {
  /** Only referrers of this artifact type. */
  artifactType?: string | undefined
  signal?: AbortSignal | undefined
}

/** One page of the referrers API, or why there is none. */
type ApiPage = { referrers: Descriptor[]; url: string; next?: string } | 'unsupported' | 'no-repository'

/** What the referrers tag holds: nothing, an index (with its ETag), something else, or (GITLAB-1) the subject itself. */
type TagIndex = { index: ImageIndex; etag?: string } | 'invalid' | 'subject' | undefined

/**
 * The referrers tag of a digest: `<alg>-<encoded>`, the algorithm cut to 32 and the encoded part
 * to 64 characters and anything a tag may not hold replaced with `-` (spec HEAD-dev rule; for
 * sha256 this is just `sha256-<hex>`).
 */
export function referrersTag(digest: Digest): string {
  const tag = `${digestAlgorithm(digest).slice(0, 32)}-${digestEncoded(digest).slice(0, 64)}`
  return tag.replace(/[^A-Za-z0-9_.-]/g, '-')
}

/** Lists referrers of one repository and maintains its tag-schema indexes; remembers the API probe. */
export class Referrers {
  constructor(
    private readonly ctx: RepositoryContext,
    private readonly manifests: ManifestStore,
    private state: ReferrersSupport = 'unknown',
    private readonly mode: ReferrersMode = 'auto',
  ) {}

  /** What the probe found so far. */
  get support(): ReferrersSupport {
    return this.state
  }

  /**
   * Yields the referrers of `subject`: from the API, following `Link` pages and filtering by
   * artifactType here when the registry says it did not (`OCI-Filters-Applied`); else from the
   * tag-schema index, which counts as empty when absent, not an index, or the subject itself
   * (GITLAB-1), and whose entries count only when their manifest names the subject.
   * The first call probes the API: 200 with an index → supported; 405, a 200 that is not an
   * index (GAR redirects to an HTML sign-in page, GAR-2) or a 404 other than NAME_UNKNOWN
   * (distribution's router has no such route and answers `404 page not found` in text, D2-1)
   * → unsupported. A 404 NAME_UNKNOWN means the repository does not exist: no referrers, and
   * nothing learned (oras-go does the same). Mode `api` throws UnsupportedError where there is
   * no API; mode `tag` reads the tag schema only.
   */
  async *list(subject: Descriptor, o: ListReferrersOptions = {}): AsyncGenerator<Descriptor> {
    if (this.mode !== 'tag' && this.state !== 'unsupported') {
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
    if (this.mode === 'api') throw this.noApi()
    const current = await this.readTagIndex(subject.digest, o.signal)
    if (current === undefined || current === 'invalid' || current === 'subject') return
    for (const d of current.index.manifests) {
      if (o.artifactType !== undefined && d.artifactType !== o.artifactType) continue
      if (await this.namesSubject(d, subject.digest, o.signal)) yield d
    }
  }

  /**
   * Records a pushed manifest that has a subject, as the mode says, and tells how. In `auto`
   * mode the registry's `OCI-Subject` answer on the PUT means it indexed the manifest itself;
   * that is not trusted once a probe found no API (ECR sent it without one: ECR-8,
   * sigstore-js #1183). Otherwise the subject's tag-schema index is updated as the spec lists
   * it: read (404 → empty), fail if it is not an index, skip if already listed, append, PUT
   * back, then read back and merge again should another writer have replaced it. Mode `api`
   * throws UnsupportedError when the registry did not index it (the manifest is pushed all the
   * same). Resolves undefined for a manifest without subject.
   */
  async pushed(
    desc: Descriptor,
    parsed: ParsedManifest,
    ociSubject: string | undefined,
    signal?: AbortSignal,
  ): Promise<ReferrerRecord | undefined> {
    const subject = subjectOf(parsed)
    if (subject === undefined) return undefined
    if (this.mode === 'api') {
      if (ociSubject === undefined && (await this.probe(subject.digest, signal)) !== 'supported') throw this.noApi(desc)
      return { via: 'registry' }
    }
    if (this.mode === 'auto' && ociSubject !== undefined && this.state !== 'unsupported') return { via: 'registry' }
    const entry = referrerDescriptor(desc, parsed)
    await this.updateTagIndex(subject.digest, (list) => (list.some((d) => d.digest === desc.digest) ? undefined : [...list, entry]), signal)
    return { via: 'tag-schema', tag: referrersTag(subject.digest) }
  }

  /**
   * Removes a deleted manifest from its subject's tag-schema index, as the spec asks of clients
   * on registries without the API (probed here if not known yet; mode `tag` always, `api` never).
   */
  async deleted(desc: Descriptor, subject: Descriptor, signal?: AbortSignal): Promise<void> {
    if (this.mode === 'api') return
    if (this.mode === 'auto' && (await this.probe(subject.digest, signal)) === 'supported') return
    await this.updateTagIndex(
      subject.digest,
      (list) => (list.some((d) => d.digest === desc.digest) ? list.filter((d) => d.digest !== desc.digest) : undefined),
      signal,
    )
  }

  /** Whether the API exists, probed with a listing of `subject` when not known yet. */
  private async probe(subject: Digest, signal: AbortSignal | undefined): Promise<ReferrersSupport> {
    if (this.state === 'unknown') {
      const page = await this.apiPage(referrersPath(this.ctx.repository, subject), { signal }, true)
      if (page !== 'unsupported' && page !== 'no-repository') this.state = 'supported'
    }
    return this.state
  }

  private noApi(desc?: Descriptor): UnsupportedError {
    const pushed = desc !== undefined ? `; ${desc.digest} was pushed, but nothing lists it as a referrer` : ''
    return new UnsupportedError(`${this.ctx.registry}/${this.ctx.repository} has no referrers API (referrers mode "api")${pushed}`, {
      suggestions: ['use --referrers-mode auto (the default) or tag: the referrers are then kept under the sha256-<hex> tag schema'],
    })
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

  /**
   * Whether a tag-schema entry is a manifest of this repository whose `subject` is `subject`
   * (read by digest, verified). Entries that are not (another tool's mistake, a manifest
   * deleted since, a registry that filled the tag with something else) are not referrers.
   */
  private async namesSubject(entry: Descriptor, subject: Digest, signal: AbortSignal | undefined): Promise<boolean> {
    if (!isManifest(entry.mediaType)) return false
    try {
      const { bytes, desc } = await this.manifests.get(entry.digest, { signal, expected: entry })
      return subjectOf(parseManifest(bytes, desc.mediaType))?.digest === subject
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof InvalidContentError) return false
      if (err instanceof DigestMismatchError || err instanceof SizeMismatchError) return false
      throw err
    }
  }

  /**
   * What the subject's referrers tag holds: undefined when absent, 'invalid' when it is not an
   * image index, 'subject' when the registry resolved the tag to the subject itself (GitLab
   * treats `sha256-<hex>` as the digest `sha256:<hex>`, GITLAB-1; oras-go#1396).
   */
  private async readTagIndex(subject: Digest, signal: AbortSignal | undefined): Promise<TagIndex> {
    let fetched: FetchedManifest
    try {
      fetched = await this.manifests.get(referrersTag(subject), { signal })
    } catch (err) {
      if (err instanceof NotFoundError) return undefined
      throw err
    }
    if (fetched.desc.digest === subject) return 'subject'
    let parsed: ParsedManifest
    try {
      parsed = parseManifest(fetched.bytes, fetched.desc.mediaType)
    } catch (err) {
      if (err instanceof InvalidContentError) return 'invalid'
      throw err
    }
    if (parsed.kind !== 'index' || baseMediaType(fetched.desc.mediaType) !== MediaTypes.OciIndex) return 'invalid'
    return { index: parsed.index, ...(fetched.etag !== undefined && { etag: fetched.etag }) }
  }

  /**
   * Read-modify-write of the subject's tag-schema index; `change` returns the new list, or
   * undefined when the list is as wanted. Writers of this process take turns. The PUT carries
   * `If-Match` when the read gave a strong ETag (a lost race, 412, starts over); the index is
   * then read back after a pause (settleDelay) and, should another writer have replaced it
   * without our change, changed again. Other fields and entries of the index are kept.
   * Throws InvalidContentError when the tag holds something other than an index (the spec
   * says to fail rather than overwrite it), UnsupportedError where the registry resolves the
   * tag to the subject itself (GITLAB-1: a tag written there could never be read back), and
   * OcibundleError when another writer still replaced it after 5 rounds.
   */
  private async updateTagIndex(
    subject: Digest,
    change: (list: readonly Descriptor[]) => Descriptor[] | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const tag = referrersTag(subject)
    const where = `${this.ctx.registry}/${this.ctx.repository}`
    await withIndexLock(`${where}:${tag}`, async () => {
      for (let round = 1; ; round++) {
        const started = Date.now()
        const current = this.usable(await this.readTagIndex(subject, signal), tag, subject)
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
        } catch (err) {
          if (!hasStatus(err, 412) || round >= MAX_INDEX_UPDATES) throw err
          continue
        }
        await sleep(settleDelay(Date.now() - started), undefined, { signal })
        const after = this.usable(await this.readTagIndex(subject, signal), tag, subject)
        if (change(after?.index.manifests ?? []) === undefined) return
        if (round >= MAX_INDEX_UPDATES) {
          throw new OcibundleError(
            `the referrers index ${where}:${tag} was replaced by another writer ${round} times in a row; not retrying`,
            {
              suggestions: ['run the command again once the other writer is done'],
            },
          )
        }
      }
    })
  }

  /** A tag-schema index that can be updated, or undefined for none yet; throws where it cannot. */
  private usable(found: TagIndex, tag: string, subject: Digest): { index: ImageIndex; etag?: string } | undefined {
    if (found === 'invalid') {
      throw new InvalidContentError(
        `the referrers tag ${tag} of ${this.ctx.repository} holds something other than an image index; not changing it`,
      )
    }
    if (found === 'subject') {
      throw new UnsupportedError(
        `${this.ctx.registry} resolves the referrers tag ${tag} to the manifest ${subject} itself (GITLAB-1), so a referrers index written there could not be read back; referrers cannot be recorded on this registry`,
        { suggestions: ['keep signatures and SBOMs in a registry with the referrers API, or in an OCI layout'] },
      )
    }
    return found
  }
}
