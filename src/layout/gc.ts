/**
 * Garbage collection of a layout: blobs that nothing reaches, and leftovers of killed writers.
 * Reachable are the manifests index.json lists (tagged or not), everything they reference,
 * recursively, and every manifest whose `subject` is reachable (its referrers: signatures,
 * SBOMs), as the image spec's referrers model implies. Content another process may be about to
 * link is never removed: writers hold a lease in `.ingest` (./ingest.ts), and blobs newer than
 * the oldest live lease are left alone; a writer that finds a blob already present refreshes
 * its time (./blob-writer.ts). The decision and the removal happen under the index.json lock, so
 * no tag can move meanwhile.
 * Reference: https://github.com/opencontainers/image-spec/blob/v1.1.1/image-layout.md
 */
import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidContentError } from '../errors.js'
import type { Descriptor } from '../oci/descriptor.js'
import { isDigest, type Digest } from '../oci/digest.js'
import { MAX_MANIFEST_BYTES, parseManifest, successors } from '../oci/manifest.js'
import { isManifest } from '../oci/media-types.js'
import { hasErrorCode, openRegularFile, readFileBounded } from '../util/files.js'
import { BLOBS_DIR, blobPath } from './blob-path.js'
import type { IndexDocument } from './index-document.js'
import { deadIngestFiles, oldestForeignLease, type IngestFile } from './ingest.js'

/** Options of OciLayoutStore.collectGarbage. */
export interface GarbageCollectionOptions {
  /** List what would be removed, remove nothing. Default false. */
  dryRun?: boolean
  /** Stops waiting for the index.json lock. */
  signal?: AbortSignal
}

/** A blob that garbage collection removed, or would remove. */
export interface CollectedBlob {
  /** The blob's digest. */
  digest: Digest
  /** Its size in bytes. */
  size: number
}

/** What a garbage collection removed (or, in a dry run, would remove). */
export interface GarbageCollectionResult {
  /** Absolute path of the layout. */
  layout: string
  /** Nothing was removed: the lists say what would have been. */
  dryRun: boolean
  /** Blobs no tag, index.json entry or referrer reaches. */
  blobs: CollectedBlob[]
  /** Leftovers of killed writers in `.ingest`. */
  ingest: IngestFile[]
  /** Bytes freed (or that would be), blobs and leftovers together. */
  bytes: number
  /** Blobs kept because they are reachable. */
  reachable: number
  /** Unreachable blobs kept because another process, still writing to the layout, may link them yet. */
  inUse: CollectedBlob[]
}

/** The blob files of a layout with their size and modification time; names that are not digests are ignored. */
async function blobFiles(root: string): Promise<Array<CollectedBlob & { mtimeMs: number }>> {
  const files: Array<CollectedBlob & { mtimeMs: number }> = []
  let algorithms: string[]
  try {
    algorithms = await readdir(join(root, BLOBS_DIR))
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) return files
    throw err
  }
  for (const alg of algorithms) {
    let names: string[]
    try {
      names = await readdir(join(root, BLOBS_DIR, alg))
    } catch (err) {
      if (hasErrorCode(err, 'ENOTDIR') || hasErrorCode(err, 'ENOENT')) continue
      throw err
    }
    for (const name of names) {
      const digest = `${alg}:${name}`
      if (!isDigest(digest)) continue
      const st = await stat(join(root, BLOBS_DIR, alg, name)).catch(() => undefined)
      if (st?.isFile()) files.push({ digest, size: st.size, mtimeMs: st.mtimeMs })
    }
  }
  return files
}

/** Whether a file starts with `{` (after white space): only such blobs can be manifests. */
async function looksLikeJson(path: string): Promise<boolean> {
  const fh = await openRegularFile(path, 'blob')
  try {
    const { buffer, bytesRead } = await fh.read({ buffer: Buffer.alloc(64), position: 0 })
    return /^\s*\{/.test(buffer.subarray(0, bytesRead).toString('latin1'))
  } finally {
    await fh.close()
  }
}

/** A blob parsed as a manifest: its children and its subject. */
interface ManifestLinks {
  children: Descriptor[]
  subject?: Digest
}

/** Every blob that parses as a manifest or index (at most 4 MiB, JSON), with its links. */
async function manifestLinks(root: string, blobs: readonly CollectedBlob[]): Promise<Map<string, ManifestLinks>> {
  const links = new Map<string, ManifestLinks>()
  for (const b of blobs) {
    if (b.size > MAX_MANIFEST_BYTES) continue
    const path = blobPath(root, b.digest)
    try {
      if (!(await looksLikeJson(path))) continue
      const parsed = parseManifest(await readFileBounded(path, MAX_MANIFEST_BYTES, 'blob', { regularOnly: true }))
      const subject = parsed.kind === 'index' ? parsed.index.subject : parsed.manifest.subject
      links.set(b.digest, { children: successors(parsed), ...(subject !== undefined && { subject: subject.digest }) })
    } catch (err) {
      // Not a manifest (a JSON config, a damaged file), or removed meanwhile: it links nothing.
      if (err instanceof InvalidContentError || hasErrorCode(err, 'ENOENT')) continue
      throw err
    }
  }
  return links
}

/** The digests reachable from index.json: entries, their graph, and referrers of anything reached. */
function reachableDigests(doc: IndexDocument, links: ReadonlyMap<string, ManifestLinks>): Set<string> {
  const referrers = new Map<string, string[]>()
  for (const [digest, l] of links) if (l.subject !== undefined) referrers.set(l.subject, [...(referrers.get(l.subject) ?? []), digest])
  const reached = new Set<string>()
  const queue: Array<{ digest: string; manifest: boolean }> = doc.manifests.map((e) => ({ digest: e.digest, manifest: true }))
  while (queue.length > 0) {
    const { digest, manifest } = queue.pop()!
    if (reached.has(digest)) continue
    reached.add(digest)
    for (const r of referrers.get(digest) ?? []) queue.push({ digest: r, manifest: true })
    const l = manifest ? links.get(digest) : undefined
    for (const child of l?.children ?? []) queue.push({ digest: child.digest, manifest: isManifest(child.mediaType) })
  }
  return reached
}

/**
 * Collects the garbage of the layout at `root` (see the module comment). `withIndexLock` runs
 * its function under the index.json lock and gives it the current index; `ownLease` is the
 * caller's own lease, if it holds one.
 */
export async function collectLayoutGarbage(
  root: string,
  withIndexLock: <T>(fn: (doc: IndexDocument) => Promise<T>) => Promise<T>,
  ownLease: string | undefined,
  o: GarbageCollectionOptions = {},
): Promise<GarbageCollectionResult> {
  const dryRun = o.dryRun ?? false
  const ingest = await deadIngestFiles(root, !dryRun)
  return withIndexLock(async (doc) => {
    const blobs = await blobFiles(root)
    const reached = reachableDigests(doc, await manifestLinks(root, blobs))
    const writersSince = await oldestForeignLease(root, ownLease)
    const collected: CollectedBlob[] = []
    const inUse: CollectedBlob[] = []
    for (const b of blobs) {
      if (reached.has(b.digest)) continue
      const blob = { digest: b.digest, size: b.size }
      // Checked again right before removal: a writer may have just found it present and refreshed it.
      const mtimeMs = (await stat(blobPath(root, b.digest)).catch(() => undefined))?.mtimeMs
      if (mtimeMs === undefined) continue
      if (writersSince !== undefined && mtimeMs >= writersSince - 1000) {
        inUse.push(blob)
        continue
      }
      if (!dryRun) await rm(blobPath(root, b.digest), { force: true })
      collected.push(blob)
    }
    const bytes = [...collected, ...ingest].reduce((n, f) => n + f.size, 0)
    return { layout: root, dryRun, blobs: collected, ingest, bytes, reachable: blobs.length - collected.length - inUse.length, inUse }
  })
}
