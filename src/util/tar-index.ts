/**
 * Reading an uncompressed tar file without unpacking it: one pass over the headers (the `tar`
 * package's Header and Pax decode them, ustar, pax and GNU long names alike) records where each
 * file's content lies, and a file is then read by a range read of its bytes. Nothing from the
 * archive is ever written to disk, so no entry name can lead a write anywhere.
 *
 * The archive comes from anyone, so the pass refuses, before anything is used: names that are
 * absolute or contain `..` (UnsafePathError); symbolic and hard links, devices, FIFOs and every
 * other kind of entry but regular files and directories, a name given twice, a directory
 * announcing content, and more than `maxEntries` headers (UnsafeArchiveError); a header whose
 * checksum does not check out and an entry running past the end of the file (DamagedArchiveError).
 * Reference: https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html#tag_20_92_13_06
 */
import { createReadStream } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { Header, Pax, type HeaderData } from 'tar'
import { DamagedArchiveError, UnsafeArchiveError } from '../errors.js'
import { archiveEntryName } from './safe-path.js'
import { readBounded } from './streams.js'
import { TAR_BLOCK } from './tar.js'

/** Headers read at most from one archive unless the caller says otherwise (a bundle has a few thousand blobs at most). */
export const DEFAULT_MAX_ARCHIVE_ENTRIES = 100_000
/** Bound on a pax extended header or GNU long name: they hold a few names and numbers. */
const MAX_META_BYTES = 1024 * 1024
/** Reads of content go in chunks of this size. */
const READ_CHUNK_BYTES = 1024 * 1024

/** Where one regular file of the archive lies. */
export interface TarFileEntry {
  /** The entry's name, normalised (archiveEntryName: `./` and trailing `/` dropped). */
  name: string
  /** Offset of its first content byte in the archive file. */
  offset: number
  /** Its size in bytes, as its header states. */
  size: number
}

/** Options of TarIndex.open. */
export interface TarIndexOptions {
  /** Headers accepted at most (metadata headers count too). Default DEFAULT_MAX_ARCHIVE_ENTRIES. */
  maxEntries?: number
  /** How to name the archive in messages. Default its path. */
  label?: string
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile'])
const REFUSED: Record<string, string> = {
  SymbolicLink: 'a symbolic link',
  Link: 'a hard link',
  CharacterDevice: 'a character device',
  BlockDevice: 'a block device',
  FIFO: 'a FIFO',
}

/** The files and directories of an uncompressed tar file, each file read by offset. See the module comment. */
export class TarIndex {
  private constructor(
    /** The archive file. */
    readonly path: string,
    /** How the archive is named in messages. */
    readonly label: string,
    /** Every regular file, by normalised name. */
    readonly files: ReadonlyMap<string, TarFileEntry>,
    /** Every directory, by normalised name (`''` is the root). */
    readonly directories: ReadonlySet<string>,
  ) {}

  /**
   * Reads the headers of the tar file at `path`. Throws UnsafePathError, UnsafeArchiveError and
   * DamagedArchiveError as the module comment says, and the file system's error when the file
   * cannot be read.
   */
  static async open(path: string, options: TarIndexOptions = {}): Promise<TarIndex> {
    const label = options.label ?? path
    const fh = await open(path, 'r')
    try {
      const { files, directories } = await scan(fh, (await fh.stat()).size, label, options.maxEntries ?? DEFAULT_MAX_ARCHIVE_ENTRIES)
      return new TarIndex(path, label, files, directories)
    } finally {
      await fh.close()
    }
  }

  /** The file entry `name` (normalised), or undefined. */
  file(name: string): TarFileEntry | undefined {
    return this.files.get(name)
  }

  /** Streams the content of `entry`. */
  stream(entry: TarFileEntry): Readable {
    if (entry.size === 0) return Readable.from([])
    return createReadStream(this.path, { start: entry.offset, end: entry.offset + entry.size - 1, highWaterMark: READ_CHUNK_BYTES })
  }

  /** Reads the content of `entry` into memory; SizeLimitError above `limit` bytes. */
  read(entry: TarFileEntry, limit: number): Promise<Buffer> {
    return readBounded(this.stream(entry), limit, `${entry.name} in ${this.label}`)
  }
}

async function scan(
  fh: FileHandle,
  fileSize: number,
  label: string,
  maxEntries: number,
): Promise<{ files: Map<string, TarFileEntry>; directories: Set<string> }> {
  const files = new Map<string, TarFileEntry>()
  const directories = new Set<string>()
  const block = Buffer.alloc(TAR_BLOCK)
  let position = 0
  let headers = 0
  let extended: HeaderData | undefined
  let global: HeaderData | undefined
  let longPath: string | undefined
  while (position + TAR_BLOCK <= fileSize) {
    await readExactly(fh, block, position)
    if (block.every((b) => b === 0)) break // the end-of-archive marker
    if (++headers > maxEntries) throw new UnsafeArchiveError(`${label} has more than ${maxEntries} entries; refusing to read it`)
    const header = new Header(block, 0, extended, global)
    if (!header.cksumValid) {
      throw new DamagedArchiveError(`${label} is not a tar archive, or is damaged: the header at byte ${position} does not check out`)
    }
    const size = header.size ?? 0
    // `tar` reads a directory's size as 0 whatever its header says; another reader would skip
    // the bytes it announces, and see other entries than we do.
    if (header.type === 'Directory' && (statedSize(block) !== 0 || (extended?.size ?? 0) !== 0)) {
      throw new UnsafeArchiveError(
        `${label}: directory entry "${header.path}" announces content; refusing an archive that can be read two ways`,
      )
    }
    const offset = position + TAR_BLOCK
    if (offset + size > fileSize) {
      throw new DamagedArchiveError(`${label} is truncated: entry "${header.path}" runs past the end of the file`)
    }
    position = offset + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK
    const type = header.type
    if (type === 'ExtendedHeader' || type === 'GlobalExtendedHeader' || type === 'NextFileHasLongPath' || type === 'OldGnuLongPath') {
      const text = (await readMeta(fh, offset, size, label)).toString('utf8')
      if (type === 'ExtendedHeader') extended = Pax.parse(text, extended, false)
      else if (type === 'GlobalExtendedHeader') global = Pax.parse(text, global, true)
      else longPath = text.replace(/\0.*$/s, '')
      continue
    }
    if (type === 'NextFileHasLongLinkpath') continue // only links have link paths, and links are refused below
    const rawName = longPath ?? header.path ?? ''
    extended = undefined
    longPath = undefined
    const refused = REFUSED[type]
    if (refused !== undefined) {
      const target = header.linkpath ? ` to "${header.linkpath}"` : ''
      throw new UnsafeArchiveError(
        `entry "${rawName}" of ${label} is ${refused}${target}; archives are read without links, devices or FIFOs`,
      )
    }
    const isFile = FILE_TYPES.has(type)
    if (!isFile && type !== 'Directory') {
      throw new UnsafeArchiveError(`entry "${rawName}" of ${label} is of type ${type}; only regular files and directories are read`)
    }
    const name = archiveEntryName(rawName)
    if (files.has(name) || directories.has(name)) {
      throw new UnsafeArchiveError(`${label} holds "${name}" twice; refusing an archive whose entries can be read two ways`)
    }
    if (isFile) {
      if (name === '') throw new UnsafeArchiveError(`${label} holds a file named "${rawName}", the archive's root`)
      files.set(name, { name, offset, size })
    } else {
      directories.add(name)
    }
  }
  return { files, directories }
}

/** The size field of a raw header block as stored (octal, or GNU base-256 when the high bit is set: any non-zero byte then). */
function statedSize(block: Buffer): number {
  const field = block.subarray(124, 136)
  if ((field[0]! & 0x80) !== 0) return field.some((b, i) => (i === 0 ? (b & 0x7f) !== 0 : b !== 0)) ? 1 : 0
  return parseInt(field.toString('latin1').replace(/[\0 ]/g, '') || '0', 8) || 0
}

async function readExactly(fh: FileHandle, into: Buffer, position: number): Promise<void> {
  let done = 0
  while (done < into.length) {
    const { bytesRead } = await fh.read(into, done, into.length - done, position + done)
    if (bytesRead === 0) throw new DamagedArchiveError(`the archive ended in the middle of a header at byte ${position}`)
    done += bytesRead
  }
}

async function readMeta(fh: FileHandle, offset: number, size: number, label: string): Promise<Buffer> {
  if (size > MAX_META_BYTES) throw new UnsafeArchiveError(`${label} has an extended header of ${size} bytes; refusing to read it`)
  const buffer = Buffer.alloc(size)
  if (size > 0) await readExactly(fh, buffer, offset)
  return buffer
}
