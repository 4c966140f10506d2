/**
 * Reading single things a reference names, in a registry or an OCI layout: the digest a tag
 * points at, a manifest's exact bytes, one blob, the tags of a repository. What `resolve`,
 * `manifest get`, `blob get` and `tag ls` do, as library calls.
 */
import type { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Transform } from 'node:stream'
import { canListTags, canResolveBlob } from '../content/storage.js'
import { fetchAll, fetchVerified, isIntegrityFailure } from '../content/verify.js'
import { UnsupportedError, UsageError } from '../errors.js'
import type { Descriptor } from '../oci/descriptor.js'
import { parseManifest } from '../oci/manifest.js'
import { formatReference } from '../oci/reference.js'
import { contentReference, sourceReference } from './target-argument.js'
import { writeFileAtomic } from '../util/files.js'
import { withTargets, type OperationOptions } from './open-target.js'

/**
 * The descriptor (media type, digest, size) of the manifest `reference` names
 * (`host/repo:tag`, `host/repo@sha256:…`, `ocidir://dir:tag`). Throws NotFoundError when it
 * names nothing, UsageError when it names no tag or digest (a layout), and the registry's errors.
 */
export async function resolveReference(reference: string, options: OperationOptions = {}): Promise<Descriptor> {
  const { ref, selector } = contentReference(reference)
  return withTargets(options, [ref], async (targets) => (await targets.open(ref)).resolve(selector, { signal: options.signal }))
}

/** A manifest or index read by fetchManifest. */
export interface FetchedManifest {
  /** What the reference resolved to. */
  descriptor: Descriptor
  /** The manifest exactly as stored, verified against the descriptor (it hashes to its digest). */
  bytes: Buffer
  /** The manifest parsed as JSON (checked against the OCI image spec for its media type). */
  manifest: unknown
}

/**
 * Fetches the manifest or index `reference` names, verified against its digest and size
 * (4 MiB at most) and checked structurally. Throws what resolveReference throws,
 * DigestMismatchError or SizeMismatchError for wrong bytes, InvalidContentError for a malformed
 * manifest.
 */
export async function fetchManifest(reference: string, options: OperationOptions = {}): Promise<FetchedManifest> {
  const { ref, selector } = contentReference(reference)
  return withTargets(options, [ref], async (targets) => {
    const target = await targets.open(ref)
    const descriptor = await target.resolve(selector, { signal: options.signal })
    const bytes = await fetchAll(target, descriptor, { signal: options.signal })
    const parsed = parseManifest(bytes, descriptor.mediaType)
    return { descriptor, bytes, manifest: JSON.parse(Buffer.from(parsed.raw).toString('utf8')) as unknown }
  })
}

export interface FetchBlobOptions extends OperationOptions {
  /** Bytes of the blob written so far, out of `total`. */
  onProgress?: (bytes: number, total: number) => void
}

/**
 * Downloads the blob `reference` names by digest (`host/repo@sha256:…`, `ocidir://dir@sha256:…`)
 * into `destination`: a file path, written under a temporary name and renamed into place only
 * when size and digest match (a failed download leaves no file and an existing file untouched),
 * or a stream the bytes are written to as they are verified (left open). Bytes that fail
 * verification on the way to a file are fetched once more. Throws UsageError for a
 * reference without digest, NotFoundError, DigestMismatchError or SizeMismatchError.
 */
export async function fetchBlob(reference: string, destination: string | Writable, options: FetchBlobOptions = {}): Promise<Descriptor> {
  const ref = sourceReference(reference)
  const digest = ref.digest
  if (digest === undefined) throw new UsageError(`${reference} has no @digest; blobs are addressed by digest only`)
  return withTargets(options, [ref], async (targets) => {
    const target = await targets.open(ref)
    if (!canResolveBlob(target)) throw new UnsupportedError(`${formatReference(ref)} cannot look up blobs by digest`)
    const descriptor = await target.resolveBlob(digest, { signal: options.signal })
    const download = async (): Promise<void> => {
      const body = await fetchVerified(target, descriptor, { signal: options.signal })
      let bytes = 0
      const counted = body.pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, done) {
            bytes += chunk.length
            options.onProgress?.(bytes, descriptor.size)
            done(null, chunk)
          },
        }),
      )
      body.on('error', (err) => counted.destroy(err))
      // The error reaches whoever reads `counted`; one that comes before the reading starts (the
      // file is being opened) must not be an uncaught 'error' event.
      counted.on('error', () => {})
      if (typeof destination === 'string') await writeFileAtomic(destination, counted)
      else await pipeline(counted, destination, { end: false, ...(options.signal && { signal: options.signal }) })
    }
    try {
      await download()
    } catch (err) {
      // Into a file, bytes that failed verification were never written: fetch them once more.
      // A stream has had them already, so there a failure stands.
      if (typeof destination !== 'string' || !isIntegrityFailure(err) || options.signal?.aborted) throw err
      await download()
    }
    return descriptor
  })
}

export interface ListTagsOptions extends OperationOptions {
  /** Stop after this many tags. Undefined → every tag. */
  limit?: number
}

/** What listTags found. */
export interface TagList {
  /** The repository or layout, normalised (`registry.example.com/acme/app`, `ocidir://out`). */
  repository: string
  /** Its tags, in the order the registry or layout gives them (code-unit order for registries). */
  tags: string[]
}

/**
 * The tags of a registry repository or an OCI layout (`host/repo`, `ocidir://dir`, `./dir`),
 * following the registry's pagination. Throws UsageError for a reference with a tag or digest,
 * NotFoundError for a repository that does not exist (NAME_UNKNOWN) or a missing layout, and the
 * registry's errors.
 */
export async function listTags(repository: string, options: ListTagsOptions = {}): Promise<TagList> {
  if (options.limit !== undefined && !(Number.isSafeInteger(options.limit) && options.limit >= 1)) {
    throw new UsageError(`the tag limit must be a whole number of at least 1, not ${options.limit}`)
  }
  const ref = sourceReference(repository)
  if (ref.tag !== undefined || ref.digest !== undefined) throw new UsageError(`give a repository without tag or digest: ${repository}`)
  return withTargets(options, [ref], async (targets) => {
    const target = await targets.open(ref)
    if (!canListTags(target)) throw new UnsupportedError(`${formatReference(ref)} cannot list tags`)
    const tags: string[] = []
    for await (const tag of target.listTags({ signal: options.signal })) {
      tags.push(tag)
      if (options.limit !== undefined && tags.length >= options.limit) break
    }
    return { repository: formatReference(ref), tags }
  })
}
