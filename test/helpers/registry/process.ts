/**
 * Child processes that must never outlive the test process (registries), and temp dirs that
 * must not pile up.
 *
 * Three layers, because a test process can end in three ways:
 * - normally: each test calls `stop()`;
 * - forgotten `stop()`, a thrown error, `process.exit`: a process 'exit' hook kills what is left
 *   (SIGKILL, synchronous) and removes registered directories;
 * - killed by a signal or SIGKILL (test-runner timeout, Ctrl-C): no JS runs, so every child gets a
 *   detached `sh` watchdog reading a pipe from us; the kernel closes the pipe when we die, `read`
 *   returns and the watchdog kills the child.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'

/** Output kept per process: the tail, so a chatty access log cannot eat the heap. */
const LOG_LIMIT = 2 * 1024 * 1024

export interface ManagedProcess {
  readonly pid: number
  readonly child: ChildProcess
  /** stdout + stderr so far (the last 2 MiB). */
  logs(): string
  /** Whether the process has exited. */
  exited(): boolean
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exit: Promise<number | string>
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone (reaped). */
  stop(graceMs?: number): Promise<void>
}

/** Live children → their watchdogs. */
const liveChildren = new Map<ChildProcess, ChildProcess>()
const exitCleanups = new Set<() => void>()
let hookInstalled = false

function installExitHook(): void {
  if (hookInstalled) return
  hookInstalled = true
  process.on('exit', () => {
    for (const [child, dog] of liveChildren) {
      child.kill('SIGKILL')
      dog.kill('SIGKILL') // the child is handled; the watchdog must not kill its pid later
    }
    for (const cleanup of exitCleanups) {
      try {
        cleanup()
      } catch {
        // best effort: the process is exiting anyway
      }
    }
  })
}

/**
 * Registers `dir` for synchronous removal when the test process exits; returns the function that
 * unregisters it (call it after removing the directory yourself).
 */
export function removeOnExit(dir: string): () => void {
  installExitHook()
  const cleanup = () => rmSync(dir, { recursive: true, force: true })
  exitCleanups.add(cleanup)
  return () => exitCleanups.delete(cleanup)
}

/** Registers an arbitrary synchronous cleanup for process exit; returns its unregister function. */
export function onProcessExit(cleanup: () => void): () => void {
  installExitHook()
  exitCleanups.add(cleanup)
  return () => exitCleanups.delete(cleanup)
}

/** Starts the watchdog described in the module comment for `pid`. */
function startWatchdog(pid: number): ChildProcess {
  // `$0` is the pid; `read` blocks until our end of stdin closes (we exited or called kill()).
  const dog = spawn('/bin/sh', ['-c', 'read _unused; kill -9 "$0" 2>/dev/null', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    // Own process group: a Ctrl-C to the test's group must not kill the watchdog first.
    detached: true,
  })
  // Neither the watchdog nor its pipe may keep the test process alive.
  dog.unref()
  return dog
}

/**
 * Spawns `file args...` with stdout/stderr captured, tracked for the exit hook and guarded by a
 * watchdog. The child does not keep the event loop alive: a test that forgets `stop()` still ends.
 */
export function spawnManaged(
  file: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): ManagedProcess {
  installExitHook()
  const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
  // Chunks, trimmed whole from the front: cutting one 2 MiB string at every chunk copied 2 MiB per
  // log line once a registry had logged that much, which slowed the registry (its pipe) and
  // everything running in this process (the library rounds of the benchmark).
  const chunks: string[] = []
  let kept = 0
  const append = (chunk: Buffer) => {
    const text = chunk.toString('utf8')
    chunks.push(text)
    kept += text.length
    while (chunks.length > 1 && kept - chunks[0]!.length >= LOG_LIMIT) kept -= chunks.shift()!.length
  }
  const output = () => {
    const all = chunks.join('')
    return all.length > LOG_LIMIT ? all.slice(all.length - LOG_LIMIT) : all
  }
  // Attached first: a failed spawn emits 'error', which would otherwise crash the test process.
  child.once('error', (err) => append(Buffer.from(`\n[spawn error] ${err.message}\n`)))
  if (child.pid === undefined) {
    // spawn reports ENOENT asynchronously; callers check the binary first (requireBinary), so this
    // is an unusual failure: surface it synchronously.
    throw new Error(`could not start ${file}`)
  }
  const pid = child.pid
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  const dog = startWatchdog(pid)
  liveChildren.set(child, dog)
  let done = false
  const exit = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true
      liveChildren.delete(child)
      // Node has already reaped the child, so its pid may be reused: kill the watchdog (blocked
      // in `read`) rather than letting it go on to `kill` that pid.
      dog.kill('SIGKILL')
      dog.stdin?.destroy()
      resolve(code ?? signal ?? 'unknown')
    })
  })
  child.unref()
  // The pipes are handles of their own: unref them too (net.Socket under the hood).
  ;(child.stdout as unknown as { unref?: () => void } | null)?.unref?.()
  ;(child.stderr as unknown as { unref?: () => void } | null)?.unref?.()
  ;(dog.stdin as unknown as { unref?: () => void } | null)?.unref?.()

  return {
    pid,
    child,
    logs: output,
    exited: () => done,
    exit,
    async stop(graceMs = 3000) {
      if (done) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      try {
        await exit
      } finally {
        clearTimeout(timer)
      }
    },
  }
}
