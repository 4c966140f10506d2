/**
 * Writing a blob into a layout so that the final path only ever holds complete, verified
 * content: the body streams into a temporary file in the ingest directory while its size and
 * digest are checked, the file is flushed, and only then renamed to `blobs/<alg>/<hex>` (the
 * directory entry is flushed then, or later by the caller before anything refers to the blob).
 * A wrong, failed or aborted stream (or a crash) never leaves anything at the final path.
 *
 * Blobs keep mode 0644 (less the umask) rather than 0444: other tools (umoci gc, skopeo) must
 * be able to manage the layout, and content addressing already detects changes.
 */
import { mkdir, open, rename, rm, utimes, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Body, OpOptions } from '../content/storage.js'
import { consumeVerified, discardBody } from '../content/verify.js'
import type { Descriptor } from '../oci/descriptor.js'
import { blobFileSize, blobPath, ingestDir } from './blob-path.js'
import { fsyncDir, tempPath, writeFully, type PendingDirectorySyncs } from '../util/files.js'

/**
 * Stores `body` as the blob `expected` under `root`. Resolves with 'exists' without reading the
 * body when a file of the expected size is already there (content is addressed by digest, so
 * it is the same content), else with 'written'. Throws InvalidDigestError, SizeMismatchError,
 * DigestMismatchError, the source's own error, or an AbortError; the temporary file is removed
 * in every failure case.
 */
export async function writeBlob(
  root: string,
  expected: Descriptor,
  body: Body,
  o: OpOptions & { pendingSyncs?: PendingDirectorySyncs } = {},
): Promise<'written' | 'exists'> {
  const final = blobPath(root, expected.digest)
  if ((await blobFileSize(root, expected.digest)) === expected.size) {
    discardBody(body)
    // A fresh time tells garbage collection that a writer is about to link it (src/layout/gc.ts).
    const now = new Date()
    await utimes(final, now, now).catch(() => undefined)
    return 'exists'
  }
  const tmp = await tempPath(ingestDir(root), 'blob')
  const fh = await open(tmp, 'wx', 0o644)
  // Network chunks are small (16–64 KiB); gathering them into one writev(2) per 1 MiB saves
  // thousands of system calls per large blob, while memory use stays bounded.
  const batch = new WriteBatch(fh)
  try {
    try {
      await consumeVerified(body, expected, (chunk) => batch.add(chunk), o.signal)
      await batch.flush()
      await fh.sync()
    } finally {
      await batch.settle()
      await fh.close()
    }
    await mkdir(dirname(final), { recursive: true })
    await rename(tmp, final)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  // With pendingSyncs the caller syncs the directory once, before it writes anything that refers to the blob.
  if (o.pendingSyncs !== undefined) o.pendingSyncs.add(dirname(final))
  else await fsyncDir(dirname(final))
  return 'written'
}

const WRITE_BATCH_BYTES = 1024 * 1024

/**
 * Collects chunks and writes them in one writev(2) once 1 MiB has gathered (joining them into one
 * buffer first cost a copy of every byte and a fresh 1 MiB allocation per write, ~100 ms per
 * 256 MiB pulled). One write may be in flight while the next batch gathers, so the network and
 * the disk work at the same time; memory stays at two batches.
 */
class WriteBatch {
  private parts: Buffer[] = []
  private size = 0
  private inFlight: Promise<void> | undefined
  constructor(private readonly fh: FileHandle) {}

  /** Returns a promise only when a write starts (and the previous one must finish first). */
  add(chunk: Buffer): Promise<void> | undefined {
    this.parts.push(chunk)
    this.size += chunk.length
    return this.size >= WRITE_BATCH_BYTES ? this.startWrite() : undefined
  }

  /** Writes what is gathered and waits for every write to finish. */
  async flush(): Promise<void> {
    await this.startWrite()
    await this.inFlight
  }

  /** Waits for a write still in flight (after a failure), without throwing. */
  async settle(): Promise<void> {
    await this.inFlight?.catch(() => {})
  }

  private async startWrite(): Promise<void> {
    await this.inFlight
    if (this.size === 0) return
    const parts = this.parts
    this.parts = []
    this.size = 0
    this.inFlight = writeFully(this.fh, parts)
    // A failed write is reported by the next add or by flush; until then it must not count as unhandled.
    this.inFlight.catch(() => {})
  }
}
