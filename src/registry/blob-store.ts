/**
 * Blobs on a registry: HEAD/GET/DELETE `/v2/<name>/blobs/<digest>` (uploads are in upload.ts).
 * Downloads are streamed through verification and resumed with `Range` when the connection
 * breaks off, so a long download survives a reset without starting over and the consumer still
 * sees one stream that fails unless every byte matches the descriptor.
 * References:
 *  - https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#pulling-blobs
 *  - RFC 9110 §14 (Range requests)
 */
import { Readable } from 'node:stream'
import { isIntegrityFailure, markVerified } from '../content/verify.js'
import { DigestMismatchError, messageOf, NotFoundError, OcibundleError, SizeMismatchError } from '../errors.js'
import type { Descriptor } from '../oci/descriptor.js'
import { ContentCheck, type Digest } from '../oci/digest.js'
import { MediaTypes } from '../oci/media-types.js'
import type { RepositoryContext } from './context.js'
import { releaseBody, type RegistryResponse } from './http/client.js'
import { stallOf } from './http/timeouts.js'
import { NetworkError } from './http/transport-errors.js'
import { contentLength, discard, hasStatus, header } from './responses.js'
import { blobPath } from './urls.js'

/** The blob endpoints of one repository, except uploads. */
export class BlobStore {
  constructor(
    private readonly ctx: RepositoryContext,
    /** Range requests allowed per download after the connection broke off. */
    private readonly maxResumes: number,
  ) {}

  /** Whether the blob is present: HEAD 200 (with a matching Content-Length when sent) or 404. */
  async exists(desc: Descriptor, signal?: AbortSignal): Promise<boolean> {
    const res = await this.ctx.send({
      method: 'HEAD',
      path: blobPath(this.ctx.repository, desc.digest),
      scopes: this.ctx.pullScopes,
      expect: [200, 404],
      ...(signal && { signal }),
    })
    await discard(res)
    if (res.status === 404) return false
    const size = contentLength(res)
    return size === undefined || size === desc.size
  }

  /**
   * Describes a blob from a HEAD: size from Content-Length, digest as asked (the registry
   * addresses blobs by it). Throws NotFoundError (404) and OcibundleError without a length.
   */
  async resolve(digest: Digest, signal?: AbortSignal): Promise<Descriptor> {
    const res = await this.ctx.send({
      method: 'HEAD',
      path: blobPath(this.ctx.repository, digest),
      scopes: this.ctx.pullScopes,
      expect: [200, 404],
      ...(signal && { signal }),
    })
    await discard(res)
    if (res.status === 404) throw new NotFoundError(`blob ${digest} not found in ${this.ctx.registry}/${this.ctx.repository}`)
    const size = contentLength(res)
    if (size === undefined) throw new OcibundleError(`the registry did not say the size of blob ${digest} (no Content-Length)`)
    return { mediaType: MediaTypes.OctetStream, digest, size }
  }

  /**
   * Streams the blob, verified against `desc`: the stream fails with SizeMismatchError or
   * DigestMismatchError unless every byte matches. When the body breaks off (an error or an
   * early end), the rest is requested with `Range: bytes=<received>-`, up to `maxResumes`
   * times; a 200 answer to that (Range ignored) has its already delivered prefix skipped.
   * Throws NotFoundError (404) before any byte is delivered.
   */
  async fetch(desc: Descriptor, signal?: AbortSignal): Promise<Readable> {
    const first = await this.get(desc, 0, signal)
    const download = new BlobDownload(desc, first, this.name, this.maxResumes, (offset) => this.get(desc, offset, signal), signal)
    // The bytes failed verification: whoever fetches again (a copy retries once) gets new connections.
    download.once('error', (err) => {
      if (isIntegrityFailure(err)) this.ctx.client.renewConnections(this.ctx.registry)
    })
    return markVerified(download, desc)
  }

  /** DELETEs the blob. Throws NotFoundError (404), RegistryResponseError otherwise (405: delete disabled). */
  async delete(desc: Descriptor, signal?: AbortSignal): Promise<void> {
    try {
      await discard(
        await this.ctx.send({
          method: 'DELETE',
          path: blobPath(this.ctx.repository, desc.digest),
          scopes: this.ctx.deleteScopes,
          ...(signal && { signal }),
        }),
      )
    } catch (err) {
      if (hasStatus(err, 404)) throw new NotFoundError(`blob ${desc.digest} not found in ${this.name}`, { cause: err })
      throw err
    }
  }

  private get name(): string {
    return `${this.ctx.registry}/${this.ctx.repository}`
  }

  /**
   * GET of the blob from `offset` on. Early checks on a whole-blob answer: Content-Length and
   * `Docker-Content-Digest` must match `desc` when sent. A 206 must start at `offset`.
   */
  private async get(desc: Descriptor, offset: number, signal: AbortSignal | undefined, retried = false): Promise<RegistryResponse> {
    let res: RegistryResponse
    try {
      res = await this.ctx.send({
        method: 'GET',
        path: blobPath(this.ctx.repository, desc.digest),
        ...(offset > 0 && { headers: { range: `bytes=${offset}-` } }),
        scopes: this.ctx.pullScopes,
        expect: offset > 0 ? [200, 206] : [200],
        ...(signal && { signal }),
      })
    } catch (err) {
      if (hasStatus(err, 404)) throw new NotFoundError(`blob ${desc.digest} not found in ${this.name}`, { cause: err })
      throw err
    }
    try {
      if (res.status === 206) {
        const start = /^bytes (\d+)-/.exec(header(res, 'content-range') ?? '')?.[1]
        if (start !== undefined && Number(start) !== offset) {
          throw new OcibundleError(`${this.name} answered a request for blob ${desc.digest} from byte ${offset} with bytes from ${start}`)
        }
        return res
      }
      const size = contentLength(res)
      if (size !== undefined && size !== desc.size)
        throw new SizeMismatchError(desc.size, size, { source: `${this.name} (Content-Length)` })
      // Absent after a redirect to object storage; checked when the registry itself answers.
      const served = header(res, 'docker-content-digest')
      if (served !== undefined && served !== desc.digest)
        throw new DigestMismatchError(desc.digest, served, { source: `${this.name} (Docker-Content-Digest)` })
      return res
    } catch (err) {
      releaseBody(res.body)
      if (retried || !isIntegrityFailure(err)) throw err
    }
    // The answer announced other content: ask once more, over new connections.
    this.ctx.client.renewConnections(this.ctx.registry)
    return this.get(desc, offset, signal, true)
  }
}

/**
 * The bytes of one blob across as many responses as it takes, checked against the descriptor as
 * they pass, so the stream fails unless every byte matches. One stream fed by the response
 * body's 'data' events: a generator under Readable.from and a verifying Transform on top cost
 * two promises and two stream steps per 64 KiB chunk, a quarter of a pull's CPU.
 */
class BlobDownload extends Readable {
  private readonly check: ContentCheck
  /** The response being read; undefined between a break and the resumed response. */
  private body: Readable | undefined
  private received = 0
  private resumes = 0

  constructor(
    private readonly desc: Descriptor,
    first: RegistryResponse,
    private readonly source: string,
    private readonly maxResumes: number,
    private readonly reopen: (offset: number) => Promise<RegistryResponse>,
    private readonly signal: AbortSignal | undefined,
  ) {
    // Room for a few network chunks, so the body is not paused after every one.
    super({ highWaterMark: 1024 * 1024 })
    this.check = new ContentCheck(desc.digest, desc.size)
    this.attach(first)
  }

  override _read(): void {
    this.body?.resume()
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    if (this.body) releaseBody(this.body)
    this.body = undefined
    done(err)
  }

  private attach(res: RegistryResponse): void {
    const body = res.body
    this.body = body
    // A 200 to a Range request is the whole blob again: drop what was delivered already.
    let skip = res.status === 200 ? this.received : 0
    body.on('data', (chunk: Buffer) => {
      if (this.body !== body) return
      let buf = chunk
      if (skip > 0) {
        const n = Math.min(skip, buf.length)
        skip -= n
        buf = buf.subarray(n)
        if (buf.length === 0) return
      }
      try {
        this.check.add(buf)
      } catch (err) {
        this.destroy(this.named(err))
        return
      }
      this.received += buf.length
      if (!this.push(buf)) body.pause()
    })
    body.on('end', () => {
      if (this.body !== body) return
      this.body = undefined
      if (this.received < this.desc.size) {
        this.brokeOff(new Error(`the body ended after ${this.received} of ${this.desc.size} bytes`))
        return
      }
      try {
        this.check.finish()
      } catch (err) {
        this.destroy(this.named(err))
        return
      }
      this.push(null)
    })
    body.on('error', (err) => {
      if (this.body !== body) return
      this.body = undefined
      this.brokeOff(err)
    })
  }

  /** A verification failure with the blob's name and source in its message. */
  private named(err: unknown): Error {
    const source = `blob ${this.desc.digest} of ${this.source}`
    if (err instanceof DigestMismatchError) return new DigestMismatchError(err.expected, err.actual, { source })
    if (err instanceof SizeMismatchError) return new SizeMismatchError(err.expected, err.actual, { source })
    return err as Error
  }

  /** The connection broke off: ask for the rest with Range, up to `maxResumes` times. */
  private brokeOff(failure: unknown): void {
    if (this.destroyed) return
    if (this.signal?.aborted) {
      this.destroy(failure as Error)
      return
    }
    if (this.resumes >= this.maxResumes) {
      const message = `download of blob ${this.desc.digest} from ${this.source} broke off at ${this.received} of ${this.desc.size} bytes (${this.resumes} resumes): ${messageOf(failure)}`
      this.destroy(new NetworkError(message, stallOf(failure), { cause: failure }))
      return
    }
    this.resumes++
    this.reopen(this.received).then(
      (res) => {
        if (this.destroyed) releaseBody(res.body)
        else this.attach(res)
      },
      (err: Error) => this.destroy(err),
    )
  }
}
