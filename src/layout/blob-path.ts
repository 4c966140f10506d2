/**
 * Where a blob lives in a layout: `blobs/<algorithm>/<encoded>`.
 * Reference: https://github.com/opencontainers/image-spec/blob/v1.1.1/image-layout.md#blobs
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { digestAlgorithm, digestEncoded, parseDigest } from '../oci/digest.js'
import { hasErrorCode } from '../util/files.js'

export const BLOBS_DIR = 'blobs'

/**
 * Directory, inside the layout, for files being written. Being on the same file system as
 * `blobs/` makes the final rename atomic; the dot keeps it out of the way of tools that list
 * the layout, and the image spec requires tools to tolerate extra files.
 */
export const INGEST_DIR = '.ingest'

export function ingestDir(root: string): string {
  return join(root, INGEST_DIR)
}

/**
 * The path of the blob with `digest`. The digest is validated first (registered algorithm,
 * lowercase hex of the right length), so a digest taken from untrusted JSON can never name a
 * path outside the layout. Throws InvalidDigestError.
 */
export function blobPath(root: string, digest: string): string {
  const d = parseDigest(digest)
  return join(root, BLOBS_DIR, digestAlgorithm(d), digestEncoded(d))
}

/** The size of the blob file with `digest`, or undefined when there is none. */
export async function blobFileSize(root: string, digest: string): Promise<number | undefined> {
  try {
    const st = await stat(blobPath(root, digest))
    return st.isFile() ? st.size : undefined
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) return undefined
    throw err
  }
}
