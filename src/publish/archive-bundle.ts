/**
 * `ocibundle archive` as a library call: a published bundle as one thick bundle archive, the
 * format Porter writes and reads (https://github.com/getporter/porter/blob/main/pkg/porter/archive.go):
 * a gzip tar of `./`, `./bundle.json` (the bytes as published), `./relocation-mapping.json`,
 * `./artifacts/`, `./artifacts/layout/` holding an OCI layout (`oci-layout` and `index.json`
 * first, then `blobs/`), with modification times 0, owner 0:0 and modes 0644/0755.
 *
 * The layout holds the bundle index, its config manifest and bundle.json, every image as the
 * bundle index lists it (platforms as filtered at publish) tagged with its reference exactly as
 * bundle.json writes it (the thick-bundle convention, layoutImageSource), also with the
 * reference Porter looks it up by (the relocated reference of relocation-mapping.json, as
 * cnab-go's imagestore/ocilayout tags it, and the normalised one), the bundle index tagged with
 * the bundle's tag, and every referrer (signatures, SBOMs) of the index and the images.
 *
 * The same bundle always gives the same bytes: entries in a fixed order (blobs by digest),
 * deterministic headers (src/util/tar.ts) and gzip header. Nothing is staged on disk: the
 * manifests are read first (they are small, and index.json must precede the blobs), then each
 * blob streams from the source through its verification into the archive, so memory does not
 * grow with the bundle. The file is written under a temporary name beside it and renamed into
 * place at the end; a failure leaves nothing.
 */
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Body, OpOptions, ReadOnlyTarget, Target } from '../content/storage.js'
import { fetchVerified } from '../content/verify.js'
import { copyGraph, type CopyProgress } from '../copy/index.js'
import { InvalidContentError, NotFoundError } from '../errors.js'
import { addUntagged, emptyIndex, serializeIndexDocument, setTag, type IndexDocument } from '../layout/index-document.js'
import { layoutHeaderBytes } from '../layout/layout-header.js'
import { validateRefName } from '../layout/ref-name.js'
import { readManifestBody } from '../content/manifest-body.js'
import { plainDescriptor, type Descriptor } from '../oci/descriptor.js'
import { digestAlgorithm, digestEncoded, isDigest, type Digest } from '../oci/digest.js'
import { isManifest } from '../oci/media-types.js'
import { formatReference, parseRegistryReference } from '../oci/reference.js'
import { contentReference } from './target-argument.js'
import { writeFileAtomic } from '../util/files.js'
import { deterministicGzip, type CompressionLevel } from '../util/gzip.js'
import { tarStream, type TarEntry } from '../util/tar.js'
import { bundleTagOf, checkTag } from './bundle-tags.js'
import { derivedTagReader } from './manifest-refs.js'
import { withTargets, type OperationOptions } from './open-target.js'
import { pullBundle } from './pull-bundle.js'

/** Where the layout of a thick bundle archive lies, and its files (Porter's names). */
export const THICK_ARCHIVE = {
  bundle: 'bundle.json',
  relocationMapping: 'relocation-mapping.json',
  layout: 'artifacts/layout',
} as const

/** Options of archive. */
export interface ArchiveOptions extends OperationOptions {
  /** gzip level, by Porter's names. Default `DefaultCompression`. */
  compression?: CompressionLevel
  /** Also archive the referrers (signatures, SBOMs) of the bundle index and of every image, and theirs. Default true. */
  referrers?: boolean
  /** Accept an invocation image without contentDigest (a warning instead of an error). Default false. */
  allowMissingDigest?: boolean
  /** Bytes of each blob as it goes into the archive. */
  onProgress?: (progress: CopyProgress) => void
  /** Something was tolerated (a legacy form, a missing contentDigest, non-canonical bytes). */
  onWarning?: (message: string) => void
}

/** What archive wrote. */
export interface ArchiveResult {
  /** The bundle archived, normalised. */
  source: string
  /** The archive file written. */
  file: string
  /** The bundle digest (of its index, or of its config manifest when stored without one). */
  digest: string
  /** The tag of the bundle index in the archive's layout. */
  tag: string
  /** The size of the archive file in bytes. */
  size: number
  /** The manifest of every image, by its reference in bundle.json. */
  images: Record<string, Descriptor>
  /** The referrers archived with the bundle; absent when not asked for or the source cannot list them. */
  referrers?: Descriptor[]
  /** CNAB relocation map (spec 103) of the bundle at its source, as written to relocation-mapping.json ({} for a layout). */
  relocationMap: Record<string, string>
  /** Blobs and manifests in the archive, and their bytes before compression. */
  content: { blobs: number; bytes: number }
  /** What was tolerated while reading the bundle (also passed to `onWarning`). */
  warnings: string[]
}

/**
 * Writes the bundle `source` names (`registry/repo:tag`, `@digest`, `ocidir://dir:tag`, `./dir:tag`,
 * `ociarchive://file:tag`) into the thick bundle archive `file` (see the module comment),
 * replacing it if it exists. The tag of the bundle in the archive is the source's tag, else
 * `v<version>`. Throws what pullBundle throws (NotABundleError, DigestMismatchError,
 * NotFoundError, …), and file system errors; the file is then left as it was.
 */
export async function archive(source: string, file: string, options: ArchiveOptions = {}): Promise<ArchiveResult> {
  const { ref, selector } = contentReference(source)
  return withTargets(options, [ref], async (targets) => {
    const from = await targets.open(ref)
    const o: OpOptions = { signal: options.signal }
    const plan = new ArchivePlan()
    const pulled = await pullBundle(from, selector, {
      images: plan,
      allowMissingContentDigest: options.allowMissingDigest ?? false,
      ...(options.referrers !== undefined && { referrers: options.referrers }),
      ...o,
    })
    for (const w of pulled.warnings) options.onWarning?.(w)
    // The bundle's own graph: index, config manifest, bundle.json (the images are there already).
    await copyGraph(derivedTagReader(from), plan, pulled.index, o)
    const tag = ref.tag !== undefined ? checkTag(ref.tag) : !isDigest(selector) ? checkTag(selector) : bundleTagOf(pulled.bundle)
    await plan.tag(pulled.index, tag)
    const relocationMap = pulled.relocationMap ?? {}
    for (const [image, manifest] of pulled.images ?? []) {
      for (const alias of lookupNames(image, relocationMap[image])) await plan.tag(manifest, alias)
    }
    const entries = thickArchiveEntries(pulled.bundleBytes, relocationMap, plan, from, options)
    let size = 0
    await pipeline(Readable.from(tarStream(entries)), ...deterministicGzip(options.compression), async (gzipped: AsyncIterable<Buffer>) => {
      await writeFileAtomic(
        file,
        (async function* () {
          for await (const chunk of gzipped) {
            size += chunk.length
            yield chunk
          }
        })(),
      )
    })
    return {
      source: formatReference(ref),
      file,
      digest: pulled.digest,
      tag,
      size,
      images: Object.fromEntries(pulled.images ?? []),
      ...(pulled.referrers !== undefined && { referrers: pulled.referrers }),
      relocationMap,
      content: { blobs: plan.size, bytes: plan.bytes },
      warnings: pulled.warnings,
    }
  })
}

/**
 * The other names Porter may look an image up by: its relocated reference (Porter tags images
 * in the layout with it, cnab-go imagestore/ocilayout), and the normalised form of either
 * (image-relocation's image.NewName), when they differ from the reference itself.
 */
function lookupNames(image: string, relocated: string | undefined): string[] {
  const names = new Set<string>()
  for (const name of [relocated, image]) {
    if (name === undefined) continue
    names.add(name)
    try {
      names.add(formatReference(parseRegistryReference(name, false)))
    } catch {
      // Not a registry reference: only the exact form is written.
    }
  }
  names.delete(image)
  return [...names].filter((name) => {
    try {
      validateRefName(name)
      return true
    } catch {
      return false
    }
  })
}

/** Every entry of the archive in order; blobs stream from `source` when their turn comes. */
function* thickArchiveEntries(
  bundleBytes: Buffer,
  relocationMap: Record<string, string>,
  plan: ArchivePlan,
  source: ReadOnlyTarget,
  options: ArchiveOptions,
): Generator<TarEntry> {
  const sorted = Object.fromEntries(Object.entries(relocationMap).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  const layout = `./${THICK_ARCHIVE.layout}`
  yield { path: './', type: 'directory' }
  yield { path: `./${THICK_ARCHIVE.bundle}`, type: 'file', content: bundleBytes }
  // As Porter writes it: Go's json.Marshal of the map, keys sorted, no newline.
  yield { path: `./${THICK_ARCHIVE.relocationMapping}`, type: 'file', content: Buffer.from(JSON.stringify(sorted)) }
  yield { path: './artifacts/', type: 'directory' }
  yield { path: `${layout}/`, type: 'directory' }
  yield { path: `${layout}/oci-layout`, type: 'file', content: layoutHeaderBytes() }
  yield { path: `${layout}/index.json`, type: 'file', content: serializeIndexDocument(plan.index) }
  yield { path: `${layout}/blobs/`, type: 'directory' }
  let algorithm: string | undefined
  for (const desc of plan.contents()) {
    if (digestAlgorithm(desc.digest) !== algorithm) {
      algorithm = digestAlgorithm(desc.digest)
      yield { path: `${layout}/blobs/${algorithm}/`, type: 'directory' }
    }
    const bytes = plan.manifestBytes(desc.digest)
    const path = `${layout}/blobs/${algorithm}/${digestEncoded(desc.digest)}`
    if (bytes !== undefined) {
      yield { path, type: 'file', content: bytes }
      continue
    }
    yield { path, type: 'file', size: desc.size, content: async () => progress(await fetchVerified(source, desc, options), desc, options) }
  }
}

async function* progress(stream: Readable, desc: Descriptor, options: ArchiveOptions): AsyncGenerator<Buffer> {
  let bytes = 0
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.length
    options.onProgress?.({ descriptor: desc, bytes, total: desc.size })
    yield chunk
  }
}

/**
 * A Target that plans the archive instead of storing anything: manifests are kept (verified,
 * they are small) and listed in an index.json as a layout would list them, blobs are only
 * recorded (they count as present, so a copy never reads them; they are read once, when the
 * archive is written), tags go into the index.json.
 */
class ArchivePlan implements Target {
  readonly index: IndexDocument = emptyIndex()
  private readonly manifests = new Map<string, Buffer>()
  private readonly blobs = new Map<string, Descriptor>()

  /** Blobs and manifests recorded. */
  get size(): number {
    return this.blobs.size
  }

  /** Their bytes. */
  get bytes(): number {
    let total = 0
    for (const d of this.blobs.values()) total += d.size
    return total
  }

  /** A blob counts as present (and is recorded); a manifest once it was pushed. */
  async exists(desc: Descriptor): Promise<boolean> {
    if (isManifest(desc.mediaType)) return this.manifests.has(desc.digest)
    this.record(desc)
    return true
  }

  async push(expected: Descriptor, body: Body, o: OpOptions = {}): Promise<void> {
    if (!isManifest(expected.mediaType))
      throw new InvalidContentError(`${expected.digest} is not a manifest; blobs are not pushed into an archive plan`)
    const manifest = await readManifestBody(expected, body, o.signal)
    this.record(expected)
    this.manifests.set(expected.digest, manifest.bytes)
    addUntagged(this.index, expected)
  }

  async fetch(desc: Descriptor): Promise<Readable> {
    const bytes = this.manifests.get(desc.digest)
    if (bytes === undefined) throw new NotFoundError(`${desc.digest} is not in the archive plan`)
    return Readable.from([bytes])
  }

  async resolve(reference: string): Promise<Descriptor> {
    throw new NotFoundError(`the archive plan resolves nothing (${reference})`)
  }

  async tag(desc: Descriptor, reference: string): Promise<void> {
    if (!this.manifests.has(desc.digest)) throw new NotFoundError(`cannot tag ${desc.digest}: it is not in the archive plan`)
    validateRefName(reference)
    setTag(this.index, plainDescriptor(desc), reference)
  }

  /** Every blob and manifest, by digest. */
  contents(): Descriptor[] {
    return [...this.blobs.values()].sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0))
  }

  /** The bytes of a manifest recorded, or undefined for a blob. */
  manifestBytes(digest: Digest): Buffer | undefined {
    return this.manifests.get(digest)
  }

  private record(desc: Descriptor): void {
    const known = this.blobs.get(desc.digest)
    if (known !== undefined && known.size !== desc.size) {
      throw new InvalidContentError(`${desc.digest} is described with two sizes, ${known.size} and ${desc.size} bytes`)
    }
    this.blobs.set(desc.digest, { mediaType: desc.mediaType, digest: desc.digest, size: desc.size })
  }
}
