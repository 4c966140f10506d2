/**
 * A destination wrapper that lets blobs through at once but holds manifests back until
 * `commit`, which pushes them one at a time, children first, in document order.
 *
 * Why: images are copied in parallel, so the order in which their manifests would reach the
 * destination depends on timing. An OCI layout records every manifest pushed to it in
 * index.json in push order, so two publishes of the same bundle would write different
 * index.json files. Holding manifests back also means that a fixup which fails for one image
 * leaves no manifest of any image in the destination, only blobs (which nothing points at).
 */
import { Readable } from 'node:stream'
import { readManifestBody } from '../content/manifest-body.js'
import { canMount, canPushBlob, type BlobPusher, type Body, type Mounter, type OpOptions, type Storage } from '../content/storage.js'
import { CopyError } from '../copy/copy-error.js'
import { AlreadyExistsError } from '../errors.js'
import { descriptorKey, plainDescriptor, type Descriptor } from '../oci/descriptor.js'
import { isManifest } from '../oci/media-types.js'

interface StagedManifest {
  desc: Descriptor
  bytes: Buffer
  successors: Descriptor[]
}

/** See the module comment. Offers `mount` and `pushBlob` exactly when the destination does. */
export class ManifestStager implements Storage {
  mount?: Mounter['mount']
  pushBlob?: BlobPusher['pushBlob']
  private readonly staged = new Map<string, StagedManifest>()
  private readonly committed = new Set<string>()

  constructor(private readonly dst: Storage) {
    // Copy finds these capabilities with guards, so they must exist only when the destination has them.
    if (canMount(dst)) this.mount = (desc, from, getContent, o) => dst.mount(desc, from, getContent, o)
    if (canPushBlob(dst)) this.pushBlob = (desc, open, o) => dst.pushBlob(desc, open, o)
  }

  /** A staged manifest counts as present, so a graph reached twice is copied once. */
  async exists(desc: Descriptor, o?: OpOptions): Promise<boolean> {
    return (isManifest(desc.mediaType) && this.staged.has(descriptorKey(desc))) || this.dst.exists(desc, o)
  }

  async fetch(desc: Descriptor, o?: OpOptions): Promise<Readable> {
    const staged = this.staged.get(descriptorKey(desc))
    return staged === undefined ? this.dst.fetch(desc, o) : Readable.from([Buffer.from(staged.bytes)])
  }

  /** Blobs go to the destination; manifests are verified, parsed and held. */
  async push(expected: Descriptor, body: Body, o: OpOptions = {}): Promise<void> {
    if (!isManifest(expected.mediaType)) return this.dst.push(expected, body, o)
    const { bytes, successors } = await readManifestBody(expected, body, o.signal)
    this.staged.set(descriptorKey(expected), { desc: plainDescriptor(expected), bytes, successors })
  }

  /**
   * Pushes the held manifests of `root`'s graph to the destination: depth first, each manifest
   * after the manifests it points at, children in the order their parent lists them. Manifests
   * not held (the destination had them already) are skipped with their graph. Throws
   * CopyError (op 'push', origin 'destination') naming the manifest that was refused.
   */
  async commit(root: Descriptor, o: OpOptions = {}): Promise<void> {
    const key = descriptorKey(root)
    const staged = this.staged.get(key)
    if (staged === undefined || this.committed.has(key)) return
    for (const child of staged.successors) if (isManifest(child.mediaType)) await this.commit(child, o)
    try {
      await this.dst.push(staged.desc, staged.bytes, o)
    } catch (err) {
      if (o.signal?.aborted) throw o.signal.reason
      if (!(err instanceof AlreadyExistsError))
        throw new CopyError({ op: 'push', origin: 'destination', descriptor: staged.desc, cause: err })
    }
    this.committed.add(key)
  }
}
