/**
 * Writing tar archives whose bytes depend only on their entries: headers encoded by the `tar`
 * package's Header (ustar, with its base-256 numbers for sizes beyond 8 GiB), owner 0:0 with no
 * user or group name, modification time 0, fixed modes, no pax header (so nothing carries a
 * time), entries in the order given. Contents stream through one entry at a time, so an archive
 * of any size is written in bounded memory; a tar entry states its size up front, which the
 * caller gives (a descriptor's size) and which is checked against the bytes that follow.
 * Reference: https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html#tag_20_92_13_06
 */
import { Header } from 'tar'
import { SizeMismatchError } from '../errors.js'

/** Tar's unit: headers and content are written in blocks of 512 bytes. */
export const TAR_BLOCK = 512
/** The largest size an octal ustar size field holds (8 GiB - 1); above it `tar` writes GNU base-256, which GNU tar, Go and `tar` read. */
const MAX_OCTAL_SIZE = 0o77777777777
const END_OF_ARCHIVE = Buffer.alloc(2 * TAR_BLOCK)
const ZEROS = Buffer.alloc(TAR_BLOCK)

/** One entry of an archive to write. */
export interface TarEntry {
  /** The entry's name as stored (a directory's ends in `/`). Names longer than ustar can hold (100 bytes, or 155 + 100 split at a `/`) are refused. */
  path: string
  /** A regular file or a directory: nothing else is ever written. */
  type: 'file' | 'directory'
  /** Permission bits. Default 0o644 for a file, 0o755 for a directory. */
  mode?: number
  /** The bytes of a file, or a function opening them as a stream of exactly `size` bytes. */
  content?: Uint8Array | (() => Promise<AsyncIterable<Uint8Array>>)
  /** The size of a file's content; needed with a stream, checked against the bytes in memory. */
  size?: number
}

/** The header block of `entry` (512 bytes). Throws RangeError for a name ustar cannot hold. */
export function tarHeader(entry: Pick<TarEntry, 'path' | 'type' | 'mode'> & { size: number }): Buffer {
  const block = Buffer.alloc(TAR_BLOCK)
  const header = new Header({
    path: entry.path,
    type: entry.type === 'file' ? 'File' : 'Directory',
    mode: entry.mode ?? (entry.type === 'file' ? 0o644 : 0o755),
    uid: 0,
    gid: 0,
    size: entry.type === 'file' ? entry.size : 0,
    mtime: new Date(0),
    uname: '',
    gname: '',
  })
  // `tar` asks for a pax header when a field does not fit; only a size above 8 GiB may, as base-256.
  if (header.encode(block, 0) && !(entry.type === 'file' && entry.size > MAX_OCTAL_SIZE)) {
    throw new RangeError(`tar entry name "${entry.path}" does not fit a ustar header`)
  }
  return block
}

/** The zero bytes that pad `size` bytes of content to a whole block. */
export function tarPadding(size: number): Buffer {
  return ZEROS.subarray(0, (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK)
}

/**
 * The archive of `entries` as a stream of buffers: each header, its content as it is read,
 * the padding, and the end-of-archive blocks. A content stream that ends early or runs long
 * fails the stream with SizeMismatchError, as does its own error.
 */
export async function* tarStream(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    if (entry.type === 'directory') {
      yield tarHeader({ ...entry, size: 0 })
      continue
    }
    const content = entry.content ?? new Uint8Array(0)
    const size = entry.size ?? (content instanceof Uint8Array ? content.length : undefined)
    if (size === undefined) throw new RangeError(`tar entry "${entry.path}" streams its content but states no size`)
    yield tarHeader({ ...entry, size })
    let written = 0
    for await (const chunk of content instanceof Uint8Array ? [content] : await content()) {
      written += chunk.length
      if (written > size) throw new SizeMismatchError(size, written, { suggestions: [`the content of tar entry "${entry.path}" ran long`] })
      yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    }
    if (written !== size)
      throw new SizeMismatchError(size, written, { suggestions: [`the content of tar entry "${entry.path}" ended early`] })
    yield tarPadding(size)
  }
  yield END_OF_ARCHIVE
}

/** An entry whose content is in memory. */
export type TarEntryBytes = Omit<TarEntry, 'content'> & { content?: Uint8Array }

/** The whole archive of `entries` (contents in memory) as one buffer. */
export function tarBytes(entries: readonly TarEntryBytes[]): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) {
    const content = entry.type === 'file' ? Buffer.from(entry.content ?? new Uint8Array(0)) : Buffer.alloc(0)
    parts.push(tarHeader({ ...entry, size: content.length }), content, tarPadding(content.length))
  }
  parts.push(END_OF_ARCHIVE)
  return Buffer.concat(parts)
}
