/**
 * Runs the built CLI (bin/run.js → dist/) as a user would: a child process with its own stdout,
 * stderr and exit code. `npm test` builds first.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  if (!existsSync(new URL('../../dist/index.js', import.meta.url))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it for you)')
  }
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd ?? ROOT, env: { ...process.env, NO_COLOR: '1', ...options.env }, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err)
        resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr })
      },
    )
    if (options.input !== undefined) child.stdin?.end(options.input)
    else child.stdin?.end()
  })
}

/** Parses the --json envelope printed on stdout. */
export function json<T = unknown>(
  r: CliResult,
): { status: number; result: T; warnings: string[]; error?: { code: string; message: string; suggestions: string[] } } {
  return JSON.parse(r.stdout)
}

/**
 * Runs `args` with `--json` through `run` (runCli, or a file's own wrapper with its environment)
 * and returns the result; fails the test with the command's output unless it exited 0.
 */
export async function jsonResult<T>(run: (args: string[]) => Promise<CliResult>, args: string[]): Promise<T> {
  const r = await run([...args, '--json'])
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`)
  return json<T>(r).result
}
