/**
 * A dry run of anything that writes to a target: DryRunTarget answers reads from the real
 * target (is this blob there? what does this tag name?) and records writes instead of making
 * them. Run a copy or a publish against it and the record is the plan: what would be pushed,
 * mounted and tagged, and what is there already. Blob content is never opened (no download for
 * an upload that will not happen); manifests are read from the source as usual, since their
 * children must be known.
 */
import type { Readable } from 'node:stream'
import {
  canListTags,
  canMount,
  type Body,
  type GraphTarget,
  type OpOptions,
  type ReadOnlyTarget,
  type TagLister,
} from '../content/storage.js'
import { toReadable } from '../content/verify.js'
import { NotFoundError } from '../errors.js'
import { descriptorKey, type Descriptor } from '../oci/descriptor.js'

/** One write a dry run would have made. */
export interface PlannedWrite {
  /** `push`: upload the content; `mount`: take the blob over from `from`, a repository of the same registry (or upload it where the registry will not); `tag`: point `tag` at it. */
  action: 'push' | 'mount' | 'tag'
  /** The content. */
  descriptor: Descriptor
  /** `tag`: the tag. */
  tag?: string
  /** `mount`: the repository it would be mounted from. */
  from?: string
}

/** What a dry run would have done, in the order it would have done it. */
export interface DryRunPlan {
  /** The writes, in order. */
  writes: PlannedWrite[]
  /** Content found in the destination already: nothing would be sent for it. */
  present: Descriptor[]
}

/**
 * A target that reads from `real` (when there is one: a destination that does not exist yet
 * is empty) and records every write in `plan`. Writes it has recorded are then visible to its
 * own reads, so a flow that writes and reads back sees what it would have written.
 */
export class DryRunTarget implements GraphTarget, TagLister {
  readonly plan: DryRunPlan = { writes: [], present: [] }
  private readonly written = new Map<string, { desc: Descriptor; bytes?: Uint8Array }>()
  private readonly tags = new Map<string, Descriptor>()
  private readonly presentKeys = new Set<string>()
  /** Records a mount; present when the real target can mount (a registry repository). */
  readonly mount?: (desc: Descriptor, fromRepository: string, getContent?: () => Promise<Readable>, o?: OpOptions) => Promise<void>

  constructor(private readonly real: (ReadOnlyTarget & Partial<TagLister>) | undefined) {
    if (real !== undefined && canMount(real)) {
      this.mount = async (desc, fromRepository) => {
        this.record({ action: 'mount', descriptor: desc, from: fromRepository })
      }
    }
  }

  async exists(desc: Descriptor, o?: OpOptions): Promise<boolean> {
    if (this.written.has(descriptorKey(desc))) return true
    const there = this.real !== undefined && (await this.real.exists(desc, o))
    if (there && !this.presentKeys.has(descriptorKey(desc))) {
      this.presentKeys.add(descriptorKey(desc))
      this.plan.present.push(desc)
    }
    return there
  }

  async fetch(desc: Descriptor, o?: OpOptions): Promise<Readable> {
    const mine = this.written.get(descriptorKey(desc))
    if (mine?.bytes !== undefined) return toReadable(mine.bytes)
    if (this.real === undefined) throw new NotFoundError(`${desc.digest} is not in the destination (dry run)`)
    return this.real.fetch(desc, o)
  }

  async push(expected: Descriptor, body: Body, _o?: OpOptions): Promise<void> {
    // Bytes in memory are kept (manifests, configs: small) so that the flow can read them back; a stream is not read.
    if (!(body instanceof Uint8Array) && typeof (body as Readable).destroy === 'function') (body as Readable).destroy()
    this.record({ action: 'push', descriptor: expected }, body instanceof Uint8Array ? body : undefined)
  }

  /** Records the push of a blob without opening its content. */
  async pushBlob(expected: Descriptor, _open: () => Promise<Readable>, _o?: OpOptions): Promise<void> {
    this.record({ action: 'push', descriptor: expected })
  }

  /** Records the push of a manifest and its tag. */
  async pushReference(expected: Descriptor, body: Body, reference: string, o?: OpOptions): Promise<void> {
    await this.push(expected, body, o)
    await this.tag(expected, reference, o)
  }

  async resolve(reference: string, o?: OpOptions): Promise<Descriptor> {
    const tagged = this.tags.get(reference)
    if (tagged !== undefined) return tagged
    const mine = [...this.written.values()].find((w) => w.desc.digest === reference)
    if (mine !== undefined) return mine.desc
    if (this.real === undefined) throw new NotFoundError(`${reference} is not in the destination (dry run)`)
    return this.real.resolve(reference, o)
  }

  async tag(desc: Descriptor, reference: string, _o?: OpOptions): Promise<void> {
    this.tags.set(reference, desc)
    this.plan.writes.push({ action: 'tag', descriptor: desc, tag: reference })
  }

  async predecessors(_node: Descriptor, _o?: OpOptions): Promise<Descriptor[]> {
    return []
  }

  async *listTags(o: OpOptions & { last?: string } = {}): AsyncIterable<string> {
    const real: string[] = []
    if (this.real !== undefined && canListTags(this.real)) {
      try {
        for await (const t of this.real.listTags(o)) real.push(t)
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err
      }
    }
    for (const t of [...new Set([...real, ...this.tags.keys()])].sort()) if (o.last === undefined || t > o.last) yield t
  }

  private record(write: PlannedWrite, bytes?: Uint8Array): void {
    const key = descriptorKey(write.descriptor)
    if (this.written.has(key)) return
    this.written.set(key, { desc: write.descriptor, ...(bytes !== undefined && { bytes }) })
    this.plan.writes.push(write)
  }
}
