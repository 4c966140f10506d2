/**
 * Moving one blob from source to destination as a stream: the source stream is verified
 * against the descriptor while the destination consumes it, so the bytes are never held whole
 * and a wrong source byte fails the push before anything is stored. Because one failing push
 * can be caused by either side, the source stream's own failure is recorded to tell them apart.
 */
import { Transform, type Readable } from 'node:stream'
import { canPushBlob, type Fetcher, type Pusher } from '../content/storage.js'
import { fetchVerified, isIntegrityFailure, markVerified } from '../content/verify.js'
import { AlreadyExistsError } from '../errors.js'
import type { Descriptor } from '../oci/descriptor.js'
import { CopyError } from './copy-error.js'

/** Bytes of one blob handed to the destination so far. */
export interface CopyProgress {
  /** The blob being copied. */
  descriptor: Descriptor
  /** Cumulative for this blob; the last event of a completed blob has `bytes === total`. */
  bytes: number
  /** The blob's size from its descriptor. */
  total: number
}

export interface BlobTransferOptions {
  signal: AbortSignal
  onProgress?: (progress: CopyProgress) => void
}

/**
 * Streams `desc` from `src` into `dst.push`. Resolves 'pushed', or 'present' when the
 * destination answers AlreadyExistsError. Throws CopyError with origin 'source' when the
 * source cannot be fetched or its bytes do not match `desc`, CopyError with origin
 * 'destination' when the push fails otherwise, the signal's reason when aborted, and whatever
 * `onProgress` throws, unchanged.
 */
export async function transferBlob(src: Fetcher, dst: Pusher, desc: Descriptor, o: BlobTransferOptions): Promise<'pushed' | 'present'> {
  try {
    return await transferOnce(src, dst, desc, o)
  } catch (err) {
    // Content-addressed bytes that failed verification (an altered byte, a short body from a
    // flaky proxy) are fetched once more: a second read often succeeds, a second failure stands.
    if (!(err instanceof CopyError && err.origin === 'source' && isIntegrityFailure(err.cause)) || o.signal.aborted) throw err
    return transferOnce(src, dst, desc, o)
  }
}

async function transferOnce(src: Fetcher, dst: Pusher, desc: Descriptor, o: BlobTransferOptions): Promise<'pushed' | 'present'> {
  const opened: Readable[] = []
  const failures: Failures = {}
  // Each opening fetches the source again, so a destination that must restart an upload in
  // another way (a registry refusing a monolithic PUT) can read the content a second time.
  const open = async (): Promise<Readable> => {
    let body: Readable
    try {
      body = await fetchVerified(src, desc, { signal: o.signal })
    } catch (err) {
      failures.source = err
      throw err
    }
    opened.push(body)
    // The relay passes on the verified stream's bytes and errors, so it is verified as well.
    return markVerified(relay(body, desc, o.onProgress, failures), desc)
  }
  try {
    // The caller has just checked that the destination lacks the blob (copy's `exists`).
    if (canPushBlob(dst)) await dst.pushBlob(desc, open, { signal: o.signal, knownAbsent: true })
    else await dst.push(desc, await open(), { signal: o.signal })
    return 'pushed'
  } catch (err) {
    if (err instanceof AlreadyExistsError) return 'present'
    if (o.signal.aborted) throw o.signal.reason
    if ('hook' in failures) throw failures.hook
    if ('source' in failures) throw new CopyError({ op: 'fetch', origin: 'source', descriptor: desc, cause: failures.source })
    throw new CopyError({ op: 'push', origin: 'destination', descriptor: desc, cause: err })
  } finally {
    // Frees the source when the destination returned without reading it all (content present, early failure).
    for (const body of opened) body.destroy()
  }
}

interface Failures {
  source?: unknown
  hook?: unknown
}

/**
 * Passes `body`'s chunks on, reporting cumulative bytes, and records an error only when it comes
 * from `body`: an error the destination injects by destroying the relay is not recorded, so it
 * cannot be blamed on the source. A Transform fed by pipe costs one stream step per chunk, where
 * a generator under Readable.from cost two promises and two stream steps.
 */
function relay(body: Readable, desc: Descriptor, onProgress: ((progress: CopyProgress) => void) | undefined, failures: Failures): Readable {
  let bytes = 0
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length
      try {
        onProgress?.({ descriptor: desc, bytes, total: desc.size })
      } catch (err) {
        failures.hook = err
        done(err as Error)
        return
      }
      done(null, chunk)
    },
  })
  body.on('error', (err) => {
    failures.source = err
    out.destroy(err)
  })
  // The destination reads errors through its own listener; without this one, an error in a relay
  // the destination never read (it failed first) would be an uncaught exception.
  out.on('error', () => {})
  return body.pipe(out)
}
