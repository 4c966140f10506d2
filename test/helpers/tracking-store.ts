/**
 * Wrappers around a real store that record every call (the `storageTracker` idiom of oras-go's
 * copy_test.go), measure pushes in flight, inject faults, and add optional capabilities
 * (mount, push with a tag, referrer listing) so copy tests can take each code path.
 */
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Body, GraphTarget, Mounter, OpOptions, ReferencePusher, ReferrerLister } from '../../src/content/storage.js'
import { discardBody, fetchAll, toReadable } from '../../src/content/verify.js'
import type { Descriptor } from '../../src/oci/descriptor.js'
import { parseManifest } from '../../src/oci/manifest.js'
import { isManifest } from '../../src/oci/media-types.js'
import { readAll } from './content.js'

export type CallOp = 'fetch' | 'exists' | 'push' | 'pushReference' | 'resolve' | 'tag' | 'mount' | 'listReferrers' | 'predecessors'

export interface Call {
  op: CallOp
  /** The digest, or the reference string for resolve. */
  target: string
  /** Extra detail: the tag of pushReference and tag, the source repository of mount. */
  detail?: string
}

export interface TrackingOptions {
  /** Pause at the start of every push (abortable), so that pushes overlap and can be counted. */
  pushDelayMs?: number
  /** Serve these contents with their first byte flipped: right size, wrong digest. */
  corrupt?: (desc: Descriptor) => boolean
  /** Fail these pushes after the first chunk, destroying the body with the failure as a store reading through a pipeline would. */
  failPush?: (desc: Descriptor) => boolean
}

/** The error a `failPush` push throws. */
export const INJECTED_PUSH_FAILURE = 'injected destination failure: disk full'

let clock = 0

/** A GraphTarget that records calls and forwards them to `inner`. */
export class TrackingStore implements GraphTarget {
  readonly calls: Call[] = []
  /** When each successful push started and ended on a clock shared by all tracking stores. */
  readonly pushTimes = new Map<string, { start: number; end: number }>()
  maxPushesInFlight = 0
  private pushesInFlight = 0

  constructor(
    readonly inner: GraphTarget,
    protected readonly o: TrackingOptions = {},
  ) {}

  /** Calls of `op`, for `target` when given. */
  count(op: CallOp, target?: string): number {
    return this.calls.filter((c) => c.op === op && (target === undefined || c.target === target)).length
  }

  async fetch(desc: Descriptor, o?: OpOptions): Promise<Readable> {
    this.calls.push({ op: 'fetch', target: desc.digest })
    const stream = await this.inner.fetch(desc, o)
    if (!this.o.corrupt?.(desc)) return stream
    const bytes = await readAll(stream)
    bytes[0] = bytes[0]! ^ 0xff
    return Readable.from([bytes])
  }

  async exists(desc: Descriptor, o?: OpOptions): Promise<boolean> {
    this.calls.push({ op: 'exists', target: desc.digest })
    return this.inner.exists(desc, o)
  }

  async push(expected: Descriptor, body: Body, o?: OpOptions): Promise<void> {
    this.calls.push({ op: 'push', target: expected.digest })
    await this.tracked(expected, body, o, () => this.inner.push(expected, body, o))
  }

  async resolve(reference: string, o?: OpOptions): Promise<Descriptor> {
    this.calls.push({ op: 'resolve', target: reference })
    return this.inner.resolve(reference, o)
  }

  async tag(desc: Descriptor, reference: string, o?: OpOptions): Promise<void> {
    this.calls.push({ op: 'tag', target: desc.digest, detail: reference })
    return this.inner.tag(desc, reference, o)
  }

  async predecessors(node: Descriptor, o?: OpOptions): Promise<Descriptor[]> {
    this.calls.push({ op: 'predecessors', target: node.digest })
    return this.inner.predecessors(node, o)
  }

  /** Runs a store write with the delay, fault injection and in-flight accounting of a push. */
  protected async tracked(expected: Descriptor, body: Body, o: OpOptions | undefined, write: () => Promise<void>): Promise<void> {
    const start = clock++
    this.pushesInFlight++
    this.maxPushesInFlight = Math.max(this.maxPushesInFlight, this.pushesInFlight)
    try {
      if (this.o.pushDelayMs) await sleep(this.o.pushDelayMs, undefined, { signal: o?.signal })
      if (this.o.failPush?.(expected)) await failAfterFirstChunk(body)
      await write()
      this.pushTimes.set(expected.digest, { start, end: clock++ })
    } catch (err) {
      discardBody(body)
      throw err
    } finally {
      this.pushesInFlight--
    }
  }
}

async function failAfterFirstChunk(body: Body): Promise<never> {
  const failure = new Error(INJECTED_PUSH_FAILURE)
  const stream = toReadable(body)
  // Read one chunk by hand: leaving a for-await loop would end the stream without the error.
  await stream[Symbol.asyncIterator]().next()
  stream.destroy(failure)
  throw failure
}

/** A tracking store that can mount blobs from the named repositories (a registry's cross-repository mount). */
export class MountingStore extends TrackingStore implements Mounter {
  constructor(
    inner: GraphTarget,
    private readonly repositories: ReadonlyMap<string, GraphTarget>,
    o: TrackingOptions = {},
  ) {
    super(inner, o)
  }

  /** Copies the blob from the named repository; throws like a registry refusing the mount when it has no such repository or blob. */
  async mount(desc: Descriptor, fromRepository: string, _getContent?: () => Promise<Readable>, o?: OpOptions): Promise<void> {
    this.calls.push({ op: 'mount', target: desc.digest, detail: fromRepository })
    const from = this.repositories.get(fromRepository)
    if (from === undefined || !(await from.exists(desc, o))) throw new Error(`mount refused: ${fromRepository} has no ${desc.digest}`)
    await this.inner.push(desc, await from.fetch(desc, o), o)
  }
}

/** A tracking store that pushes a manifest and tags it in one call (a registry's PUT /manifests/<tag>). */
export class ReferencePushingStore extends TrackingStore implements ReferencePusher {
  async pushReference(expected: Descriptor, body: Body, reference: string, o?: OpOptions): Promise<void> {
    this.calls.push({ op: 'pushReference', target: expected.digest, detail: reference })
    await this.tracked(expected, body, o, async () => {
      await this.inner.push(expected, body, o)
      await this.inner.tag(expected, reference, o)
    })
  }
}

/** A tracking store that lists referrers: the predecessors of a subject whose `subject` field names it. */
export class ReferrerListingStore extends TrackingStore implements ReferrerLister {
  async *listReferrers(subject: Descriptor, o?: OpOptions): AsyncIterable<Descriptor> {
    this.calls.push({ op: 'listReferrers', target: subject.digest })
    for (const parent of await this.inner.predecessors(subject, o)) {
      if (!isManifest(parent.mediaType)) continue
      const parsed = parseManifest(await fetchAll(this.inner, parent, o), parent.mediaType)
      const named = parsed.kind === 'index' ? parsed.index.subject : parsed.manifest.subject
      if (named?.digest === subject.digest) yield parent
    }
  }
}
