/**
 * The `oci-layout` file that marks a directory as an OCI image layout.
 * Reference: https://github.com/opencontainers/image-spec/blob/v1.1.1/image-layout.md#oci-layout-file
 */
import { join } from 'node:path'
import { InvalidContentError } from '../errors.js'
import { parseStrictJson } from '../util/strict-json.js'
import { createFileExclusive, readFileBounded } from '../util/files.js'
import { ingestDir } from './blob-path.js'

export const LAYOUT_FILE = 'oci-layout'
export const LAYOUT_VERSION = '1.0.0'
/** The header is one short JSON object; anything much larger is not a layout header. */
export const MAX_HEADER_BYTES = 64 * 1024

/**
 * Reads and checks `<root>/oci-layout`. Any 1.x version is accepted (minor versions must stay
 * compatible); another major version, or a malformed file, throws InvalidContentError.
 * Throws the ENOENT error when the file is missing.
 */
export async function readLayoutHeader(root: string): Promise<void> {
  const path = join(root, LAYOUT_FILE)
  parseLayoutHeader(await readFileBounded(path, MAX_HEADER_BYTES, LAYOUT_FILE, { regularOnly: true }), path)
}

/** Checks the bytes of an `oci-layout` file read from `source` (a path, for messages), as readLayoutHeader does. */
export function parseLayoutHeader(raw: Uint8Array, source: string): void {
  let doc: unknown
  try {
    doc = parseStrictJson(Buffer.from(raw).toString('utf8'))
  } catch (err) {
    throw new InvalidContentError(`${source} is not valid JSON: ${(err as Error).message}`)
  }
  const version = (doc as { imageLayoutVersion?: unknown } | null)?.imageLayoutVersion
  if (typeof version !== 'string') throw new InvalidContentError(`${source} has no "imageLayoutVersion" string`)
  if (!/^1\.\d+\.\d+$/.test(version)) {
    throw new InvalidContentError(`${source} has imageLayoutVersion "${version}"; only ${LAYOUT_VERSION} (1.x) layouts are supported`)
  }
}

/** The bytes of the `oci-layout` file this package writes. */
export function layoutHeaderBytes(): Buffer {
  return Buffer.from(JSON.stringify({ imageLayoutVersion: LAYOUT_VERSION }))
}

/** Writes `<root>/oci-layout` unless it exists. */
export async function createLayoutHeader(root: string): Promise<void> {
  await createFileExclusive(join(root, LAYOUT_FILE), layoutHeaderBytes(), ingestDir(root))
}
