/**
 * Writing a blob into a layout so that the final path only ever holds complete, verified
 * content: the body streams into a temporary file in the ingest directory while its size and
 * digest are checked, the file is flushed, and only then renamed to `blobs/<alg>/<hex>`.
 * A wrong, failed or aborted stream (or a crash) never leaves anything at the final path.
 *
 * Blobs keep mode 0644 (less the umask) rather than 0444: other tools (umoci gc, skopeo) must
 * be able to manage the layout, and content addressing already detects changes.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Body, OpOptions } from '../content/storage.js'
import { consumeVerified, discardBody } from '../content/verify.js'
import type { Descriptor } from '../oci/descriptor.js'
import { blobFileSize, blobPath, ingestDir } from './blob-path.js'
import { fsyncDir, tempPath, writeFully } from '../util/files.js'

/**
 * Stores `body` as the blob `expected` under `root`. Resolves with 'exists' without reading the
 * body when a file of the expected size is already there (content is addressed by digest, so
 * it is the same content), else with 'written'. Throws InvalidDigestError, SizeMismatchError,
 * DigestMismatchError, the source's own error, or an AbortError; the temporary file is removed
 * in every failure case.
 */
export async function writeBlob(root: string, expected: Descriptor, body: Body, o: OpOptions = {}): Promise<'written' | 'exists'> {
  const final = blobPath(root, expected.digest)
  if ((await blobFileSize(root, expected.digest)) === expected.size) {
    discardBody(body)
    return 'exists'
  }
  const tmp = await tempPath(ingestDir(root), 'blob')
  const fh = await open(tmp, 'wx', 0o644)
  try {
    try {
      // Each chunk is written before the next is read: memory use stays at one chunk.
      await consumeVerified(body, expected, (chunk) => writeFully(fh, chunk), o.signal)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await mkdir(dirname(final), { recursive: true })
    await rename(tmp, final)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  await fsyncDir(dirname(final))
  return 'written'
}
