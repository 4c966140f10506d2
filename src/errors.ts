/**
 * Error classes shared by the library and the CLI. Every class carries a stable `code`
 * (undici style) so callers and `--json` consumers can branch without parsing messages.
 * The CLI maps classes to exit codes in one place (src/cli/exit-codes.ts).
 */

/** Options every error class of the package takes. */
export interface ErrorOptions {
  /** The error that led to this one; becomes the standard `cause`. */
  cause?: unknown
  /** What the user can do next; rendered under the message by the CLI. */
  suggestions?: readonly string[]
}

/**
 * The base class of every error the package throws on purpose. `name` is the subclass's name,
 * `code` a stable string to branch on; anything else thrown comes from Node or undici as is.
 */
export class OcibundleError extends Error {
  /** Stable error code (`ERR_…`), one per class. */
  readonly code: string = 'ERR_OCIBUNDLE'
  /** What the user can do next; empty when there is nothing to suggest. */
  readonly suggestions: readonly string[]
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.suggestions = options.suggestions ?? []
  }
}

/** Content (blob, manifest, tag, file) does not exist where it was looked for. */
export class NotFoundError extends OcibundleError {
  override readonly code: string = 'ERR_NOT_FOUND'
}

/** A push found the content already present; copy treats this as success. */
export class AlreadyExistsError extends OcibundleError {
  override readonly code: string = 'ERR_ALREADY_EXISTS'
}

/** Bytes received do not hash to the digest they were promised under. */
export class DigestMismatchError extends OcibundleError {
  override readonly code: string = 'ERR_DIGEST_MISMATCH'
  constructor(
    /** The digest the content was promised under. */
    readonly expected: string,
    /** The digest of the bytes that arrived. */
    readonly actual: string,
    options: ErrorOptions & { source?: string } = {},
  ) {
    super(`digest mismatch: expected ${expected}, got ${actual}${options.source === undefined ? '' : ` from ${options.source}`}`, options)
  }
}

/** More or fewer bytes arrived than the descriptor's size says. */
export class SizeMismatchError extends OcibundleError {
  override readonly code: string = 'ERR_SIZE_MISMATCH'
  constructor(
    /** The size the descriptor states. */
    readonly expected: number,
    /** Bytes that arrived; when above `expected`, reading stopped there and more may have followed. */
    readonly actual: number,
    options: ErrorOptions & { source?: string } = {},
  ) {
    super(
      `size mismatch: expected ${expected} bytes, got ${actual}${actual > expected ? ' or more' : ''}${options.source === undefined ? '' : ` from ${options.source}`}`,
      options,
    )
  }
}

/** A read of untrusted input went past the bound we allow for it (for example 4 MiB for a manifest). */
export class SizeLimitError extends OcibundleError {
  override readonly code: string = 'ERR_SIZE_LIMIT'
  constructor(
    /** What was being read, for the message. */
    readonly what: string,
    /** The bound in bytes. */
    readonly limit: number,
    options: ErrorOptions = {},
  ) {
    super(`${what} is larger than the ${formatBytes(limit)} limit`, options)
  }
}

/** A string is not a valid digest (algorithm:encoded). */
export class InvalidDigestError extends OcibundleError {
  override readonly code: string = 'ERR_INVALID_DIGEST'
}

/** A reference string cannot be parsed; the message says which part is wrong and why. */
export class InvalidReferenceError extends OcibundleError {
  override readonly code: string = 'ERR_INVALID_REFERENCE'
  constructor(
    /** The reference as given. */
    readonly input: string,
    /** Which part is wrong and why. */
    readonly reason: string,
    options: ErrorOptions = {},
  ) {
    super(`invalid reference "${input.length > 100 ? `${input.slice(0, 100)}…` : input}": ${reason}`, options)
  }
}

/** A manifest, index, layout file or descriptor breaks the OCI image spec. */
export class InvalidContentError extends OcibundleError {
  override readonly code: string = 'ERR_INVALID_CONTENT'
}

/**
 * A name from untrusted content (a layer title, a tar entry, a link target) would be written
 * outside the directory it belongs in: absolute, with `..`, or through a symbolic link.
 */
export class UnsafePathError extends InvalidContentError {
  override readonly code: string = 'ERR_UNSAFE_PATH'
}

/**
 * An archive (a tar file, gzip-compressed or not) holds something we refuse to read: a link, a
 * device or FIFO, a name given twice, a directory announcing content, too many entries, or more
 * expanded data than its size allows (a gzip bomb). Names leading out of the archive are
 * UnsafePathError; a damaged archive is DamagedArchiveError.
 */
export class UnsafeArchiveError extends InvalidContentError {
  override readonly code: string = 'ERR_UNSAFE_ARCHIVE'
}

/**
 * An archive is damaged: it ends in the middle of an entry or of its compressed stream, or a
 * header does not check out (a partial copy, a bad medium). `ocibundle verify` reports it as
 * corrupt.
 */
export class DamagedArchiveError extends InvalidContentError {
  override readonly code: string = 'ERR_DAMAGED_ARCHIVE'
}

/** A file or directory would be overwritten without the caller allowing it (`--force`). */
export class FileExistsError extends OcibundleError {
  override readonly code: string = 'ERR_FILE_EXISTS'
}

/** A back end does not offer an operation (e.g. listing referrers on a layout). */
export class UnsupportedError extends OcibundleError {
  override readonly code: string = 'ERR_UNSUPPORTED'
}

/** The command line is wrong in a way the flag parser cannot see (e.g. a malformed --platform). */
export class UsageError extends OcibundleError {
  override readonly code: string = 'ERR_USAGE'
}

/** A file the user named could not be read or parsed as input. */
export class InputError extends OcibundleError {
  override readonly code: string = 'ERR_INPUT'
}

/** Another process holds a lock we waited for too long. */
export class LockTimeoutError extends OcibundleError {
  override readonly code: string = 'ERR_LOCK_TIMEOUT'
}

/** A byte count for messages: whole MiB or KiB when it is an exact multiple, else bytes (`4 MiB`, `1536 bytes`). */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`
  return `${n} bytes`
}

/** The message of anything thrown, without assuming it is an Error. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
