/**
 * Starting test/helpers/layout-worker.ts in a separate Node process (through tsx), waiting for
 * the lines it prints, and killing it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const WORKER = fileURLToPath(new URL('./layout-worker.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

export interface Worker {
  child: ChildProcess
  /** Resolves when the worker prints `line`; rejects if it exits first or after `timeoutMs`. */
  waitFor(line: string, timeoutMs?: number): Promise<void>
  /** Resolves with how the worker ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Everything the worker wrote to stderr so far, for failure messages. */
  stderr(): string
}

/** Starts `layout-worker.ts <args...>` with the repository as working directory (so `--import tsx` resolves). */
export function startWorker(args: readonly string[]): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s))
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s))
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }))
  const waitFor = async (line: string, timeoutMs = 20_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs
    while (!out.split('\n').includes(line)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker exited before printing "${line}": ${err}`)
      if (Date.now() > deadline) throw new Error(`worker did not print "${line}" within ${timeoutMs} ms: ${err}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  return { child, waitFor, exited, stderr: () => err }
}

/** Runs a worker to completion and throws with its stderr unless it exits with code 0. */
export async function runWorker(args: readonly string[]): Promise<void> {
  const w = startWorker(args)
  const { code, signal } = await w.exited
  if (code !== 0) throw new Error(`worker ${args.join(' ')} failed (code ${code}, signal ${signal}): ${w.stderr()}`)
}

/** Sends SIGKILL (no chance to clean up, like a crash or power loss of the process) and waits for the exit. */
export async function killHard(w: Worker): Promise<void> {
  w.child.kill('SIGKILL')
  await w.exited
}
