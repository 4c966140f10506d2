/**
 * Content digests (`algorithm:encoded`) per the OCI image spec, descriptor.md "Digests".
 * sha256 is what every registry speaks; sha512 is registered and recognised.
 * References: https://github.com/opencontainers/image-spec/blob/v1.1.1/descriptor.md#digests
 */
import { createHash, type Hash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { DigestMismatchError, InvalidDigestError, SizeMismatchError } from '../errors.js'

/** A validated digest string such as `sha256:<64 lowercase hex>`. */
export type Digest = string & { readonly __brand: 'Digest' }

/** The digest algorithms this package computes and verifies. */
export type DigestAlgorithm = 'sha256' | 'sha512'

const ENCODED_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 }
/** Grammar from the spec: algorithm-component ([+._-] algorithm-component)* ":" encoded. */
const GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/

/** Whether `alg` names a supported digest algorithm. */
export function isDigestAlgorithm(alg: string): alg is DigestAlgorithm {
  return alg === 'sha256' || alg === 'sha512'
}

/**
 * Parses and validates a digest string. Registered algorithms must use lowercase hex of the
 * right length. Throws InvalidDigestError saying what is wrong.
 */
export function parseDigest(value: string): Digest {
  if (typeof value !== 'string' || !GRAMMAR.test(value)) {
    throw new InvalidDigestError(`invalid digest "${String(value)}": expected <algorithm>:<hex>, e.g. sha256:<64 hex characters>`)
  }
  const colon = value.indexOf(':')
  const alg = value.slice(0, colon)
  const encoded = value.slice(colon + 1)
  if (!isDigestAlgorithm(alg)) {
    throw new InvalidDigestError(`unsupported digest algorithm "${alg}" in "${value}": only sha256 and sha512 are supported`)
  }
  const want = ENCODED_LENGTH[alg]
  if (encoded.length !== want || !/^[a-f0-9]+$/.test(encoded)) {
    throw new InvalidDigestError(`invalid ${alg} digest "${value}": the encoded part must be ${want} lowercase hex characters`)
  }
  return value as Digest
}

/** Whether `value` is a digest string parseDigest accepts; never throws. */
export function isDigest(value: unknown): value is Digest {
  if (typeof value !== 'string') return false
  try {
    parseDigest(value)
    return true
  } catch {
    return false
  }
}

/** The algorithm part of a digest, before the colon. */
export function digestAlgorithm(d: Digest): DigestAlgorithm {
  return d.slice(0, d.indexOf(':')) as DigestAlgorithm
}

/** The encoded part of a digest (the hex after the colon). */
export function digestEncoded(d: Digest): string {
  return d.slice(d.indexOf(':') + 1)
}

/** Digest of bytes held in memory (manifests, configs: small content we created or bounded-read). */
export function digestOf(data: Uint8Array | string, alg: DigestAlgorithm = 'sha256'): Digest {
  return `${alg}:${createHash(alg).update(data).digest('hex')}` as Digest
}

/** Incremental hasher for content that arrives in chunks. */
export class Digester {
  private readonly hash: Hash
  private count = 0
  constructor(
    /** The hash algorithm, sha256 unless given. */
    readonly algorithm: DigestAlgorithm = 'sha256',
  ) {
    this.hash = createHash(algorithm)
  }
  /** Adds the next chunk to the hash and the byte count. */
  update(chunk: Uint8Array): void {
    this.hash.update(chunk)
    this.count += chunk.length
  }
  /** Bytes hashed so far. */
  get size(): number {
    return this.count
  }
  /** The digest of everything added. Call once: the hash cannot be updated or read again after it. */
  digest(): Digest {
    return `${this.algorithm}:${this.hash.digest('hex')}` as Digest
  }
}

/** Hashes a whole stream without keeping it; resolves with digest and size. */
export async function digestStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  alg: DigestAlgorithm = 'sha256',
): Promise<{ digest: Digest; size: number }> {
  const d = new Digester(alg)
  for await (const chunk of source) d.update(chunk)
  return { digest: d.digest(), size: d.size }
}

/**
 * Checks content that arrives in chunks against a digest and size: `add` throws
 * SizeMismatchError as soon as more than the expected size arrived (so a hostile source cannot
 * make us read unbounded data), `finish` throws SizeMismatchError or DigestMismatchError unless
 * exactly the expected content arrived.
 */
export class ContentCheck {
  private readonly digester: Digester
  constructor(
    /** The digest the content must hash to. */
    readonly expectedDigest: Digest,
    /** The exact number of bytes the content must have. */
    readonly expectedSize: number,
  ) {
    this.digester = new Digester(digestAlgorithm(expectedDigest))
  }
  /** Hashes the next chunk. Throws SizeMismatchError, before hashing it, when it would pass the expected size. */
  add(chunk: Uint8Array): void {
    if (this.digester.size + chunk.length > this.expectedSize)
      throw new SizeMismatchError(this.expectedSize, this.digester.size + chunk.length)
    this.digester.update(chunk)
  }
  /** Ends the check. Throws SizeMismatchError when fewer bytes arrived, DigestMismatchError when they hash differently. */
  finish(): void {
    if (this.digester.size !== this.expectedSize) throw new SizeMismatchError(this.expectedSize, this.digester.size)
    const actual = this.digester.digest()
    if (actual !== this.expectedDigest) throw new DigestMismatchError(this.expectedDigest, actual)
  }
}

/**
 * A pass-through stream that applies a ContentCheck to what flows through it: it fails as soon as
 * too many bytes arrive, and at the end when fewer arrived or the digest differs. Consumers
 * therefore never see a successful end of a wrong stream.
 */
export class VerifyingStream extends Transform {
  private readonly check: ContentCheck
  constructor(expectedDigest: Digest, expectedSize: number) {
    super()
    this.check = new ContentCheck(expectedDigest, expectedSize)
  }
  /**
   * Node's Transform hook: checks the chunk and passes it on. Not for callers.
   * @internal
   */
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.check.add(chunk)
    } catch (err) {
      done(err as Error)
      return
    }
    done(null, chunk)
  }
  /**
   * Node's Transform hook: finishes the check at the end of the input. Not for callers.
   * @internal
   */
  override _flush(done: TransformCallback): void {
    try {
      this.check.finish()
    } catch (err) {
      done(err as Error)
      return
    }
    done()
  }
}

/** Checks in-memory bytes against an expected digest and size; throws the matching error. */
export function verifyBytes(data: Uint8Array, expectedDigest: Digest, expectedSize: number): void {
  if (data.length !== expectedSize) throw new SizeMismatchError(expectedSize, data.length)
  const actual = digestOf(data, digestAlgorithm(expectedDigest))
  if (actual !== expectedDigest) throw new DigestMismatchError(expectedDigest, actual)
}
