/**
 * The one error a copy throws for a failed operation on either side, saying which operation
 * failed, on which side, and for which content (oras-go tags copy errors with an origin the
 * same way: `CopyError{Op, Origin, Err}`). The underlying error is the `cause`.
 */
import { messageOf, OcibundleError } from '../errors.js'
import type { Descriptor } from '../oci/descriptor.js'

/** What the copy was doing: resolving the reference, reading, parsing, probing, mounting, writing, tagging, listing referrers. */
export type CopyOp = 'resolve' | 'fetch' | 'parse' | 'exists' | 'mount' | 'push' | 'tag' | 'referrers'

/** The side whose operation failed. */
export type CopyOrigin = 'source' | 'destination'

const VERB: Record<CopyOp, string> = {
  resolve: 'resolve',
  fetch: 'fetch',
  parse: 'parse',
  exists: 'check for',
  mount: 'find mount sources for',
  push: 'push',
  tag: 'tag',
  referrers: 'list the referrers of',
}

/** What a CopyError is made from: the failed operation, its side, its content and the original error. */
export interface CopyErrorDetails {
  /** The operation that failed. */
  op: CopyOp
  /** The side it failed on. */
  origin: CopyOrigin
  /** The content the operation was about; absent only when a reference could not be resolved. */
  descriptor?: Descriptor
  /** The tag or digest string, for 'resolve' and 'tag'. */
  reference?: string
  /** The original error; it becomes the CopyError's `cause` and ends its message. */
  cause: unknown
}

/** A copy step failed on the source or the destination; `cause` holds the original error. */
export class CopyError extends OcibundleError {
  override readonly code: string = 'ERR_COPY'
  /** The operation that failed. */
  readonly op: CopyOp
  /** The side it failed on. */
  readonly origin: CopyOrigin
  /** The content the operation was about; undefined only when a reference could not be resolved. */
  readonly descriptor: Descriptor | undefined
  /** The tag or digest string, for 'resolve' and 'tag'. */
  readonly reference: string | undefined

  constructor(details: CopyErrorDetails) {
    const { op, origin, descriptor, reference, cause } = details
    const what = describeSubject(op, descriptor, reference)
    super(
      `copy failed: could not ${VERB[op]} ${what} ${origin === 'source' ? 'in the source' : 'in the destination'}: ${messageOf(cause)}`,
      {
        cause,
        suggestions: suggestionsFor(op, origin),
      },
    )
    this.op = op
    this.origin = origin
    this.descriptor = descriptor
    this.reference = reference
  }
}

function describeSubject(op: CopyOp, d: Descriptor | undefined, reference: string | undefined): string {
  const content = d && `${d.digest} (${d.mediaType}, ${d.size} bytes)`
  if (content === undefined) return `"${reference ?? ''}"`
  return op === 'tag' && reference !== undefined ? `${content} as "${reference}"` : content
}

function suggestionsFor(op: CopyOp, origin: CopyOrigin): string[] {
  if (op === 'parse')
    return ['the source holds a manifest that is not valid OCI or Docker schema 2 content; it cannot be copied as a graph']
  if (origin === 'source') {
    return [
      'check the source reference and that the source is reachable and readable',
      'content that is missing or fails verification must be pushed to the source again before it can be copied',
    ]
  }
  return [
    'check that the destination is reachable and writable: permissions, free space, credentials with push rights',
    'run the copy again; content already in the destination is skipped',
  ]
}
