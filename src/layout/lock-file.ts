/**
 * A cross-process lock implemented as a file created with O_EXCL, so that processes sharing a
 * layout directory take turns at read-modify-write of index.json. The file records its owner
 * (pid, host, time) so that a lock left behind by a crashed process can be recognised and broken.
 */
import { randomBytes } from 'node:crypto'
import { open, stat, unlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { LockTimeoutError } from '../errors.js'
import { hasErrorCode, readFileBounded } from '../util/files.js'

/** How long to wait for the lock file another process holds, and when to break it. */
export interface LockOptions {
  /** How long to wait for another holder before throwing LockTimeoutError. Undefined → 60 s. */
  timeoutMs?: number
  /** Age after which a lock is broken even if its owner may be alive. Undefined → 30 s. */
  staleMs?: number
  /** Stops waiting; the call rejects with the signal's reason. */
  signal?: AbortSignal
}

const DEFAULT_TIMEOUT_MS = 60_000
const DEFAULT_STALE_MS = 30_000
/**
 * A holder writes its token right after creating the lock file, so an empty (or half-written)
 * lock older than this belongs to a process killed in between: without this, only `staleMs`
 * would clear it and every writer would wait that long.
 */
const UNWRITTEN_LOCK_GRACE_MS = 2_000
/** Lock files are tiny; anything larger was not written by us and is treated as unreadable. */
const MAX_LOCK_FILE_BYTES = 4096

/** What a lock file says about its holder. */
interface Owner {
  pid?: number
  host?: string
  /** Milliseconds since the epoch, from the file or else from its mtime. */
  since: number
  /** The raw content and inode, to recognise the very same lock file on a second look. */
  raw: string
  ino: number
}

/**
 * Runs `fn` while holding the lock file at `path`, waiting for other holders with a growing
 * back-off. A lock whose owner process is dead (same host) or that is older than `staleMs` is
 * broken. Throws LockTimeoutError after `timeoutMs`, or the signal's reason when aborted.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, o: LockOptions = {}): Promise<T> {
  const token = await acquire(path, o)
  try {
    return await fn()
  } finally {
    await release(path, token)
  }
}

async function acquire(path: string, o: LockOptions): Promise<string> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const staleMs = o.staleMs ?? DEFAULT_STALE_MS
  const deadline = Date.now() + timeoutMs
  const token = ownerToken()
  let delay = 2
  for (;;) {
    o.signal?.throwIfAborted()
    if (await tryCreate(path, token)) return token
    if (await breakIfStale(path, staleMs)) continue
    if (Date.now() >= deadline) {
      const owner = await readOwner(path)
      throw new LockTimeoutError(`timed out after ${timeoutMs} ms waiting for ${path}${owner?.pid ? ` held by pid ${owner.pid}` : ''}`, {
        suggestions: [`if no other process is writing this layout, remove ${path}`],
      })
    }
    // Jitter keeps several waiters from retrying in lock step.
    await sleep(delay * (0.5 + Math.random()), undefined, { signal: o.signal })
    delay = Math.min(delay * 2, 50)
  }
}

async function tryCreate(path: string, token: string): Promise<boolean> {
  let fh
  try {
    fh = await open(path, 'wx', 0o644)
  } catch (err) {
    if (hasErrorCode(err, 'EEXIST')) return false
    throw err
  }
  try {
    await fh.writeFile(token)
  } finally {
    await fh.close()
  }
  return true
}

/** Removes the lock only if it is still ours: it may have been broken as stale and retaken. */
async function release(path: string, token: string): Promise<void> {
  const owner = await readOwner(path)
  if (owner?.raw === token) await unlink(path).catch(() => undefined)
}

async function readOwner(path: string): Promise<Owner | undefined> {
  try {
    const [st, raw] = await Promise.all([stat(path), readFileBounded(path, MAX_LOCK_FILE_BYTES, 'lock file', { regularOnly: true })])
    const text = raw.toString('utf8')
    const owner: Owner = { since: st.mtimeMs, raw: text, ino: st.ino }
    try {
      const doc = JSON.parse(text) as { pid?: unknown; host?: unknown; created?: unknown }
      if (Number.isSafeInteger(doc.pid)) owner.pid = doc.pid as number
      if (typeof doc.host === 'string') owner.host = doc.host
      if (typeof doc.created === 'number') owner.since = doc.created
    } catch {
      // Empty or partial: the owner died between creating and writing it, or is writing now.
      // Only the mtime can tell, through `staleMs`.
    }
    return owner
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) return undefined
    throw err
  }
}

/** What a holder writes into a lock (and a breaker into the guard): who holds it, since when. */
function ownerToken(): string {
  return JSON.stringify({ pid: process.pid, host: hostname(), created: Date.now(), nonce: randomBytes(8).toString('hex') })
}

function isStale(owner: Owner, staleMs: number): boolean {
  const age = Date.now() - owner.since
  if (age > staleMs) return true
  if (owner.pid === undefined) return age > UNWRITTEN_LOCK_GRACE_MS
  return owner.host === hostname() && !processAlive(owner.pid)
}

/** Whether process `pid` of this machine is alive (signal 0; EPERM means it is, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return hasErrorCode(err, 'EPERM')
  }
}

/**
 * Breaks the lock at `path` if it is stale; returns true when the caller should retry at once.
 * Breakers are serialised by a second lock file: without it, two waiters could both judge the
 * same lock stale, the first remove it and take a fresh lock, and the second remove that fresh
 * lock. Under the guard, the lock is removed only if it is still the very file judged stale.
 */
async function breakIfStale(path: string, staleMs: number): Promise<boolean> {
  const owner = await readOwner(path)
  if (owner === undefined) return true
  if (!isStale(owner, staleMs)) return false
  const guard = `${path}.break`
  if (!(await tryCreate(guard, ownerToken()))) {
    // The guard is held for a few file operations; a dead or old holder was a killed breaker.
    const guardOwner = await readOwner(guard)
    if (guardOwner !== undefined && isStale(guardOwner, staleMs)) await unlink(guard).catch(() => undefined)
    return false
  }
  try {
    const again = await readOwner(path)
    if (again !== undefined && again.ino === owner.ino && again.raw === owner.raw) await unlink(path).catch(() => undefined)
  } finally {
    await unlink(guard).catch(() => undefined)
  }
  return true
}
