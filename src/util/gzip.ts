/**
 * gzip for archives: telling a gzip file from a plain one, expanding one into a file within a
 * bound (a gzip bomb expands a thousandfold), and compressing with a header that does not name
 * the system that wrote it, so the same input gives the same bytes on every machine.
 * Reference: https://www.rfc-editor.org/rfc/rfc1952#section-2.3
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { Transform, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip, createGunzip, constants } from 'node:zlib'
import { DamagedArchiveError, formatBytes, UnsafeArchiveError } from '../errors.js'

/** gzip's header byte 9 names the OS that wrote it; zlib writes the platform it was built for, so it is set to 255 ("unknown", as Go writes). */
const OS_OFFSET = 9
const OS_UNKNOWN = 0xff

/** Whether the file at `path` starts with gzip's magic bytes (1f 8b). */
export async function isGzipFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r')
  try {
    const magic = Buffer.alloc(2)
    const { bytesRead } = await fh.read(magic, 0, 2, 0)
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b
  } finally {
    await fh.close()
  }
}

/**
 * Expands the gzip file `source` into the new file `target`, stopping with UnsafeArchiveError
 * (and removing nothing: the caller owns `target`) as soon as more than `limit` bytes come out;
 * DamagedArchiveError when the compressed stream is cut short or is not one.
 */
export async function gunzipFile(source: string, target: string, limit: number, label = source): Promise<number> {
  let total = 0
  const bound = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      total += chunk.length
      if (total > limit) {
        callback(
          new UnsafeArchiveError(`${label} expands to more than ${formatBytes(limit)}; refusing it as a possible gzip bomb`, {
            suggestions: ['if the archive is genuine, allow more expansion (--max-expansion)'],
          }),
        )
        return
      }
      callback(null, chunk)
    },
  })
  try {
    await pipeline(createReadStream(source), createGunzip(), bound, createWriteStream(target, { flags: 'wx', mode: 0o600 }))
  } catch (err) {
    // zlib's own errors (Z_BUF_ERROR: it ends early; Z_DATA_ERROR: not deflate data) say the file is damaged.
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('Z_'))
      throw new DamagedArchiveError(`${label} is damaged: ${(err as Error).message}`, { cause: err })
    throw err
  }
  return total
}

/** Compression levels by name, as Porter's `--compression` names them (Go's compress/gzip constants). */
export const COMPRESSION_LEVELS = {
  NoCompression: constants.Z_NO_COMPRESSION,
  BestSpeed: constants.Z_BEST_SPEED,
  BestCompression: constants.Z_BEST_COMPRESSION,
  DefaultCompression: constants.Z_DEFAULT_COMPRESSION,
  HuffmanOnly: constants.Z_DEFAULT_COMPRESSION,
} as const

/** A compression level name of COMPRESSION_LEVELS. */
export type CompressionLevel = keyof typeof COMPRESSION_LEVELS

/**
 * The stages that gzip a stream at `level` so that the output names no operating system (byte 9
 * set to 255): the bytes then depend only on the input and on Node's zlib, which writes
 * modification time 0. Put both into a pipeline, in order.
 */
export function deterministicGzip(level: CompressionLevel = 'DefaultCompression'): [Transform, Transform] {
  const gzip = createGzip({
    level: COMPRESSION_LEVELS[level],
    ...(level === 'HuffmanOnly' && { strategy: constants.Z_HUFFMAN_ONLY }),
  })
  let seen = 0
  const fixHeader = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (seen <= OS_OFFSET && seen + chunk.length > OS_OFFSET) chunk[OS_OFFSET - seen] = OS_UNKNOWN
      seen += chunk.length
      callback(null, chunk)
    },
  })
  return [gzip, fixHeader]
}
