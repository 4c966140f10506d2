/**
 * The `.ingest` directory of a layout: temporary files of writes in progress, and one lease per
 * process that has the layout open for writing. A writer killed mid-write (kill -9, a crash, a
 * power cut) leaves its temporary file behind; nothing else would ever remove it. Files are
 * named by tempPath (`.<label>-<host tag>-<pid>-<random>.tmp`), so their owner is known: a file
 * of this machine whose process is dead is a leftover (the pid check of ./lock-file.ts); a file
 * of another machine sharing the layout is one only when it has not changed for a day.
 */
import { readdir, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { HOST_TAG, hasErrorCode, tempFileOwner, tempPath } from '../util/files.js'
import { ingestDir } from './blob-path.js'
import { processAlive } from './lock-file.js'

/** A file of another machine is a leftover when it has not changed for this long. */
const FOREIGN_LEFTOVER_MS = 24 * 60 * 60 * 1000
/** The label of lease files. */
const LEASE_LABEL = 'writer'

/** A file in `.ingest`. */
export interface IngestFile {
  /** Name inside `.ingest`. */
  file: string
  /** Size in bytes. */
  size: number
}

/** Whether a file of `.ingest`, named by tempPath, belongs to a process that is alive (or may be). */
function ownerAlive(name: string, mtimeMs: number, now: number): boolean {
  const owner = tempFileOwner(name)
  // A name we did not write: another tool's, left alone.
  if (owner === undefined) return true
  if (owner.host !== HOST_TAG) return now - mtimeMs < FOREIGN_LEFTOVER_MS
  return owner.pid === process.pid || processAlive(owner.pid)
}

/** Every file of `.ingest` with its size and modification time; none when there is no `.ingest`. */
async function ingestEntries(root: string): Promise<Array<IngestFile & { mtimeMs: number }>> {
  let names: string[]
  try {
    names = await readdir(ingestDir(root))
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) return []
    throw err
  }
  const entries: Array<IngestFile & { mtimeMs: number }> = []
  for (const file of names) {
    try {
      const st = await stat(join(ingestDir(root), file))
      if (st.isFile()) entries.push({ file, size: st.size, mtimeMs: st.mtimeMs })
    } catch (err) {
      // Renamed into place or removed by its writer meanwhile.
      if (!hasErrorCode(err, 'ENOENT')) throw err
    }
  }
  return entries
}

/**
 * The files of `.ingest` that no live process owns. With `remove`, they are deleted too
 * (a file that disappeared meanwhile is not listed).
 */
export async function deadIngestFiles(root: string, remove: boolean): Promise<IngestFile[]> {
  const now = Date.now()
  const dead: IngestFile[] = []
  for (const e of await ingestEntries(root)) {
    if (ownerAlive(e.file, e.mtimeMs, now)) continue
    if (remove) {
      try {
        await unlink(join(ingestDir(root), e.file))
      } catch (err) {
        if (hasErrorCode(err, 'ENOENT')) continue
        throw err
      }
    }
    dead.push({ file: e.file, size: e.size })
  }
  return dead
}

/**
 * Records that this process has the layout open for writing: an empty lease file in `.ingest`,
 * removed by releaseLease (or collected as a leftover once the process is gone). Returns its path.
 */
export async function takeLease(root: string): Promise<string> {
  const path = await tempPath(ingestDir(root), LEASE_LABEL)
  await writeFile(path, '', { flag: 'wx' })
  return path
}

/** Removes a lease taken by takeLease. */
export async function releaseLease(path: string): Promise<void> {
  await rm(path, { force: true })
}

/**
 * When the oldest lease of another live writer was taken (ms since the epoch), or undefined
 * when no other process has the layout open for writing. Content written since may still be
 * about to be linked from index.json by that writer.
 */
export async function oldestForeignLease(root: string, own: string | undefined): Promise<number | undefined> {
  const now = Date.now()
  let oldest: number | undefined
  for (const e of await ingestEntries(root)) {
    if (!e.file.startsWith(`.${LEASE_LABEL}-`) || join(ingestDir(root), e.file) === own) continue
    if (!ownerAlive(e.file, e.mtimeMs, now)) continue
    oldest = Math.min(oldest ?? e.mtimeMs, e.mtimeMs)
  }
  return oldest
}
