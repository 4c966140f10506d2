/**
 * File-system primitives of the layout store: durable atomic replacement, exclusive creation and
 * bounded reads. Every write in a layout goes through a temporary file in the ingest directory
 * and a rename, so readers (our own or other tools) only ever see complete files.
 */
import { randomBytes } from 'node:crypto'
import { link, mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { readBounded } from '../content/verify.js'

/**
 * Directory, inside the layout, for files being written. Being on the same file system as
 * `blobs/` makes the final rename atomic; the dot keeps it out of the way of tools that list
 * the layout, and the image spec requires tools to tolerate extra files.
 */
export const INGEST_DIR = '.ingest'

/** Whether `err` is a Node system error with the given `code` (ENOENT, EEXIST, ...). */
export function hasErrorCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code
}

/** A fresh path in `<root>/.ingest/` for a temporary file; the pid helps diagnose leftovers. */
export async function ingestPath(root: string, label: string): Promise<string> {
  const dir = join(root, INGEST_DIR)
  await mkdir(dir, { recursive: true })
  return join(dir, `${label}-${process.pid}-${randomBytes(8).toString('hex')}`)
}

/** Writes a whole buffer, looping because a single write(2) may be partial. */
export async function writeFully(fh: FileHandle, data: Uint8Array): Promise<void> {
  let offset = 0
  while (offset < data.length) {
    const { bytesWritten } = await fh.write(data, offset, data.length - offset)
    offset += bytesWritten
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

/** Writes `data` to a new temporary file and flushes it; the caller renames or links it. */
async function writeTemp(root: string, label: string, data: Uint8Array): Promise<string> {
  const tmp = await ingestPath(root, label)
  const fh = await open(tmp, 'wx', 0o644)
  try {
    await writeFully(fh, data)
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
 * Replaces `path` with `data` atomically: a concurrent reader sees the old or the new content,
 * never a mix, and a crash at any point leaves one of the two. `root` is the layout whose
 * ingest directory holds the temporary file.
 */
export async function writeFileAtomic(root: string, path: string, data: Uint8Array): Promise<void> {
  const tmp = await writeTemp(root, basename(path), data)
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
export async function createFileExclusive(root: string, path: string, data: Uint8Array): Promise<boolean> {
  const tmp = await writeTemp(root, basename(path), data)
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
 * Reads a small file, failing with SizeLimitError past `limit` bytes (files in a layout may
 * come from anyone). Throws the file system's ENOENT error when the file is absent.
 */
export async function readFileBounded(path: string, limit: number, what: string): Promise<Buffer> {
  const fh = await open(path, 'r')
  try {
    return await readBounded(fh.createReadStream({ autoClose: false }), limit, what)
  } finally {
    await fh.close()
  }
}
