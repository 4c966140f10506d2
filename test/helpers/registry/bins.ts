/**
 * The system tools the registry harness runs (docker-registry, openssl, htpasswd, skopeo), found
 * on PATH up front so a missing one fails with the fix in the message instead of a bare ENOENT.
 */
import { execFile } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/** What to run when a tool is missing; the script installs every tool below. */
export const INSTALL_HINT =
  'run `sudo bash scripts/install-system-deps.sh` (Debian packages docker-registry, openssl, apache2-utils, skopeo, umoci, tinyproxy)'

const found = new Map<string, string>()

/**
 * Absolute path of `name` on PATH.
 * @throws Error naming the tool and {@link INSTALL_HINT} when it is not installed.
 */
export function requireBinary(name: string): string {
  const cached = found.get(name)
  if (cached) return cached
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      found.set(name, candidate)
      return candidate
    } catch {
      // not in this directory
    }
  }
  throw new Error(`\`${name}\` is not installed (not on PATH): ${INSTALL_HINT}`)
}

export interface RunResult {
  stdout: string
  stderr: string
}

/**
 * Runs `name args...` to completion and returns its output.
 * @throws Error carrying the command line, exit code and stderr when it fails, so a test failure
 *   shows what the tool said.
 */
export function runTool(
  name: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const file = requireBinary(name)
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const code = typeof err.code === 'number' ? `exit code ${err.code}` : String(err.code ?? err.signal ?? err.message)
          reject(new Error(`${name} ${args.join(' ')} failed (${code}):\n${stderr || stdout}`))
          return
        }
        resolve({ stdout, stderr })
      },
    )
    // The tool may exit before reading its input; EPIPE then is not the test's failure.
    child.stdin?.on('error', () => {})
    child.stdin?.end(options.input ?? '')
  })
}
