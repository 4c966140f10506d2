/**
 * The documented exit codes, and the one place that maps an error to one of them.
 * The README's exit-code table is generated from EXIT_CODES (scripts/gen-docs.js).
 */
import {
  DigestMismatchError,
  InputError,
  InvalidContentError,
  InvalidReferenceError,
  NotFoundError,
  OcibundleError,
  SizeLimitError,
  SizeMismatchError,
  UsageError,
} from '../errors.js'
import { FixupError, PublishError } from '../publish/publish-errors.js'
import { NoWorkingTierError } from '../compat/classify.js'
import { RefitNeededError } from '../publish/refit-errors.js'
import { CopyError } from '../copy/copy-error.js'
import { AuthenticationError, RegistryResponseError } from '../registry/http/response-errors.js'
import type { VerifyStatus } from '../publish/verify-bundle.js'

export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
  Invalid: 3,
  Incompatible: 4,
  Auth: 5,
  NotFound: 6,
  Integrity: 7,
  Incomplete: 8,
  Corrupt: 9,
  Internal: 10,
} as const
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export const EXIT_CODES: ReadonlyArray<{ code: ExitCodeValue; name: string; meaning: string }> = [
  { code: ExitCode.Ok, name: 'ok', meaning: 'success (warnings may have been printed)' },
  {
    code: ExitCode.Failure,
    name: 'failure',
    meaning: 'the operation failed (file system, network, a server that is not a registry, lock timeout, …); the message says why',
  },
  { code: ExitCode.Usage, name: 'usage', meaning: 'wrong command line: unknown command or flag, missing argument, malformed reference' },
  {
    code: ExitCode.Invalid,
    name: 'invalid',
    meaning: 'the input is invalid: bundle validation errors, unreadable JSON, not canonical under `fmt --check`, malformed content',
  },
  {
    code: ExitCode.Incompatible,
    name: 'incompatible',
    meaning: 'the registry accepts no representation of the bundle (`registry check` says why)',
  },
  { code: ExitCode.Auth, name: 'auth', meaning: 'the registry refused the credentials, or needs some: run `ocibundle login <registry>`' },
  { code: ExitCode.NotFound, name: 'not-found', meaning: 'a file, tag, manifest or blob does not exist' },
  { code: ExitCode.Integrity, name: 'integrity', meaning: 'content did not match its digest or size; nothing was written' },
  {
    code: ExitCode.Incomplete,
    name: 'incomplete',
    meaning: '`verify`: something the bundle needs is missing (a blob, a manifest, an image, a referrer); copy it again',
  },
  {
    code: ExitCode.Corrupt,
    name: 'corrupt',
    meaning: '`verify`: something is present but does not match its digest or size, or the archive is damaged; do not install it',
  },
  {
    code: ExitCode.Internal,
    name: 'internal',
    meaning: 'a bug in ocibundle; please report it with the output of the command run with DEBUG=*',
  },
]

/** Exit code for anything thrown by a command. */
export function exitCodeFor(err: unknown): ExitCodeValue {
  // Every representation was tried and refused as unsupported: the registry cannot take the bundle.
  if (err instanceof NoWorkingTierError) return ExitCode.Incompatible
  // A published bundle the registry does not take as it is, and --no-fallback forbids re-fitting it.
  if (err instanceof RefitNeededError) return ExitCode.Incompatible
  if (
    err instanceof PublishError &&
    err.attempts.some((a) => a.error !== undefined) &&
    err.attempts.every((a) => a.error === undefined || a.classification?.fallback === true)
  ) {
    return ExitCode.Incompatible
  }
  // A copy, fixup or publish failure is as serious as what made it fail (a refused login, a missing tag, …).
  if ((err instanceof CopyError || err instanceof FixupError || err instanceof PublishError) && err.cause !== undefined)
    return exitCodeFor(err.cause)
  if (err instanceof DigestMismatchError || err instanceof SizeMismatchError) return ExitCode.Integrity
  if (err instanceof NotFoundError) return ExitCode.NotFound
  if (err instanceof AuthenticationError) return ExitCode.Auth
  // 403 DENIED: the registry knows who we are and refuses; logging in as someone else may help.
  if (err instanceof RegistryResponseError && err.status === 403) return ExitCode.Auth
  if (err instanceof InvalidReferenceError || err instanceof UsageError) return ExitCode.Usage
  if (err instanceof InputError || err instanceof InvalidContentError || err instanceof SizeLimitError) return ExitCode.Invalid
  if (err instanceof OcibundleError) return ExitCode.Failure
  const oclifExit = (err as { oclif?: { exit?: unknown } } | null)?.oclif?.exit
  if (typeof oclifExit === 'number') return oclifExit === 2 ? ExitCode.Usage : (oclifExit as ExitCodeValue)
  if (isSystemError(err)) return err.code === 'ENOENT' ? ExitCode.NotFound : ExitCode.Failure
  return ExitCode.Internal
}

/** Node's errors from the file system and sockets carry a string code and a syscall. */
export function isSystemError(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && 'syscall' in err
}

/** Exit code of a `verify` verdict: 0 complete, 8 incomplete, 9 corrupt (corrupt wins when both are found). */
export function exitCodeForVerify(status: VerifyStatus): ExitCodeValue {
  return status === 'corrupt' ? ExitCode.Corrupt : status === 'incomplete' ? ExitCode.Incomplete : ExitCode.Ok
}
