/**
 * The base of every command: the `--json` envelope, results on stdout and diagnostics on
 * stderr, and error → exit code mapping in one place. Commands only parse, call the library
 * and render.
 *
 * JSON envelope (stdout, one document):
 *   success: { "status": <exit code>, "result": <command result>, "warnings": [<string>] }
 *   failure: { "status": <exit code>, "error": { "name", "code", "message", "suggestions" }, "warnings": [] }
 */
import { Command } from '@oclif/core/command'
import { OcibundleError } from '../errors.js'
import { ExitCode, exitCodeFor, isSystemError, type ExitCodeValue } from './exit-codes.js'
import { createProgress, type ProgressSink } from './progress.js'
import { style } from './render.js'
import { describeSystemError } from '../util/files.js'

export interface JsonSuccess<T> {
  status: number
  result: T
  warnings: string[]
}
export interface JsonFailure {
  status: number
  error: { name: string; code: string; message: string; suggestions: string[] }
  warnings: string[]
}

export abstract class BaseCommand<T> extends Command {
  static override enableJsonFlag = true

  /** Non-fatal notes gathered while running; printed to stderr, or listed in the JSON envelope. */
  protected readonly warnings: string[] = []
  /** Exit code for a run that returned a result but did not fully succeed (e.g. invalid input found). */
  private resultExitCode: ExitCodeValue = ExitCode.Ok
  /** Progress bars of this run: cleared before any other output, and at the end whatever happened. */
  private readonly bars: ProgressSink[] = []

  abstract override run(): Promise<T>

  /** Ends a run that produced a result with a non-zero exit code (used by checks like validate). */
  protected setExitCode(code: ExitCodeValue): void {
    this.resultExitCode = code
    process.exitCode = code
  }

  /** A warning for the user: stderr in human mode, the envelope's `warnings` with --json. */
  protected warning(message: string): void {
    this.warnings.push(message)
    if (this.jsonEnabled()) return
    this.clearProgress()
    process.stderr.write(`${style.yellow('warning')}: ${message}\n`)
  }

  /** Prints a line of human output; silent with --json (the result is printed instead). */
  protected out(text: string): void {
    if (this.jsonEnabled()) return
    this.clearProgress()
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
  }

  /** Progress bars on stderr when it is a terminal, `show` is true and the output is not JSON; silent otherwise. */
  protected progressBars(show = true): ProgressSink {
    const bars = createProgress(show && !this.jsonEnabled())
    this.bars.push(bars)
    return bars
  }

  private clearProgress(): void {
    for (const bars of this.bars) bars.finish()
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    this.clearProgress()
    return super.finally(err)
  }

  protected override toSuccessJson(result: T): JsonSuccess<T> {
    return { status: this.resultExitCode, result, warnings: this.warnings }
  }

  protected override toErrorJson(err: unknown): JsonFailure {
    const status = exitCodeFor(err)
    return { status, error: describeError(err, status), warnings: this.warnings }
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<void> {
    this.clearProgress()
    const status = exitCodeFor(err)
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(err))
    } else {
      const { message, suggestions } = describeError(err, status)
      const lines = [`${style.red('Error')}: ${message}`, ...suggestions.map((s) => `  ${style.dim('→')} ${s}`)]
      if (status === ExitCode.Internal || process.env.DEBUG) lines.push(style.dim(err.stack ?? ''))
      process.stderr.write(`${lines.join('\n')}\n`)
    }
    // ExitError is not printed again by oclif's handler; it just sets the code.
    this.exit(status)
  }
}

/** The user-facing description of an error: message and what to do next. */
export function describeError(err: unknown, status: number): JsonFailure['error'] {
  const e = err instanceof Error ? err : new Error(String(err))
  const suggestions = [...(e instanceof OcibundleError ? e.suggestions : ((e as { suggestions?: string[] }).suggestions ?? []))]
  // What the underlying failure suggests (e.g. "log in") matters more than the wrapper's advice.
  for (let cause = e.cause; cause instanceof OcibundleError; cause = cause.cause) {
    for (const s of cause.suggestions) if (!suggestions.includes(s)) suggestions.unshift(s)
  }
  const ownCode = (e as { code?: unknown }).code
  let code = typeof ownCode === 'string' ? ownCode : 'ERR_UNKNOWN'
  // oclif's parse errors already end with "See more help with --help".
  if (status === ExitCode.Usage && !(e instanceof OcibundleError)) code = 'ERR_USAGE'
  if (status === ExitCode.Internal) {
    code = 'ERR_INTERNAL'
    suggestions.push('this is a bug in ocibundle; please report it with the output of the same command run with DEBUG=1')
  }
  if (isSystemError(e) && e.code === 'EACCES') suggestions.push('check the file permissions, or run as a user that may write there')
  // A file system error in words ("x does not exist (ENOENT)"), not Node's "ENOENT: no such file or directory, open 'x'".
  return { name: e.name, code, message: describeSystemError(e) ?? e.message, suggestions }
}
