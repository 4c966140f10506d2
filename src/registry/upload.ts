/**
 * Blob upload protocols: POST then monolithic PUT, POST then chunked PATCH… then PUT, and
 * cross-repository mount. The content is verified while it is sent, so a wrong stream fails
 * the upload before the registry could store it, and every session we give up is cancelled.
 *
 * Fallback order (after regclient's BlobPut, https://github.com/regclient/regclient/blob/main/scheme/reg/blob.go,
 * and oras-go, https://github.com/oras-project/oras-go/blob/main/registry/remote/repository.go):
 *  1. `uploadMode: 'auto'` (default): POST, then one PUT `<location>?digest=` carrying the whole
 *     body. When that PUT is refused in a way that says "not like this" (see
 *     isMonolithicRefusal) the session is cancelled and a new one is uploaded in chunks, which
 *     needs the content again: bytes always can be, a stream only when the caller gave a
 *     re-opener (`reopenable`).
 *  2. `uploadMode: 'chunked'`: POST, PATCH chunks, PUT `?digest=` without a body.
 *  3. `uploadMode: 'monolithic'`: step 1 without the fallback.
 *
 * Retries: POST is retried by the client like any request. A PATCH or the closing PUT is not
 * repeated inside its session (after a failure the session's state is unknown: distribution
 * cancels a session asked with a stale state token). A retryable failure (408, 429, 5xx, a
 * network error or stall) of a PATCH asks the registry how much it holds and sends the chunk
 * again when that answer is exactly its start (or moves on when it is exactly its end); any
 * other failure cancels the session, checks with a HEAD whether the blob arrived after all, and
 * starts over in a new session with the content opened again, within the client's RetryPolicy
 * (one budget for the whole upload). Content that can be read only once (a one-shot stream such
 * as standard input) cannot start over: BodyNotReplayableError says so.
 * References:
 *  - https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#pushing-blobs
 *  - https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#mounting-a-blob-from-another-repository
 */
import { addAbortSignal, Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { verifying } from '../content/verify.js'
import { DigestMismatchError, messageOf, OcibundleError, UnsupportedError } from '../errors.js'
import type { Descriptor } from '../oci/descriptor.js'
import { verifyBytes } from '../oci/digest.js'
import type { RepositoryContext } from './context.js'
import type { RegistryResponse, RequestBody } from './http/client.js'
import { RegistryResponseError } from './http/response-errors.js'
import { retryOutcomeOf, type RetryPolicy } from './http/retry.js'
import { contentLength, discard, header } from './responses.js'
import { blobPath, uploadsPath } from './urls.js'

/**
 * How blobs are uploaded: `auto` sends each in one PUT and falls back to chunks when the
 * registry refuses that; `monolithic` sends one PUT only; `chunked` always PATCHes in chunks.
 */
export type UploadMode = 'auto' | 'monolithic' | 'chunked'

/** GHCR refuses PATCH bodies above 4 MiB (GHCR-3); no registry asks for more per request. */
export const MAX_CHUNK_BYTES = 4 * 1024 * 1024

/** How a RegistryRepository uploads blobs. */
export interface UploadOptions {
  /** How blobs are sent; see UploadMode. Undefined → 'auto'. */
  uploadMode?: UploadMode
  /**
   * Bytes per PATCH of a chunked upload. Undefined, not a positive integer, or above 4 MiB →
   * 4 MiB. A registry's `OCI-Chunk-Min-Length` raises it (that registry's own rule wins).
   */
  chunkSize?: number
}

/**
 * Upload content: bytes (verified up front and sent again as often as needed), or a stream
 * opened on demand, verified as it is sent. `reopenable` says whether `open` may be called again
 * after a failed attempt (a re-opener) or only once (a one-shot stream).
 */
export type UploadContent = { bytes: Uint8Array } | { open: () => Promise<Readable>; reopenable: boolean }

/** An upload session: where to send the next request, which moves after every PATCH. */
interface UploadSession {
  location: string
  /** `OCI-Chunk-Min-Length` of the POST answer; 0 when absent. */
  minChunkLength: number
}

/**
 * An upload had to send its content again (a retry after a failure, or the chunked fallback
 * after a refused monolithic PUT), and the content was a stream that was consumed by the first
 * attempt and cannot be opened again.
 */
export class BodyNotReplayableError extends OcibundleError {
  override readonly code: string = 'ERR_BODY_NOT_REPLAYABLE'
}

/** Blob uploads and mounts into one repository, in the configured mode. */
export class BlobUploader {
  private readonly mode: UploadMode
  private readonly chunkSize: number

  constructor(
    private readonly ctx: RepositoryContext,
    options: UploadOptions = {},
  ) {
    this.mode = options.uploadMode ?? 'auto'
    const c = options.chunkSize
    this.chunkSize = c !== undefined && Number.isSafeInteger(c) && c > 0 && c <= MAX_CHUNK_BYTES ? c : MAX_CHUNK_BYTES
  }

  /**
   * Uploads `content` as blob `desc`, in a new session or in `started` (a mount answered 202),
   * starting over in new sessions after retryable failures (see the module comment).
   * Throws SizeMismatchError or DigestMismatchError when the content is wrong (nothing is
   * stored: the registry never receives a closing PUT for it, or refuses its digest),
   * BodyNotReplayableError when a one-shot stream would have to be sent again (a retry, or the
   * chunked fallback), the signal's AbortError, NetworkError when the retries are used up on
   * transport failures, and RegistryResponseError for other refusals. Sessions that do not
   * complete are cancelled.
   */
  async upload(desc: Descriptor, content: UploadContent, signal?: AbortSignal, started?: UploadSession): Promise<void> {
    if ('bytes' in content) {
      try {
        verifyBytes(content.bytes, desc.digest, desc.size)
      } catch (err) {
        if (started) await this.cancel(started)
        throw err
      }
    }
    const source = new UploadSource(content)
    const budget = new RetryBudget(this.ctx.client.retryPolicy, signal)
    let session = started
    for (;;) {
      try {
        await this.uploadOnce(desc, source, signal, budget, session)
        return
      } catch (err) {
        if (!budget.allows(err)) throw err
        if (!source.replayable) {
          throw new BodyNotReplayableError(
            `the upload of ${desc.digest} to ${this.ctx.registry} failed (${messageOf(err)}) and its content was a stream that can be read only once (such as standard input), so the upload cannot start over`,
            { cause: err, suggestions: ['run the command again, or give the content as a file or an OCI layout, which can be read again'] },
          )
        }
        await budget.wait()
      }
      // The failed request may have completed on the registry, its answer lost on the way.
      if (await this.exists(desc, signal)) return
      session = undefined
    }
  }

  /**
   * One upload session: `started`, else a new one. `auto` sends one PUT and, when the registry
   * refuses that (isMonolithicRefusal), cancels it and uploads in chunks in a second session.
   * Every session that does not complete is cancelled.
   */
  private async uploadOnce(
    desc: Descriptor,
    source: UploadSource,
    signal: AbortSignal | undefined,
    budget: RetryBudget,
    started: UploadSession | undefined,
  ): Promise<void> {
    const first = started ?? (await this.start(signal))
    if (this.mode === 'chunked') {
      return this.completing(first, () => this.chunked(first, desc, source, signal, budget))
    }
    let refusal: RegistryResponseError
    try {
      await this.completing(first, () => this.monolithic(first, desc, source, signal))
      return
    } catch (err) {
      if (this.mode === 'monolithic' || !isMonolithicRefusal(err)) throw err
      refusal = err
    }
    if (!source.replayable) {
      throw new BodyNotReplayableError(
        `${this.ctx.registry} refused a monolithic upload of ${desc.digest} (${refusal.status}) and the content was a stream that cannot be read again for a chunked upload`,
        { cause: refusal, suggestions: ["use chunked uploads for this registry (uploadMode 'chunked')"] },
      )
    }
    const second = await this.start(signal)
    await this.completing(second, () => this.chunked(second, desc, source, signal, budget))
  }

  /**
   * HEAD of the blob: whether a complete blob of `desc`'s digest and size is stored. A HEAD that
   * fails says nothing: false, and the new session's POST meets the registry's state itself.
   */
  private async exists(desc: Descriptor, signal: AbortSignal | undefined): Promise<boolean> {
    let res: RegistryResponse
    try {
      res = await this.ctx.send({
        method: 'HEAD',
        path: blobPath(this.ctx.repository, desc.digest),
        scopes: this.ctx.pushScopes,
        expect: [200, 404],
        ...(signal && { signal }),
      })
    } catch (err) {
      if (signal?.aborted || retryOutcomeOf(err) === undefined) throw err
      return false
    }
    await discard(res)
    const size = contentLength(res)
    return res.status === 200 && (size === undefined || size === desc.size)
  }

  /**
   * Mounts blob `desc` from repository `from` of the same registry: 201 means done. A 202 means
   * the registry opened an ordinary upload instead (it cannot or will not mount: blob not in
   * `from`, no access, mounting disabled; D3-4, ECR-13); the content from
   * `getContent` is uploaded into that session, or without it the session is cancelled and
   * UnsupportedError thrown.
   */
  async mount(desc: Descriptor, from: string, getContent: (() => Promise<Readable>) | undefined, signal?: AbortSignal): Promise<void> {
    const res = await this.ctx.send({
      method: 'POST',
      path: uploadsPath(this.ctx.repository),
      query: { mount: desc.digest, from },
      // Mounting reads `from`: the token must carry pull on it too (as oras-go's blob Mount asks:
      // https://github.com/oras-project/oras-go/blob/main/registry/remote/repository.go).
      scopes: [...this.ctx.pushScopes, `repository:${from}:pull`],
      expect: [201, 202],
      ...(signal && { signal }),
    })
    if (res.status === 201) {
      await discard(res)
      return
    }
    const session = await this.session(res)
    if (getContent === undefined) {
      await this.cancel(session)
      throw new UnsupportedError(
        `${this.ctx.registry} did not mount ${desc.digest} from ${from} into ${this.ctx.repository}; it offered an upload instead`,
        {
          suggestions: ['push the blob instead, or check that it exists in the source repository and that you may read it'],
        },
      )
    }
    await this.upload(desc, { open: getContent, reopenable: true }, signal, session)
  }

  /** POST `/v2/<name>/blobs/uploads/` → 202 with the session's Location. */
  private async start(signal: AbortSignal | undefined): Promise<UploadSession> {
    return this.session(
      await this.ctx.send({
        method: 'POST',
        path: uploadsPath(this.ctx.repository),
        scopes: this.ctx.pushScopes,
        expect: [202],
        ...(signal && { signal }),
      }),
    )
  }

  private async session(res: RegistryResponse): Promise<UploadSession> {
    await discard(res)
    const min = Number(header(res, 'oci-chunk-min-length') ?? 0)
    return { location: this.ctx.location(res), minChunkLength: Number.isSafeInteger(min) && min > 0 ? min : 0 }
  }

  /** Runs `step`; if it fails, cancels the session (the spec asks clients to) and rethrows. */
  private async completing(session: UploadSession, step: () => Promise<void>): Promise<void> {
    try {
      await step()
    } catch (err) {
      await this.cancel(session)
      throw err
    }
  }

  /**
   * DELETE of the session's current Location. Failures are ignored, as the spec asks: older
   * registries do not support it, and the session expires on its own. Not tied to the
   * operation's signal, which may be what aborted the upload.
   */
  private async cancel(session: UploadSession): Promise<void> {
    try {
      await discard(await this.ctx.send({ method: 'DELETE', path: session.location, scopes: this.ctx.pushScopes }))
    } catch {
      // Nothing to do: see above.
    }
  }

  /** One PUT `<location>?digest=` with the whole body and its Content-Length. */
  private async monolithic(session: UploadSession, desc: Descriptor, source: UploadSource, signal: AbortSignal | undefined): Promise<void> {
    const bytes = source.bytes
    if (bytes !== undefined) {
      await this.close(session, desc, bytes, signal)
      return
    }
    const verified = verifying(await source.open(), desc)
    // The request fails when its body stream does, with an HTTP-level error; the verifier's
    // own error (or the source's) says what actually went wrong.
    let failure: unknown
    verified.on('error', (err) => {
      failure ??= err
    })
    try {
      await this.close(session, desc, verified, signal)
    } catch (err) {
      throw failure ?? err
    } finally {
      verified.destroy()
    }
  }

  /**
   * PATCHes the content in chunks of the chunk size (at least the session's minimum), following
   * the fresh Location after each (distribution's `_state` token changes every time and the old
   * one is refused: https://github.com/distribution/distribution/blob/v2.8.2/registry/handlers/blobupload.go),
   * then closes with a PUT without a body.
   */
  private async chunked(
    session: UploadSession,
    desc: Descriptor,
    source: UploadSource,
    signal: AbortSignal | undefined,
    budget: RetryBudget,
  ): Promise<void> {
    const bytes = source.bytes
    const verified = verifying(bytes !== undefined ? Readable.from([bytes]) : await source.open(), desc)
    if (signal) addAbortSignal(signal, verified)
    const size = Math.max(this.chunkSize, session.minChunkLength)
    let offset = 0
    try {
      for await (const chunk of chunksOf(verified, size)) {
        await this.patch(session, desc, chunk, offset, signal, budget)
        offset += chunk.length
      }
    } finally {
      verified.destroy()
    }
    await this.close(session, desc, undefined, signal)
  }

  /**
   * PATCHes one chunk at `offset`. After a retryable failure the registry is asked how much it
   * holds (GET on the session): exactly `offset` means the chunk did not arrive and it is sent
   * again, exactly its end means only the answer was lost; any other answer (or none) is not to
   * be trusted, and the failure is thrown so that the upload starts over in a new session.
   */
  private async patch(
    session: UploadSession,
    desc: Descriptor,
    chunk: Buffer,
    offset: number,
    signal: AbortSignal | undefined,
    budget: RetryBudget,
  ): Promise<void> {
    const end = offset + chunk.length
    for (;;) {
      try {
        const res = await this.ctx.send({
          method: 'PATCH',
          path: session.location,
          // `<start>-<end>` inclusive, without the RFC 9110 `bytes ` prefix: the spec's form, and ACR
          // refuses the other one (ACR-3).
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${end - 1}` },
          body: chunk,
          scopes: this.ctx.pushScopes,
          // 202 per spec; ECR answers 201 (ECR-3), Pulp 204 (OTH-2).
          expect: [202, 201, 204],
          // A failed PATCH is not simply sent again: see above.
          retry: false,
          ...(signal && { signal }),
        })
        await discard(res)
        if (header(res, 'location') !== undefined) session.location = this.ctx.location(res)
        this.checkRange(res, end, desc)
        return
      } catch (err) {
        if (!budget.allows(err)) throw err
        await budget.wait()
        const stored = await this.storedBytes(session, signal)
        if (stored === end) return
        if (stored !== offset) throw err
      }
    }
  }

  /**
   * How many bytes the registry holds for the session (GET on it: 204 with `Range: 0-<last>`),
   * following the fresh Location it gives; undefined when it does not say or the session is gone
   * (distribution cancels a session asked with a stale state token).
   */
  private async storedBytes(session: UploadSession, signal: AbortSignal | undefined): Promise<number | undefined> {
    let res: RegistryResponse
    try {
      res = await this.ctx.send({
        method: 'GET',
        path: session.location,
        scopes: this.ctx.pushScopes,
        expect: [204],
        ...(signal && { signal }),
      })
    } catch (err) {
      if (err instanceof RegistryResponseError) return undefined
      throw err
    }
    await discard(res)
    if (header(res, 'location') !== undefined) session.location = this.ctx.location(res)
    const range = /^(?:bytes )?0-(\d+)$/.exec(header(res, 'range')?.trim() ?? '')
    if (range === null) return undefined
    // `0-0` is what distribution (and the spec's POST answer) say for an empty session; read it as
    // 0 bytes: if it meant one byte, sending that byte again is refused and the upload starts over.
    const last = Number(range[1])
    return last === 0 ? 0 : last + 1
  }

  /**
   * The offset is what we sent. A `Range` answer above it means the registry holds bytes we did
   * not send: fail. One below it is stale, not a request to resend: ECR's `Range` stops
   * advancing after the first PATCH although the data is stored (ECR-4), and
   * zot's lags (ZOT-3); the closing PUT's digest check catches a real loss.
   */
  private checkRange(res: RegistryResponse, sent: number, desc: Descriptor): void {
    const end = /(\d+)\s*-\s*(\d+)\s*$/.exec(header(res, 'range') ?? '')?.[2]
    if (end !== undefined && Number(end) + 1 > sent) {
      throw new OcibundleError(
        `${this.ctx.registry} reports ${Number(end) + 1} bytes of ${desc.digest} uploaded, but only ${sent} were sent`,
      )
    }
  }

  /** PUT `<location>?digest=<digest>`, with the remaining body or none; 201 completes the blob. */
  private async close(
    session: UploadSession,
    desc: Descriptor,
    body: RequestBody | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const res = await this.ctx.send({
      method: 'PUT',
      path: session.location,
      query: { digest: desc.digest },
      headers: {
        'content-type': 'application/octet-stream',
        // Bytes get theirs from undici; a stream's must be given, or it would go out chunked.
        ...(body instanceof Readable && { 'content-length': String(desc.size) }),
      },
      ...(body !== undefined && { body }),
      scopes: this.ctx.pushScopes,
      // A failed closing PUT starts the upload over (BlobUploader.upload), not the PUT alone.
      retry: false,
      ...(signal && { signal }),
    })
    await discard(res)
    const stored = header(res, 'docker-content-digest')
    if (stored !== undefined && stored !== desc.digest) throw new DigestMismatchError(desc.digest, stored)
  }
}

/**
 * A refused monolithic PUT that a chunked upload may get past: 405 (PUT with a body not offered),
 * 413 (body too large for the registry or a proxy in front of it: nginx `client_max_body_size`,
 * OTH-5; Cloudflare, OTH-3), 416, and 400 unless its code says the content
 * itself is wrong (DIGEST_INVALID, SIZE_INVALID), which no other protocol would fix.
 */
export function isMonolithicRefusal(err: unknown): err is RegistryResponseError {
  if (!(err instanceof RegistryResponseError)) return false
  if (err.status === 400) return !err.hasCode('DIGEST_INVALID', 'SIZE_INVALID')
  return err.status === 405 || err.status === 413 || err.status === 416
}

/**
 * The content of one upload, as many times as a restart needs it: bytes always; a stream only
 * when it can be opened again (`reopenable`) or has not been opened yet.
 */
class UploadSource {
  private opened = false
  constructor(private readonly content: UploadContent) {}

  /** The content when it is held as bytes. */
  get bytes(): Uint8Array | undefined {
    return 'bytes' in this.content ? this.content.bytes : undefined
  }

  /** Whether the content can be sent (again). */
  get replayable(): boolean {
    return 'bytes' in this.content || this.content.reopenable || !this.opened
  }

  async open(): Promise<Readable> {
    if ('bytes' in this.content) return Readable.from([this.content.bytes])
    this.opened = true
    return this.content.open()
  }
}

/**
 * The retries of one upload, shared by its sessions and its chunks, so that the whole upload
 * stays within the client's retry policy (count, waits, Retry-After).
 */
class RetryBudget {
  private attempt = 0
  private delay: number | undefined
  constructor(
    private readonly policy: RetryPolicy,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Whether `err` is retryable and the budget has a retry left; computes the wait. */
  allows(err: unknown): boolean {
    const outcome = retryOutcomeOf(err)
    this.delay = outcome === undefined || this.signal?.aborted ? undefined : this.policy.delayFor(this.attempt, outcome)
    return this.delay !== undefined
  }

  /** Waits before the retry `allows` accepted, and counts it. */
  async wait(): Promise<void> {
    this.attempt++
    await sleep(this.delay ?? 0, undefined, this.signal ? { signal: this.signal } : undefined)
  }
}

/** Regroups a stream into chunks of exactly `size` bytes (the last one may be shorter). */
async function* chunksOf(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = []
  let held = 0
  for await (const data of source) {
    let rest = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    while (held + rest.length >= size) {
      const take = size - held
      parts.push(rest.subarray(0, take))
      yield Buffer.concat(parts)
      parts = []
      held = 0
      rest = rest.subarray(take)
    }
    if (rest.length > 0) {
      parts.push(rest)
      held += rest.length
    }
  }
  if (held > 0) yield Buffer.concat(parts)
}
