/**
 * Reading content safely: bounded reads of untrusted streams and verified reads of content
 * addressed by a descriptor. Every back end and every caller goes through these helpers so
 * that "verify before use" is done in one place.
 */
import { addAbortSignal, finished, Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { DigestMismatchError, SizeLimitError, SizeMismatchError } from '../errors.js'
import { readBounded } from '../util/streams.js'
import { VerifyingStream } from '../oci/digest.js'
import { descriptorKey, type Descriptor } from '../oci/descriptor.js'
import { MAX_MANIFEST_BYTES } from '../oci/manifest.js'
import type { Body, Fetcher, OpOptions } from './storage.js'

/** Turns any accepted push body into a Node stream. */
export function toReadable(body: Body): Readable {
  if (body instanceof Uint8Array) return Readable.from([body], { objectMode: false })
  if (body instanceof Readable) return body
  return Readable.from(body, { objectMode: false })
}

/**
 * Releases a push body that will not be read (the content is already stored): destroys a
 * stream so its file descriptor or HTTP response is freed, and closes an async iterator.
 */
export function discardBody(body: Body): void {
  if (body instanceof Uint8Array) return
  if (body instanceof Readable) {
    // Destroying an unread stream may emit an error (undici: RequestAbortedError); nobody is
    // waiting for it, and without a listener it would crash the process.
    body.on('error', () => {})
    body.destroy()
    return
  }
  body[Symbol.asyncIterator]()
    .return?.()
    ?.catch(() => {
      // A generator failing while it is closed has nothing left to tell us.
    })
}

/**
 * Fetches content and returns its bytes after checking size and digest. Refuses descriptors
 * larger than `limit` before reading anything (the descriptor's size is not trusted for
 * allocation, only as an upper bound we are willing to read). Default limit: 4 MiB, meant for
 * manifests and configs; blobs should be streamed with `fetchVerified` instead.
 */
export async function fetchAll(store: Fetcher, desc: Descriptor, o: OpOptions & { limit?: number } = {}): Promise<Buffer> {
  const limit = o.limit ?? MAX_MANIFEST_BYTES
  if (desc.size > limit) throw new SizeLimitError(`content ${desc.digest} (${desc.size} bytes)`, limit)
  const read = async () => readBounded(verifying(await store.fetch(desc, o), desc), limit, `content ${desc.digest}`)
  try {
    return await read()
  } catch (err) {
    // Bytes that failed verification are fetched once more; a second failure stands.
    if (!isIntegrityFailure(err) || o.signal?.aborted) throw err
    return read()
  }
}

/** Whether `err` says content did not match its digest or size. */
export function isIntegrityFailure(err: unknown): boolean {
  return err instanceof DigestMismatchError || err instanceof SizeMismatchError
}

/** Fetches content as a stream that errors if it does not match the descriptor. */
export async function fetchVerified(store: Fetcher, desc: Descriptor, o: OpOptions = {}): Promise<Readable> {
  return verifying(await store.fetch(desc, o), desc)
}

/**
 * Streams known to fail unless their bytes match a descriptor (by descriptorKey). Verifying one
 * again would only hash the same bytes twice: a layout-to-registry copy would otherwise hash
 * every blob three times (layout read, copy, upload), which costs more than the transfer.
 */
const verifiedStreams = new WeakMap<Readable, string>()

/**
 * Wraps a stream so that it fails on any size or digest mismatch with `desc`. A stream that is
 * already verified against the same content (see markVerified) is returned as it is.
 */
export function verifying(source: Readable, desc: Descriptor): Readable {
  if (verifiedStreams.get(source) === descriptorKey(desc)) return source
  const verifier = new VerifyingStream(desc.digest, desc.size)
  pipeline(source, verifier).catch(() => {
    // The error is delivered to whoever reads `verifier`; pipeline destroys both ends.
  })
  return markVerified(verifier, desc)
}

/**
 * Records that `stream` fails unless its bytes match `desc`: it is a verifying stream, or passes
 * on one's chunks and errors (a relay that counts progress). Only for streams built that way.
 */
export function markVerified<S extends Readable>(stream: S, desc: Descriptor): S {
  verifiedStreams.set(stream, descriptorKey(desc))
  return stream
}

/**
 * Consumes a push body through verification into a sink function, chunk by chunk. When the sink
 * returns a promise, the stream is paused until it settles, so a slow sink applies back-pressure
 * to the source. When `signal` aborts, reading stops with an AbortError and the source is
 * destroyed.
 */
export async function consumeVerified(
  body: Body,
  expected: Descriptor,
  sink: (chunk: Buffer) => void | Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  if (body instanceof Uint8Array && body.length !== expected.size) {
    throw new SizeMismatchError(expected.size, body.length)
  }
  if (signal?.aborted) {
    discardBody(body)
    signal.throwIfAborted()
  }
  const verified = verifying(toReadable(body), expected)
  if (signal) addAbortSignal(signal, verified)
  await drain(verified, sink)
}

/**
 * Feeds a stream's chunks to `sink` from 'data' events (a `for await` loop costs a promise per
 * chunk). Resolves once the stream has ended and the sink's last promise has settled; rejects
 * with the first error of either, destroying the stream.
 */
function drain(source: Readable, sink: (chunk: Buffer) => void | Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed = false
    let pending: Promise<void> | undefined
    const fail = (err: unknown) => {
      if (failed) return
      failed = true
      source.destroy()
      reject(err)
    }
    source.on('data', (chunk: Buffer) => {
      if (failed) return
      try {
        pending = sink(chunk) ?? undefined
      } catch (err) {
        fail(err)
        return
      }
      if (!pending) return
      source.pause()
      pending.then(() => {
        pending = undefined
        if (!failed) source.resume()
      }, fail)
    })
    // finished() also reports a stream that failed before anyone listened (a relay whose source
    // broke while the destination was still opening its file). The end may come while the sink
    // still works on the last chunk.
    finished(source, (err) => {
      if (err) fail(err)
      else
        Promise.resolve(pending).then(() => {
          if (!failed) resolve()
        }, fail)
    })
  })
}
