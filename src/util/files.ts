/**
 * File-system primitives: durable atomic replacement, exclusive creation and bounded reads.
 * Every write goes through a temporary file in a directory on the same file system and a
 * rename, so readers (our own or other tools) only ever see complete files.
 */
import { createHash, randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { constants } from 'node:fs'
import { link, mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises'
import { InvalidContentError } from '../errors.js'
import { basename, dirname, join } from 'node:path'
import { readBounded } from './streams.js'

/** Whether `err` is a Node system error with the given `code` (ENOENT, EEXIST, ...). */
export function hasErrorCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code
}

/** What the file system's error codes mean, in words, for the path the call was given. */
const SYSTEM_ERRORS: Record<string, (path: string) => string> = {
  ENOENT: (p) => `${p} does not exist`,
  EACCES: (p) => `permission denied for ${p}`,
  EPERM: (p) => `the operation is not permitted on ${p}`,
  EISDIR: (p) => `${p} is a directory, where a file was expected`,
  ENOTDIR: (p) => `a part of ${p} is not a directory`,
  EEXIST: (p) => `${p} already exists, as a file where a directory was expected or the other way round`,
  ENOSPC: (p) => `no space left on the device (writing ${p})`,
  EROFS: (p) => `${p} is on a read-only file system`,
  ENAMETOOLONG: (p) => `the name ${p} is too long`,
  EMFILE: () => 'too many files are open',
}

/**
 * A file system error (`ENOENT: no such file or directory, open 'x'`) in words, with its code
 * kept for searching (`x does not exist (ENOENT)`); undefined for other errors. `path` names the
 * file when the error does not (a read of an open file).
 */
export function describeSystemError(err: unknown, path?: string): string | undefined {
  const e = err as NodeJS.ErrnoException
  const explain = typeof e?.code === 'string' ? SYSTEM_ERRORS[e.code] : undefined
  if (explain === undefined || !('syscall' in (e as object))) return undefined
  return `${explain(e.path ?? path ?? 'the file')} (${e.code})`
}

/**
 * A short tag of this machine's host name (8 hex digits of its SHA-256) for the names of
 * temporary files, so that a file whose writer is gone can be told from one a live process on
 * another machine (sharing the directory) is writing.
 */
export const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8)

/**
 * A fresh path in `dir` (created if needed) for a temporary file, named
 * `.<label>-<host tag>-<pid>-<random>.tmp` so that leftovers of a killed writer can be recognised
 * (tempFileOwner) and collected.
 */
export async function tempPath(dir: string, label: string): Promise<string> {
  await mkdir(dir, { recursive: true })
  return join(dir, `.${label}-${HOST_TAG}-${process.pid}-${randomBytes(8).toString('hex')}.tmp`)
}

/**
 * Who wrote a temporary file named by tempPath: its pid and host tag. Names of earlier versions
 * (`.<label>-<pid>-<random>.tmp`) have no host tag and count as this machine's. Undefined for
 * any other name.
 */
export function tempFileOwner(name: string): { pid: number; host: string } | undefined {
  const m = /-(?:([0-9a-f]{8})-)?(\d{1,10})-[0-9a-f]{16}\.tmp$/.exec(name)
  if (m === null || !name.startsWith('.')) return undefined
  return { pid: Number(m[2]), host: m[1] ?? HOST_TAG }
}

/**
 * Writes whole buffers in order, one writev(2) per round (no copy to join them), looping because
 * a write may be partial.
 */
export async function writeFully(fh: FileHandle, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
  let parts = data instanceof Uint8Array ? [data] : [...data]
  while (parts.length > 0) {
    let { bytesWritten } = await fh.writev(parts)
    // Drop what was written: whole buffers, then the start of the next one.
    let done = 0
    while (done < parts.length && bytesWritten >= parts[done]!.length) bytesWritten -= parts[done++]!.length
    parts = parts.slice(done)
    if (bytesWritten > 0) parts[0] = parts[0]!.subarray(bytesWritten)
  }
}

/**
 * Flushes a directory entry to disk so that a rename into it survives a power loss. File
 * systems that cannot fsync a directory are ignored: the rename is still atomic there.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined
  try {
    fh = await open(dir, 'r')
    await fh.sync()
  } catch (err) {
    if (!['EINVAL', 'EPERM', 'EISDIR', 'ENOTSUP'].some((c) => hasErrorCode(err, c))) throw err
  } finally {
    await fh?.close()
  }
}

/** What an atomic write takes: bytes in memory, or a stream of them (read to the end). */
export type FileContent = Uint8Array | AsyncIterable<Uint8Array>

/**
 * Directories whose new entries still have to reach the disk: renames into them are recorded,
 * and flush() fsyncs each directory once. A writer that renames many files into one directory
 * (blobs of a pull) syncs it once before it writes what refers to them, instead of once per file.
 */
export class PendingDirectorySyncs {
  private readonly dirs = new Set<string>()

  add(dir: string): void {
    this.dirs.add(dir)
  }

  /** Flushes every recorded directory (fsyncDir), each once. */
  async flush(): Promise<void> {
    const dirs = [...this.dirs]
    this.dirs.clear()
    await Promise.all(dirs.map((d) => fsyncDir(d)))
  }
}

/**
 * Writes `data` to a new temporary file in `dir` and flushes it; the caller renames or links it.
 * A stream is written as it arrives (each chunk whole, in order); if it fails, the temporary
 * file is removed and its error thrown.
 */
async function writeTemp(dir: string, label: string, data: FileContent): Promise<string> {
  const tmp = await tempPath(dir, label)
  const fh = await open(tmp, 'wx', 0o644)
  try {
    if (data instanceof Uint8Array) await writeFully(fh, data)
    else for await (const chunk of data) await writeFully(fh, chunk)
    await fh.sync()
  } catch (err) {
    await fh.close()
    await rm(tmp, { force: true })
    throw err
  }
  await fh.close()
  return tmp
}

/**
 * Replaces `path` with `data` (bytes, or a stream read to its end) atomically and durably: a
 * concurrent reader sees the old or the new content, never a mix; a crash at any point leaves
 * one of the two; a stream that fails leaves the old file untouched. The temporary file goes to
 * `tempDir`, which must be on the same file system (default: the file's own directory).
 */
export async function writeFileAtomic(path: string, data: FileContent, tempDir = dirname(path)): Promise<void> {
  const tmp = await writeTemp(tempDir, basename(path), data)
  try {
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  await fsyncDir(dirname(path))
}

/**
 * Creates `path` with `data` unless it already exists, atomically: link(2) fails with EEXIST
 * instead of replacing, so two processes creating the same layout cannot clobber each other
 * and nobody sees a half-written file. Returns false when the file already existed.
 */
export async function createFileExclusive(path: string, data: Uint8Array, tempDir = dirname(path)): Promise<boolean> {
  const tmp = await writeTemp(tempDir, basename(path), data)
  try {
    await link(tmp, path)
  } catch (err) {
    if (hasErrorCode(err, 'EEXIST')) return false
    throw err
  } finally {
    await rm(tmp, { force: true })
  }
  await fsyncDir(dirname(path))
  return true
}

/**
 * Opens an existing regular file for reading, never waiting: a FIFO (named pipe) in its place
 * would block open(2) until a writer came (for ever, holding one of libuv's four threads), a
 * directory or a device is not content. Throws InvalidContentError for anything but a regular
 * file, and the file system's error (ENOENT, …) when it cannot be opened.
 */
export async function openRegularFile(path: string, what: string): Promise<FileHandle> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw new InvalidContentError(`${what} (${path}) is not a regular file`)
  } catch (err) {
    await fh.close()
    throw err
  }
  return fh
}

/**
 * Reads a small file, failing with SizeLimitError past `limit` bytes (files may come from anyone;
 * counting as we read also copes with files that grow or are pipes). With `regularOnly`,
 * anything but a regular file is refused without waiting (see openRegularFile): for files of a
 * layout, which anyone may have put there. Throws the file system's error (ENOENT, …) when the
 * file cannot be opened.
 */
export async function readFileBounded(path: string, limit: number, what: string, o: { regularOnly?: boolean } = {}): Promise<Buffer> {
  const fh = o.regularOnly ? await openRegularFile(path, what) : await open(path, 'r')
  try {
    return await readBounded(fh.createReadStream({ autoClose: false }), limit, what)
  } finally {
    await fh.close()
  }
}
