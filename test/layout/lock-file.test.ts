/**
 * The index.json lock: mutual exclusion, breaking locks of dead or long-gone owners, waiting
 * for live ones with a bounded timeout, and never removing a lock that is not ours.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { LockTimeoutError } from '../../src/errors.js'
import { withFileLock } from '../../src/layout/lock-file.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

/** The pid of a process that has exited (and been reaped), so it is certainly not alive. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await once(child, 'exit')
  return child.pid!
}

function lockContent(owner: { pid: number; host?: string; created?: number }): string {
  return JSON.stringify({ host: hostname(), created: Date.now(), nonce: 'test', ...owner })
}

describe('index.json lock file', () => {
  let dir: TempDir
  let lock: string
  beforeEach(async () => {
    dir = await makeTempDir('ocibundle-lock-')
    lock = join(dir.path, 'index.json.lock')
  })
  afterEach(async () => {
    await dir.cleanup()
  })

  test('holders run one at a time: 20 read-increment-write cycles with a pause count to 20', async () => {
    const counter = join(dir.path, 'counter')
    await writeFile(counter, '0')
    await Promise.all(
      Array.from({ length: 20 }, () =>
        withFileLock(lock, async () => {
          const n = Number(await readFile(counter, 'utf8'))
          await sleep(1)
          await writeFile(counter, String(n + 1))
        }),
      ),
    )
    assert.equal(await readFile(counter, 'utf8'), '20')
    await assert.rejects(stat(lock), { code: 'ENOENT' }, 'the last holder removed the lock')
  })

  test('a lock whose owner process is dead is broken at once', async () => {
    await writeFile(lock, lockContent({ pid: await deadPid() }))
    const started = Date.now()
    assert.equal(await withFileLock(lock, async () => 'ran', { timeoutMs: 5_000 }), 'ran')
    assert.ok(Date.now() - started < 1_000)
  })

  test('a lock older than the stale age is broken even though its owner is alive', async () => {
    await writeFile(lock, lockContent({ pid: process.pid, created: Date.now() - 60_000 }))
    assert.equal(await withFileLock(lock, async () => 'ran', { timeoutMs: 2_000, staleMs: 30_000 }), 'ran')
  })

  test('an empty lock file (owner died before writing it) is broken once its mtime is stale', async () => {
    await writeFile(lock, '')
    const past = new Date(Date.now() - 60_000)
    await utimes(lock, past, past)
    assert.equal(await withFileLock(lock, async () => 'ran', { timeoutMs: 2_000, staleMs: 30_000 }), 'ran')
  })

  test('an empty lock file older than a couple of seconds is broken without waiting for the stale age', async () => {
    await writeFile(lock, '')
    const past = new Date(Date.now() - 3_000)
    await utimes(lock, past, past)
    const started = Date.now()
    assert.equal(await withFileLock(lock, async () => 'ran', { staleMs: 60_000, timeoutMs: 5_000 }), 'ran')
    assert.ok(Date.now() - started < 1_000)
  })

  test('a just-created empty lock (its owner is writing it) is respected', async () => {
    await writeFile(lock, '')
    await assert.rejects(
      withFileLock(lock, async () => 'ran', { staleMs: 60_000, timeoutMs: 300 }),
      LockTimeoutError,
    )
  })

  test('a fresh lock of a live owner makes a waiter fail with LockTimeoutError and stays in place', async () => {
    const content = lockContent({ pid: process.pid })
    await writeFile(lock, content)
    await assert.rejects(
      withFileLock(lock, async () => 'ran', { timeoutMs: 200 }),
      (err: unknown) => {
        assert.ok(err instanceof LockTimeoutError)
        assert.match(err.message, new RegExp(`held by pid ${process.pid}`))
        assert.equal(err.code, 'ERR_LOCK_TIMEOUT')
        return true
      },
    )
    assert.equal(await readFile(lock, 'utf8'), content)
  })

  test('a dead pid recorded by another host is not trusted: the lock is only broken by age', async () => {
    await writeFile(lock, lockContent({ pid: await deadPid(), host: 'some-other-host' }))
    await assert.rejects(
      withFileLock(lock, async () => 'ran', { timeoutMs: 200 }),
      LockTimeoutError,
    )
  })

  test('release leaves alone a lock that another owner took over meanwhile', async () => {
    const other = lockContent({ pid: process.pid, created: Date.now() })
    await withFileLock(lock, async () => {
      // As if our lock had been judged stale, broken and retaken by someone else.
      await writeFile(lock, other)
    })
    assert.equal(await readFile(lock, 'utf8'), other)
  })
})
