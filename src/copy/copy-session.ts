/**
 * The state of one graph copy: which nodes have started (each node's work is a shared
 * promise, so a node reached through several parents is copied once), the I/O limiter, the
 * statistics, and cancellation. `copyGraph` and `copy` each run one session.
 */
import { canMount, canPushReference, type ReadOnlyStorage, type ReferrerLister, type Storage } from '../content/storage.js'
import { fetchAll, fetchVerified } from '../content/verify.js'
import { AlreadyExistsError } from '../errors.js'
import { descriptorKey, type Descriptor } from '../oci/descriptor.js'
import { setMaxListeners } from 'node:events'
import { parseManifest, successors } from '../oci/manifest.js'
import { isForeignLayer, isManifest } from '../oci/media-types.js'
import { transferBlob } from './blob-transfer.js'
import { CopyError, type CopyOp, type CopyOrigin } from './copy-error.js'
import type { CopyGraphOptions, CopyStats } from './copy-options.js'
import { Limiter } from './limiter.js'

/**
 * Undefined, < 1 or not an integer → this many I/O calls at once (oras uses 3, crane 4, skopeo 6).
 * Small blobs are bound by round trips, not bandwidth: on the benchmark's 200 × 4 KiB image, 8
 * cut a pull by ~20 % and a push by ~9 % against 4; 16 gained nothing more.
 */
export const DEFAULT_COPY_CONCURRENCY = 8

/** Abort listeners one I/O call of a copy may hold on the session's signal at once (see the constructor). */
const LISTENERS_PER_CALL = 4

/** What `copy` adds to a plain graph copy. */
export interface SessionExtras {
  /** Push the root together with this tag in one request when the destination can (ReferencePusher). */
  rootTag?: string
  /** Also copy the referrers of every manifest copied or found present, as listed by this source. */
  referrers?: ReferrerLister
}

type BlobOutcome = { kind: 'mounted'; from: string } | { kind: 'pushed' | 'present' }

/** One copy in progress; see the module comment. */
export class CopySession {
  readonly stats: CopyStats = { nodes: 0, copied: 0, skipped: 0, mounted: 0, bytesCopied: 0, bytesSkipped: 0 }
  /** Whether the root was pushed together with `extras.rootTag`. */
  rootTagged = false
  private readonly referrersFound = new Map<string, Descriptor>()
  /** Aborted with the first failure, so that work in flight stops. */
  private readonly failure = new AbortController()
  private readonly signal: AbortSignal
  private readonly limiter: Limiter
  private readonly started = new Map<string, Promise<void>>()
  /** Every promise of this session, so that a failed copy returns only once nothing runs anymore. */
  private readonly tasks: Promise<void>[] = []
  private rootKey = ''

  constructor(
    private readonly src: ReadOnlyStorage,
    private readonly dst: Storage,
    private readonly opts: CopyGraphOptions,
    private readonly extras: SessionExtras = {},
  ) {
    this.signal = opts.signal ? AbortSignal.any([opts.signal, this.failure.signal]) : this.failure.signal
    const n = opts.concurrency
    const concurrency = n !== undefined && Number.isSafeInteger(n) && n >= 1 ? n : DEFAULT_COPY_CONCURRENCY
    this.limiter = new Limiter(concurrency)
    // Every I/O call in flight listens on this signal, some more than once (an HTTP request, a
    // file stream, a wait): bounded by the concurrency, so Node's leak warning at 10 is raised to
    // what this session can legitimately have, and still warns of a real leak beyond it.
    setMaxListeners(Math.max(10, concurrency * LISTENERS_PER_CALL), this.signal)
  }

  /** Referrer manifests found (copied or already present), in the order they were found. */
  get referrers(): Descriptor[] {
    return [...this.referrersFound.values()]
  }

  /**
   * Copies the graph of `root` and, with `extras.referrers`, the referrers found on the way.
   * On failure, waits until all work has stopped, then throws the first failure (or the
   * caller's abort reason).
   */
  async run(root: Descriptor): Promise<void> {
    this.rootKey = descriptorKey(root)
    try {
      await this.visit(root)
      // Referrer copies are scheduled as their subjects complete, so more may appear while waiting.
      for (let seen = 0; seen < this.tasks.length;) {
        seen = this.tasks.length
        await Promise.all(this.tasks)
      }
    } catch (err) {
      this.fail(err)
      for (let seen = -1; seen < this.tasks.length;) {
        seen = this.tasks.length
        await Promise.allSettled(this.tasks)
      }
      throw this.signal.reason
    }
  }

  private visit(desc: Descriptor): Promise<void> {
    const key = descriptorKey(desc)
    let work = this.started.get(key)
    if (work === undefined) {
      work = this.copyNode(desc)
      this.started.set(key, work)
      this.track(work)
    }
    return work
  }

  private track(work: Promise<void>): void {
    this.tasks.push(work)
    // Cancels the other work at the first failure; being a handler, it also keeps a rejection
    // that no parent awaits yet from counting as unhandled. run() reports the failure.
    work.catch((err: unknown) => this.fail(err))
  }

  private fail(err: unknown): void {
    if (!this.failure.signal.aborted) this.failure.abort(err)
  }

  private async copyNode(desc: Descriptor): Promise<void> {
    const o = { signal: this.signal }
    if (await this.io('exists', 'destination', desc, () => this.dst.exists(desc, o))) return this.skipped(desc)
    if (!isManifest(desc.mediaType)) return this.copyBlob(desc)
    const raw = await this.io('fetch', 'source', desc, () => fetchAll(this.src, desc, o))
    const children = await this.attempt('parse', 'source', desc, async () => this.childrenOf(desc, raw))
    // No slot is held here: waiting for children while holding one deadlocks deep graphs.
    await Promise.all(children.map((child) => this.visit(child)))
    const pushed = await this.io('push', 'destination', desc, () => this.pushManifest(desc, raw))
    if (pushed) await this.copied(desc)
    else await this.skipped(desc)
  }

  private childrenOf(desc: Descriptor, raw: Buffer): Descriptor[] {
    const children = successors(parseManifest(raw, desc.mediaType))
    return this.opts.includeForeignLayers ? children : children.filter((c) => !isForeignLayer(c.mediaType))
  }

  /** Pushes the exact bytes read from the source. Resolves false when the destination already had them. */
  private async pushManifest(desc: Descriptor, raw: Buffer): Promise<boolean> {
    const o = { signal: this.signal }
    const tag = this.extras.rootTag
    try {
      if (tag !== undefined && descriptorKey(desc) === this.rootKey && canPushReference(this.dst)) {
        await this.dst.pushReference(desc, raw, tag, o)
        this.rootTagged = true
      } else {
        await this.dst.push(desc, raw, o)
      }
      return true
    } catch (err) {
      if (err instanceof AlreadyExistsError) return false
      throw err
    }
  }

  private async copyBlob(desc: Descriptor): Promise<void> {
    const outcome = await this.limiter.run(async (): Promise<BlobOutcome> => {
      const from = await this.mount(desc)
      if (from !== undefined) return { kind: 'mounted', from }
      const o = { signal: this.signal, onProgress: this.opts.onProgress }
      return { kind: await transferBlob(this.src, this.dst, desc, o) }
    }, this.signal)
    if (outcome.kind === 'mounted') await this.mounted(desc, outcome.from)
    else if (outcome.kind === 'pushed') await this.copied(desc)
    else await this.skipped(desc)
  }

  /**
   * Tries the mount candidates in order; resolves with the repository that worked, or
   * undefined when the destination cannot mount, there is no candidate, or every mount failed.
   */
  private async mount(desc: Descriptor): Promise<string | undefined> {
    const { mountFrom } = this.opts
    if (mountFrom === undefined || !canMount(this.dst)) return undefined
    const candidates = await this.attempt('mount', 'destination', desc, async () => mountFrom(desc))
    const o = { signal: this.signal }
    for (const repository of candidates) {
      try {
        await this.dst.mount(desc, repository, () => fetchVerified(this.src, desc, o), o)
        return repository
      } catch {
        // Registries refuse mounts for ordinary reasons (no read access to the other
        // repository, another storage back end, mounting disabled); a push still works.
        this.signal.throwIfAborted()
      }
    }
    return undefined
  }

  private async copied(desc: Descriptor): Promise<void> {
    this.stats.nodes++
    this.stats.copied++
    this.stats.bytesCopied += desc.size
    await this.opts.onCopied?.(desc)
    this.findReferrers(desc)
  }

  private async skipped(desc: Descriptor): Promise<void> {
    this.stats.nodes++
    this.stats.skipped++
    this.stats.bytesSkipped += desc.size
    await this.opts.onCopySkipped?.(desc)
    this.findReferrers(desc)
  }

  private async mounted(desc: Descriptor, from: string): Promise<void> {
    this.stats.nodes++
    this.stats.mounted++
    await this.opts.onMounted?.(desc, from)
  }

  /**
   * Schedules the copy of `desc`'s referrers when it is a manifest and referrers are wanted.
   * They run apart from `desc`'s own work: a referrer names `desc` as its subject, so waiting
   * for it inside `desc`'s work would wait for itself.
   */
  private findReferrers(desc: Descriptor): void {
    const lister = this.extras.referrers
    if (lister === undefined || !isManifest(desc.mediaType)) return
    this.track(this.copyReferrers(lister, desc))
  }

  private async copyReferrers(lister: ReferrerLister, subject: Descriptor): Promise<void> {
    const found = await this.io('referrers', 'source', subject, async () => {
      const out: Descriptor[] = []
      for await (const d of lister.listReferrers(subject, { signal: this.signal })) out.push(d)
      return out
    })
    for (const d of found) {
      if (this.referrersFound.has(descriptorKey(d))) continue
      this.referrersFound.set(descriptorKey(d), d)
      this.opts.onReferrer?.(d, subject)
    }
    await Promise.all(found.map((d) => this.visit(d)))
  }

  /** Runs one I/O call under the limiter; see `attempt` for errors. */
  private io<T>(op: CopyOp, origin: CopyOrigin, desc: Descriptor, fn: () => Promise<T>): Promise<T> {
    return this.limiter.run(() => this.attempt(op, origin, desc, fn), this.signal)
  }

  /**
   * Runs `fn` unless the copy was cancelled, wrapping its failure in CopyError. After
   * cancellation the failure is the cancellation's consequence, so its reason is thrown instead.
   */
  private async attempt<T>(op: CopyOp, origin: CopyOrigin, desc: Descriptor, fn: () => Promise<T>): Promise<T> {
    this.signal.throwIfAborted()
    try {
      return await fn()
    } catch (err) {
      if (this.signal.aborted) throw this.signal.reason
      if (err instanceof CopyError) throw err
      throw new CopyError({ op, origin, descriptor: desc, cause: err })
    }
  }
}
