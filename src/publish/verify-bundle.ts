/**
 * `ocibundle verify` as a library call: is a bundle complete and intact where it is (a registry,
 * an OCI layout, an `ociarchive://` file, a thick bundle archive)? Every descriptor reachable
 * from the bundle (index, config manifest, bundle.json, every image manifest, config and layer)
 * is read whole and checked against its digest and size; every image bundle.json lists must be
 * there with its `contentDigest`; the referrers listed for the bundle and its images (and
 * theirs) must be there too. In a thick archive every index.json entry of its layout belongs to
 * the bundle and is checked as well.
 *
 * Two kinds of problem are told apart, because they call for different remedies: something
 * `missing` (the mirror is incomplete: copy again) and something `corrupt` (present but not what
 * its descriptor says, or not readable as what it should be: damaged or tampered with; do not
 * install). Every problem is listed with the digest, where it was expected (the path from the
 * bundle to it) and what is wrong; the walk goes on past problems to find them all.
 */
import { componentImages, invocationImages, type BundleImage } from '../cnab/oci/bundle-image-list.js'
import { canListReferrers, type OpOptions, type ReadOnlyTarget, type ReferrerLister } from '../content/storage.js'
import { fetchAll, fetchVerified } from '../content/verify.js'
import type { CopyProgress } from '../copy/index.js'
import {
  DamagedArchiveError,
  DigestMismatchError,
  InvalidContentError,
  messageOf,
  NotFoundError,
  SizeLimitError,
  SizeMismatchError,
} from '../errors.js'
import { descriptorKey, plainDescriptor, type Descriptor } from '../oci/descriptor.js'
import { isDigest } from '../oci/digest.js'
import { parseManifest } from '../oci/manifest.js'
import { isManifest } from '../oci/media-types.js'
import { formatReference } from '../oci/reference.js'
import { derivedTagReader } from './manifest-refs.js'
import { withTargets, type OperationOptions } from './open-target.js'
import { contentReference, isArchiveFile } from './target-argument.js'
import { NotABundleError } from './publish-errors.js'
import { pullBundle } from './pull-bundle.js'
import { openThickArchive, type ThickArchive, type ThickArchiveOptions } from './thick-archive.js'

/** Options of verify. */
export interface VerifyOptions extends OperationOptions, ThickArchiveOptions {
  /** Check the referrers (signatures, SBOMs) of the bundle and its images too. Default true. */
  referrers?: boolean
  /** Bytes of each blob as it is checked. */
  onProgress?: (progress: CopyProgress) => void
}

/** One thing wrong. */
export interface VerifyProblem {
  /** The content's digest; absent for a problem of the archive file itself. */
  digest?: string
  /** Its media type, as the descriptor that leads to it says. */
  mediaType?: string
  /** Its size, as the descriptor says. */
  size?: number
  /** Where it was expected: the path from the bundle to it (`bundle sha256:… → image "…" → layer 1`). */
  where: string
  /** What is wrong: `missing`, or how it differs (digest or size mismatch, unreadable manifest, damaged archive). */
  problem: string
}

/** The verdict: everything there and intact, something missing (and nothing corrupt), or something corrupt. */
export type VerifyStatus = 'complete' | 'incomplete' | 'corrupt'

/** What verify found. */
export interface VerifyResult {
  /** What was checked, normalised (a reference, or the archive file). */
  source: string
  /** The bundle digest; absent for an archive without bundle index (Porter's) or one whose bundle could not be read. */
  digest?: string
  /** `corrupt` when anything is corrupt, else `incomplete` when anything is missing, else `complete`. */
  status: VerifyStatus
  /** What was read and found intact or not: manifests, blobs, and their bytes. */
  checked: { manifests: number; blobs: number; bytes: number }
  /** Every image of bundle.json, with the manifest checked for it and how it stands. */
  images: Array<{ image: string; digest?: string; status: 'present' | 'missing' | 'corrupt' }>
  /** Referrers found and checked. */
  referrers: number
  /** Everything missing. */
  missing: VerifyProblem[]
  /** Everything present but wrong. */
  corrupt: VerifyProblem[]
  /** What could not be checked (an image without contentDigest). */
  warnings: string[]
}

type NodeStatus = 'present' | 'missing' | 'corrupt'

/**
 * Verifies the bundle `source` names: a registry reference, `ocidir://dir:tag` (or `./dir:tag`),
 * `ociarchive://file:tag`, or a thick bundle archive file (`.tgz`, `.tar.gz`, `.tar`). See the
 * module comment. Problems of the content are in the result, not thrown. Throws NotFoundError
 * when the reference or file names nothing, NotABundleError when it is no bundle,
 * UnsafeArchiveError and UnsafePathError for a hostile archive, and what the registry answers
 * (authentication, network).
 */
export async function verify(source: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  if (isArchiveFile(source)) return verifyArchive(source, options)
  const { ref, selector } = contentReference(source)
  return withTargets(options, [ref], async (targets) => {
    const target = derivedTagReader(await targets.open(ref))
    const root = plainDescriptor(await target.resolve(selector, { signal: options.signal }))
    const walker = new Walker(target, options)
    const digest = await walker.bundle(root)
    return walker.result(formatReference(ref), digest)
  })
}

async function verifyArchive(file: string, options: VerifyOptions): Promise<VerifyResult> {
  let thick: ThickArchive
  try {
    thick = await openThickArchive(file, options)
  } catch (err) {
    if (!(err instanceof DamagedArchiveError)) throw err
    return {
      source: file,
      status: 'corrupt',
      checked: { manifests: 0, blobs: 0, bytes: 0 },
      images: [],
      referrers: 0,
      missing: [],
      corrupt: [{ where: file, problem: err.message }],
      warnings: [],
    }
  }
  try {
    const walker = new Walker(thick.layout, options)
    let digest: string | undefined
    if (thick.bundleIndex !== undefined) digest = await walker.bundle(thick.bundleIndex.descriptor)
    else await walker.images(thick.bundle, 'bundle.json', thick)
    // The archive holds this bundle only: every entry of its layout belongs to it.
    for (const entry of thick.layout.indexEntries()) await walker.node(plainDescriptor(entry), `${thick.layout.label} index.json`)
    return walker.result(file, digest)
  } finally {
    await thick.close()
  }
}

/** The walk of one verify: each node once, problems collected. */
class Walker {
  readonly missing: VerifyProblem[] = []
  readonly corrupt: VerifyProblem[] = []
  readonly warnings: string[] = []
  private readonly checked = { manifests: 0, blobs: 0, bytes: 0 }
  private readonly visited = new Map<string, Promise<NodeStatus>>()
  private readonly imageStatus: VerifyResult['images'] = []
  /** Image references by manifest digest, for the paths of problems. */
  private readonly names = new Map<string, string>()
  private readonly lister: ReferrerLister | undefined
  private readonly o: OpOptions
  private referrerCount = 0

  constructor(
    private readonly store: ReadOnlyTarget,
    private readonly options: VerifyOptions,
  ) {
    this.lister = (options.referrers ?? true) && canListReferrers(store) ? store : undefined
    this.o = { signal: options.signal }
  }

  /**
   * Walks the bundle whose top manifest is `root`, then checks the images of its bundle.json.
   * Returns the bundle digest. Throws NotABundleError when `root` is readable but no bundle.
   */
  async bundle(root: Descriptor): Promise<string> {
    let bundle: unknown
    try {
      bundle = (await pullBundle(this.store, root.digest, { allowMissingContentDigest: true, ...this.o })).bundle
    } catch (err) {
      if (err instanceof NotABundleError || problemOf(err) === undefined) throw err
      // Damaged or incomplete: the walk below says exactly where.
    }
    if (bundle !== undefined) this.nameImages(bundle)
    await this.node(root, `bundle ${root.digest}`)
    if (bundle !== undefined) await this.images(bundle, `bundle ${root.digest} → bundle.json`)
    return root.digest
  }

  /** Names the manifests bundle.json pins after their images, for the paths of problems. */
  private nameImages(bundle: unknown): void {
    try {
      for (const image of [...invocationImages(bundle), ...componentImages(bundle)]) {
        if (image.contentDigest !== undefined) this.names.set(image.contentDigest, `image "${image.image}"`)
      }
    } catch {
      // images() reports an unusable image list.
    }
  }

  /** Checks every image of `bundle` by its contentDigest (found through `thick`'s names in an archive without bundle index). */
  async images(bundle: unknown, where: string, thick?: ThickArchive): Promise<void> {
    let images: BundleImage[]
    try {
      images = [...invocationImages(bundle), ...componentImages(bundle)]
    } catch (err) {
      this.corrupt.push({ where, problem: `bundle.json lists no usable images: ${messageOf(err)}` })
      return
    }
    for (const image of images) {
      const at = `${where} → image "${image.image}"`
      let desc: Descriptor | undefined
      if (thick !== undefined) {
        try {
          const location = await thick.images.locate(image.image, this.o)
          desc = plainDescriptor(await location.target.resolve(location.selector, this.o))
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err
          this.missing.push({ ...(image.contentDigest !== undefined && { digest: image.contentDigest }), where: at, problem: 'missing' })
          this.imageStatus.push({
            image: image.image,
            ...(image.contentDigest !== undefined && { digest: image.contentDigest }),
            status: 'missing',
          })
          continue
        }
        if (image.contentDigest !== undefined && image.contentDigest !== desc.digest) {
          this.corrupt.push({
            ...plainDescriptor(desc),
            where: at,
            problem: `bundle.json pins contentDigest ${image.contentDigest}, the archive holds ${desc.digest}`,
          })
          this.imageStatus.push({ image: image.image, digest: desc.digest, status: 'corrupt' })
          continue
        }
      } else if (
        image.contentDigest !== undefined &&
        isDigest(image.contentDigest) &&
        image.size !== undefined &&
        image.mediaType !== undefined
      ) {
        desc = { mediaType: image.mediaType, digest: image.contentDigest, size: image.size }
      } else if (image.contentDigest !== undefined && isDigest(image.contentDigest)) {
        desc = await this.describe(image.contentDigest, at)
        if (desc === undefined) {
          this.imageStatus.push({ image: image.image, digest: image.contentDigest, status: 'missing' })
          continue
        }
      }
      if (desc === undefined) {
        this.warnings.push(`image "${image.image}" has no contentDigest in bundle.json; only what the bundle index lists was checked`)
        continue
      }
      this.imageStatus.push({ image: image.image, digest: desc.digest, status: await this.node(desc, at) })
    }
  }

  /** Checks `desc` (and, for a manifest, everything it leads to and its referrers) once; how it stands, with what it leads to. */
  node(desc: Descriptor, where: string): Promise<NodeStatus> {
    const key = descriptorKey(desc)
    let status = this.visited.get(key)
    if (status === undefined) {
      status = this.check(desc, where)
      this.visited.set(key, status)
    }
    return status
  }

  result(source: string, digest: string | undefined): VerifyResult {
    const status: VerifyStatus = this.corrupt.length > 0 ? 'corrupt' : this.missing.length > 0 ? 'incomplete' : 'complete'
    return {
      source,
      ...(digest !== undefined && { digest }),
      status,
      checked: { ...this.checked },
      images: this.imageStatus,
      referrers: this.referrerCount,
      missing: this.missing,
      corrupt: this.corrupt,
      warnings: this.warnings,
    }
  }

  private async check(desc: Descriptor, where: string): Promise<NodeStatus> {
    const store = this.store
    let bytes: Buffer | undefined
    try {
      if (isManifest(desc.mediaType)) {
        bytes = await fetchAll(store, desc, this.o)
        this.checked.manifests++
      } else {
        await this.drain(await fetchVerified(store, desc, this.o), desc)
        this.checked.blobs++
      }
      this.checked.bytes += desc.size
    } catch (err) {
      return this.record(err, desc, where)
    }
    if (bytes === undefined) return 'present'
    let children: Array<[Descriptor, string]>
    try {
      children = roles(parseManifest(bytes, desc.mediaType))
    } catch (err) {
      this.corrupt.push({ ...plainDescriptor(desc), where, problem: `not a valid manifest: ${messageOf(err)}` })
      return 'corrupt'
    }
    // A manifest stands as well as the worst of what it leads to; its referrers do not count: they are about it, not part of it.
    let status: NodeStatus = 'present'
    for (const [child, role] of children) {
      const got = await this.node(child, `${where} → ${this.names.get(child.digest) ?? role}`)
      if (got === 'corrupt' || (got === 'missing' && status === 'present')) status = got
    }
    if (this.lister !== undefined) {
      for await (const referrer of this.lister.listReferrers(desc, this.o)) {
        this.referrerCount++
        await this.node(plainDescriptor(referrer), `${where} → referrer (${referrer.artifactType ?? referrer.mediaType})`)
      }
    }
    return status
  }

  private async drain(stream: AsyncIterable<Buffer>, desc: Descriptor): Promise<void> {
    let bytes = 0
    for await (const chunk of stream) {
      bytes += chunk.length
      this.options.onProgress?.({ descriptor: desc, bytes, total: desc.size })
    }
  }

  /** The descriptor of a manifest known by digest only (an image bundle.json pins without size or media type); undefined, and recorded missing, when absent. */
  private async describe(digest: string, where: string): Promise<Descriptor | undefined> {
    try {
      return plainDescriptor(await this.store.resolve(digest, this.o))
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err
      this.missing.push({ digest, where, problem: 'missing' })
      return undefined
    }
  }

  private record(err: unknown, desc: Descriptor, where: string): NodeStatus {
    const problem = problemOf(err)
    if (problem === undefined) throw err
    const item = { ...plainDescriptor(desc), where, problem: problem.text }
    if (problem.kind === 'missing') this.missing.push(item)
    else this.corrupt.push(item)
    return problem.kind
  }
}

/** Whether an error says the content is missing or corrupt; undefined for anything else (network, authentication), which is thrown. */
function problemOf(err: unknown): { kind: 'missing' | 'corrupt'; text: string } | undefined {
  if (err instanceof NotFoundError) return { kind: 'missing', text: 'missing' }
  if (
    err instanceof DigestMismatchError ||
    err instanceof SizeMismatchError ||
    err instanceof SizeLimitError ||
    err instanceof InvalidContentError
  ) {
    return { kind: 'corrupt', text: err.message }
  }
  return undefined
}

/** The children of a manifest with what they are to it. The subject is not followed: it is what the manifest refers to, checked on its own. */
function roles(parsed: ReturnType<typeof parseManifest>): Array<[Descriptor, string]> {
  if (parsed.kind === 'index') return parsed.index.manifests.map((m, i) => [m, `manifest ${i + 1}`])
  return [[parsed.manifest.config, 'config'], ...(parsed.manifest.layers ?? []).map((l, i): [Descriptor, string] => [l, `layer ${i + 1}`])]
}
