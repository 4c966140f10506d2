/**
 * How the manifests a bundle points at are stored and found again (MANIFEST_REF_TIERS in
 * src/compat/strategies.ts): by digest, as the distribution spec has it, or also under
 * `deterministicTag(digest)` where a registry refuses manifests pushed without a tag (ECR in
 * 2019 answered 405, docker/app#563, carvel-dev/kbld#2) or will not serve them by digest (GitHub
 * Packages, porter#695). Both are wrappers around a store, so fixup, copyGraph and publish use
 * them as any other target and never learn about tags:
 *
 * - DerivedTagReader reads manifests by digest and, when the registry answers 404, by the
 *   derived tag, verifying that the bytes have the digest asked for. After one such miss it asks
 *   by tag first, so a pull from such a registry does not fail once per manifest.
 * - ManifestRefTarget also writes: each manifest by digest or under its derived tag, as the
 *   ManifestRefPolicy says; when the policy has more than one choice, the first manifest push
 *   decides (the policy runs the fallback tiers) and every later one follows.
 */
import type { Readable } from 'node:stream'
import {
  canFetchReference,
  canMount,
  canPushBlob,
  canPushReference,
  type BlobPusher,
  type Body,
  type Mounter,
  type OpOptions,
  canListReferrers,
  type ReadOnlyTarget,
  type ReferencePusher,
  type ReferrerLister,
  type Target,
} from '../content/storage.js'
import { readManifestBody } from '../content/manifest-body.js'
import { fetchAll } from '../content/verify.js'
import type { ManifestRefChoice } from '../compat/capabilities.js'
import { RepresentationRefusedError } from '../compat/classify.js'
import { deterministicTag } from '../compat/strategies.js'
import { AlreadyExistsError, DigestMismatchError, NotFoundError, SizeMismatchError } from '../errors.js'
import type { Descriptor } from '../oci/descriptor.js'
import { isDigest } from '../oci/digest.js'
import { isManifest } from '../oci/media-types.js'

/**
 * A read-only view of a store that reads manifests by digest and, when the store answers
 * NotFoundError, by their derived tag (`ocibundle-<alg>-<hex>`, deterministicTag), checking that
 * what the tag names has the digest asked for. After one such miss it asks by tag first, so a
 * pull from a registry that does not serve manifests by digest fails no more than once. Blobs
 * and tags are read as they are.
 */
export class DerivedTagReader<T extends ReadOnlyTarget = ReadOnlyTarget> implements ReadOnlyTarget {
  /** True once reads by digest are known not to work here: manifests are then read by tag first. */
  protected byTagFirst = false
  /** The wrapped store's `listReferrers`, present only when it has one (canListReferrers tells). */
  listReferrers?: ReferrerLister['listReferrers']

  constructor(
    /** The store read from. */
    readonly inner: T,
  ) {
    if (canListReferrers(inner)) this.listReferrers = (subject, o) => inner.listReferrers(subject, o)
  }

  /** Blobs as they are; a manifest by digest, else (404) by its derived tag. */
  async fetch(desc: Descriptor, o: OpOptions = {}): Promise<Readable> {
    if (!isManifest(desc.mediaType)) return this.inner.fetch(desc, o)
    if (this.byTagFirst) return this.fetchByTag(desc, o)
    try {
      return await this.inner.fetch(desc, o)
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err
      return this.afterDigestMiss(err, () => this.fetchByTag(desc, o))
    }
  }

  /** A manifest counts as present under its derived tag once reads go by tag (ManifestRefTarget: when writes do too). */
  async exists(desc: Descriptor, o: OpOptions = {}): Promise<boolean> {
    if (!isManifest(desc.mediaType) || !this.byTagFirst) return this.inner.exists(desc, o)
    try {
      return (await this.resolveByTag(desc.digest, o)).size === desc.size
    } catch (err) {
      if (err instanceof NotFoundError) return false
      throw err
    }
  }

  /** A tag as it is; a digest directly, else (404) through its derived tag. */
  async resolve(reference: string, o: OpOptions = {}): Promise<Descriptor> {
    if (!isDigest(reference)) return this.inner.resolve(reference, o)
    if (this.byTagFirst) return this.resolveByTag(reference, o)
    try {
      return await this.inner.resolve(reference, o)
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err
      return this.afterDigestMiss(err, () => this.resolveByTag(reference, o))
    }
  }

  /** Tries `byTag` after a read by digest found nothing; keeps reading by tag if that worked, else rethrows the miss. */
  private async afterDigestMiss<R>(miss: NotFoundError, byTag: () => Promise<R>): Promise<R> {
    let found: R
    try {
      found = await byTag()
    } catch (err) {
      if (err instanceof NotFoundError) throw miss
      throw err
    }
    this.byTagFirst = true
    return found
  }

  /** What the derived tag of `digest` names, which must be that digest. */
  private async resolveByTag(digest: string, o: OpOptions): Promise<Descriptor> {
    const desc = await this.inner.resolve(deterministicTag(digest), o)
    if (desc.digest !== digest) throw new DigestMismatchError(digest, desc.digest)
    return desc
  }

  /** The manifest under its derived tag, checked against `desc` (the registry hashes nothing for us: ManifestStore does). */
  protected async fetchByTag(desc: Descriptor, o: OpOptions): Promise<Readable> {
    const tag = deterministicTag(desc.digest)
    if (!canFetchReference(this.inner)) return this.inner.fetch(await this.resolveByTag(desc.digest, o), o)
    const { desc: got, body } = await this.inner.fetchReference(tag, o)
    if (got.digest !== desc.digest || got.size !== desc.size) {
      body.destroy()
      throw got.digest !== desc.digest ? new DigestMismatchError(desc.digest, got.digest) : new SizeMismatchError(desc.size, got.size)
    }
    return body
  }
}

/**
 * How a ManifestRefTarget writes manifests: the choices in the order to try them, and how the
 * first push decides among several (PublishSession runs them as fallback tiers and records the
 * attempts). With one choice there is nothing to decide.
 */
export interface ManifestRefPolicy {
  /** The choices, in the order to try them. */
  readonly order: readonly ManifestRefChoice[]
  /**
   * Whether a manifest pushed by digest is then looked up by digest (HEAD) before the choice is
   * settled: only a registry that will not serve it that way needs the tags (porter#695).
   */
  readonly verifyDigestReads: boolean
  /** Runs `push` for each choice in order until one works; resolves with that choice. */
  decide(push: (choice: ManifestRefChoice) => Promise<void>): Promise<ManifestRefChoice>
  /**
   * A manifest pushed by digest was refused after the decision had settled on `digest` (a
   * registry that takes some manifests untagged and not others): whether this manifest and every
   * later one go under their derived tags instead. Undefined → never.
   */
  afterDigestRefusal?(err: unknown): boolean
}

/** By digest only, nothing to decide: for stores that take any manifest (layouts) and for readers. */
export const DIGEST_ONLY: ManifestRefPolicy = {
  order: ['digest'],
  verifyDigestReads: false,
  decide: async (push) => (await push('digest'), 'digest'),
}

/**
 * A DerivedTagReader that also writes: blobs go through, and each manifest is pushed by digest
 * or under its derived tag, as the ManifestRefPolicy says. When the policy has more than one
 * choice, the first manifest push decides (the policy runs the fallback tiers) and every later
 * one follows.
 */
export class ManifestRefTarget extends DerivedTagReader<Target> implements Target, ReferencePusher {
  /** The wrapped store's `mount`, present only when it has one (canMount tells). */
  mount?: Mounter['mount']
  /** The wrapped store's `pushBlob`, present only when it has one (canPushBlob tells). */
  pushBlob?: BlobPusher['pushBlob']
  private settled: ManifestRefChoice | undefined
  private deciding: Promise<ManifestRefChoice> | undefined

  constructor(
    inner: Target,
    private readonly policy: ManifestRefPolicy = DIGEST_ONLY,
  ) {
    super(inner)
    // Copy finds these capabilities with guards, so they must exist only when the store has them.
    if (canMount(inner)) this.mount = (desc, from, getContent, o) => inner.mount(desc, from, getContent, o)
    if (canPushBlob(inner)) this.pushBlob = (desc, open, o) => inner.pushBlob(desc, open, o)
    if (policy.order.length === 1) this.settle(policy.order[0]!)
  }

  /** How manifests are written here; undefined until the first manifest push has decided it. */
  get manifestRefs(): ManifestRefChoice | undefined {
    return this.settled
  }

  /**
   * Blobs go through; a manifest is written the settled way, or (the first one) decides it.
   * Throws what the store throws, or the decision's error (PublishSession: the refusal, or
   * NoWorkingTierError when every choice was refused).
   */
  async push(expected: Descriptor, body: Body, o: OpOptions = {}): Promise<void> {
    if (!isManifest(expected.mediaType)) return this.inner.push(expected, body, o)
    const { bytes } = await readManifestBody(expected, body, o.signal)
    for (;;) {
      if (this.settled !== undefined) return this.writeSettled(expected, bytes, o)
      if (this.deciding === undefined) return this.decide(expected, bytes, o)
      // Another manifest is deciding; follow its choice, or decide anew should it have failed.
      await this.deciding.catch(() => undefined)
    }
  }

  /** Pushes a manifest under `reference` (a tag) in one request where the store can. */
  async pushReference(expected: Descriptor, body: Body, reference: string, o: OpOptions = {}): Promise<void> {
    if (canPushReference(this.inner)) return this.inner.pushReference(expected, body, reference, o)
    await this.push(expected, body, o)
    await this.inner.tag(expected, reference, o)
  }

  /**
   * Points `reference` at `desc`. Where manifests are read by tag, the bytes are read that way
   * and pushed under the new tag (the store's own tag would read them by digest).
   */
  async tag(desc: Descriptor, reference: string, o: OpOptions = {}): Promise<void> {
    if (!this.byTagFirst || !isManifest(desc.mediaType) || !canPushReference(this.inner)) return this.inner.tag(desc, reference, o)
    await this.inner.pushReference(desc, await fetchAll(this, desc, o), reference, o)
  }

  /**
   * Makes sure manifest `desc` is under its derived tag, so garbage collectors of untagged
   * content keep it (the no-index representation, whose images no index holds). Nothing to do
   * when manifests are written that way anyway.
   */
  async tagDerived(desc: Descriptor, o: OpOptions = {}): Promise<void> {
    if (this.settled === 'deterministic-tag') return
    await this.tag(desc, deterministicTag(desc.digest), o)
  }

  /** Writes the settled way; a refusal by digest the policy takes as "tags wanted" moves this and every later manifest to tags. */
  private async writeSettled(desc: Descriptor, bytes: Buffer, o: OpOptions): Promise<void> {
    const choice = this.settled!
    try {
      await this.write(choice, desc, bytes, o)
    } catch (err) {
      if (choice !== 'digest' || this.policy.afterDigestRefusal?.(err) !== true) throw err
      this.settle('deterministic-tag')
      await this.write('deterministic-tag', desc, bytes, o)
    }
  }

  private settle(choice: ManifestRefChoice): void {
    this.settled = choice
    // Manifests written under tags are looked for under tags: a HEAD by digest would not say whether the tag is there.
    if (choice === 'deterministic-tag') this.byTagFirst = true
  }

  private async decide(desc: Descriptor, bytes: Buffer, o: OpOptions): Promise<void> {
    const deciding = this.policy.decide((choice) => this.write(choice, desc, bytes, o, this.policy.verifyDigestReads))
    this.deciding = deciding
    try {
      this.settle(await deciding)
    } finally {
      this.deciding = undefined
    }
  }

  private async write(choice: ManifestRefChoice, desc: Descriptor, bytes: Buffer, o: OpOptions, verify = false): Promise<void> {
    if (choice === 'deterministic-tag') {
      const tag = deterministicTag(desc.digest)
      if (canPushReference(this.inner)) return this.inner.pushReference(desc, bytes, tag, o)
      // A store that cannot push under a tag in one request (a layout): by digest, then tagged.
      await this.write('digest', desc, bytes, o)
      return this.inner.tag(desc, tag, o)
    }
    try {
      await this.inner.push(desc, bytes, o)
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err
    }
    if (verify && !(await this.inner.exists(desc, o))) {
      throw new RepresentationRefusedError(
        `${desc.digest} was pushed by digest, but a HEAD by digest does not find it: the registry does not serve manifests by digest`,
      )
    }
  }
}

/** The store a wrapper wraps, or the store itself. */
export function unwrapTarget(target: unknown): unknown {
  return target instanceof DerivedTagReader ? target.inner : target
}

/** Reads `source` through a DerivedTagReader (once). */
export function derivedTagReader(source: ReadOnlyTarget): ReadOnlyTarget {
  return source instanceof DerivedTagReader ? source : new DerivedTagReader(source)
}
