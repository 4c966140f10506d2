/**
 * Reading content safely: bounded reads of untrusted streams and verified reads of content
 * addressed by a descriptor. Every back end and every caller goes through these helpers so
 * that "verify before use" is done in one place.
 */
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { SizeLimitError, SizeMismatchError } from '../errors.js'
import { VerifyingStream } from '../oci/digest.js'
import type { Descriptor } from '../oci/descriptor.js'
import { MAX_MANIFEST_BYTES } from '../oci/manifest.js'
import type { Body, Fetcher, OpOptions } from './storage.js'

/** Turns any accepted push body into a Node stream. */
export function toReadable(body: Body): Readable {
  if (body instanceof Uint8Array) return Readable.from([body], { objectMode: false })
  if (body instanceof Readable) return body
  return Readable.from(body, { objectMode: false })
}

/**
 * Reads a whole stream into memory, failing with SizeLimitError as soon as it exceeds `limit`
 * bytes so a hostile or broken source cannot exhaust memory.
 */
export async function readBounded(source: AsyncIterable<Uint8Array>, limit: number, what = 'content'): Promise<Buffer> {
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of source) {
    total += chunk.length
    if (total > limit) {
      if (source instanceof Readable) source.destroy()
      throw new SizeLimitError(what, limit)
    }
    chunks.push(Buffer.from(chunk))
  }
  return Buffer.concat(chunks, total)
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
  const stream = await store.fetch(desc, o)
  return readBounded(verifying(stream, desc), limit, `content ${desc.digest}`)
}

/** Fetches content as a stream that errors if it does not match the descriptor. */
export async function fetchVerified(store: Fetcher, desc: Descriptor, o: OpOptions = {}): Promise<Readable> {
  return verifying(await store.fetch(desc, o), desc)
}

/** Wraps a stream so that it fails on any size or digest mismatch with `desc`. */
export function verifying(source: Readable, desc: Descriptor): Readable {
  const verifier = new VerifyingStream(desc.digest, desc.size)
  pipeline(source, verifier).catch(() => {
    // The error is delivered to whoever reads `verifier`; pipeline destroys both ends.
  })
  return verifier
}

/** Consumes a push body through verification into a sink function, chunk by chunk. */
export async function consumeVerified(
  body: Body,
  expected: Descriptor,
  sink: (chunk: Buffer) => void | Promise<void>,
): Promise<void> {
  if (body instanceof Uint8Array && body.length !== expected.size) {
    throw new SizeMismatchError(expected.size, body.length)
  }
  for await (const chunk of verifying(toReadable(body), expected)) await sink(chunk as Buffer)
}
