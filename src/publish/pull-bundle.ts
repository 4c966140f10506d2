/**
 * Pulling a bundle for an installer (cnab-to-oci's `remotes.Pull`,
 * https://github.com/cnabio/cnab-to-oci/blob/v0.6.1/remotes/pull.go; the relocation map is the one
 * of https://github.com/cnabio/cnab-spec/blob/main/103-bundle-runtime.md): resolve the reference,
 * read the bundle index and its config manifest, and hand over bundle.json exactly as stored
 * (signatures over those bytes stay checkable), the parsed bundle, and the relocation map. Unlike
 * cnab-to-oci, every object is verified against its digest and size, and the invocation image the
 * index points at must be the one bundle.json pins. Optionally every image is copied into a local
 * store, tagged with its reference the way thick bundles do, for air-gapped sites.
 *
 * Read: OCI indexes and Docker manifest lists, current and 2018–2019 cnab-to-oci annotations,
 * index schemaVersion 1, any config media type (src/cnab/oci/from-oci.ts); a bundle stored
 * without index (the tag names its config manifest, and the images are the manifests
 * bundle.json pins, docs/bundle-format.md). Manifests are read by digest and, where the
 * registry will not serve them that way, by their derived tag (DerivedTagReader, porter#695),
 * every one verified against its digest.
 */
import { canListReferrers, type OpOptions, type ReadOnlyTarget, type Target } from '../content/storage.js'
import { fetchAll } from '../content/verify.js'
import { copyGraph, Limiter, type CopyProgress } from '../copy/index.js'
import { InvalidContentError, messageOf } from '../errors.js'
import { plainDescriptor, type Descriptor } from '../oci/descriptor.js'
import { parseManifest, type ParsedManifest } from '../oci/manifest.js'
import type { OciShape } from '../cnab/oci/to-oci.js'
import { isImageManifest, isIndex, MediaTypes } from '../oci/media-types.js'
import type { IndexChoice } from '../compat/capabilities.js'
import { parseStrictJson } from '../util/strict-json.js'
import { isCanonical } from '../cnab/canonical.js'
import { isRecord } from '../cnab/json-shape.js'
import { loadBundleBytes, MAX_BUNDLE_BYTES } from '../cnab/load.js'
import { componentImages, invocationImages, type BundleImage } from '../cnab/oci/bundle-image-list.js'
import {
  ARTIFACT_TYPE_ANNOTATION,
  bundleConfigDescriptor,
  checkInvocationDigest,
  CNAB_ARTIFACT_TYPE,
  isBundleConfigManifest,
  LegacyAnnotations,
  MANIFEST_TYPE_ANNOTATION,
  parseBundleIndex,
  relocationMapFromIndex,
  RUNTIME_VERSION_ANNOTATION,
  type ParsedBundleIndex,
} from '../cnab/oci/index.js'
import { declaredDescriptors } from './image-fields.js'
import { NotABundleError } from './publish-errors.js'
import { DEFAULT_IMAGE_CONCURRENCY } from './fixup.js'
import { derivedTagReader } from './manifest-refs.js'
import { ManifestStager } from './manifest-stager.js'
import { formatRepository, repositoryOf, type RepositoryName } from './repository-name.js'

/** Options of pullBundle. */
export interface PullOptions {
  /** Where the bundle is, for the relocation map. Undefined → taken from a RegistryRepository source; a layout has none. */
  repository?: RepositoryName
  /**
   * Copy every image of the bundle into this store, each tagged with its reference exactly as
   * bundle.json writes it (an OCI layout's `org.opencontainers.image.ref.name`, the thick-bundle
   * convention; layoutImageSource reads it back). Registries do not take such tags.
   */
  images?: Target
  /** Accept an invocation image without contentDigest (the CNAB spec lets the user allow it); it becomes a warning. */
  allowMissingContentDigest?: boolean
  /** Cancels the pull; the call rejects with the signal's reason. */
  signal?: AbortSignal
  /** Bytes of each image blob as it is copied into `images`. */
  onProgress?: (image: string, progress: CopyProgress) => void
  /**
   * With `images`: also copy the referrers (signatures, SBOMs) of the bundle index and of every
   * image, and theirs in turn, when the source can list them. Default true.
   */
  referrers?: boolean
}

/** A bundle read by pullBundle, verified. */
export interface PullResult {
  /** The digest of the bundle index. */
  digest: string
  /** Descriptor of what the selector resolved to: the bundle index, or the config manifest of a bundle stored without one. */
  index: Descriptor
  /** bundle.json exactly as stored in the registry (the config blob), verified against its digest. */
  bundleBytes: Buffer
  /** The parsed bundle.json. */
  bundle: unknown
  /** CNAB relocation map (spec 103) to the images in the bundle's repository; undefined without a repository. */
  relocationMap?: Record<string, string>
  /** What was found: the index format (`no-index`: the tag names the config manifest), the config manifest's and the config's media types. */
  representation: { index: IndexChoice; configManifest: string; config: string }
  /** The config manifest (the index's config entry, or what the selector names for a bundle stored without index). */
  configManifest: Descriptor
  /** The config manifest's layer shape: `cnab-to-oci` when it has no layer (`"layers": null` or `[]`), else `portable`. */
  configShape: OciShape
  /** The manifest the bundle lists for each image reference of bundle.json (by the index's annotations, else contentDigest). */
  entries: Map<string, Descriptor>
  /** The image manifest copied for each image reference, when `images` was given. */
  images?: Map<string, Descriptor>
  /** The referrers copied into `images` with the images; absent without `images` or when not asked for. */
  referrers?: Descriptor[]
  /** What was tolerated: legacy forms, unusual media types, a missing contentDigest, non-canonical bytes. */
  warnings: string[]
}

/**
 * Pulls the bundle `selector` (a tag or digest) names in `source`.
 * Throws NotABundleError for an image (a manifest, or an index without any CNAB annotation),
 * InvalidContentError for a damaged bundle (no config entry, an unreadable bundle.json, an
 * image without an index entry), InvocationImageMismatchError, DigestMismatchError and
 * SizeMismatchError for content that does not match its descriptor, NotFoundError, and the
 * errors of copyGraph when copying images.
 */
export async function pullBundle(source: ReadOnlyTarget, selector: string, options: PullOptions = {}): Promise<PullResult> {
  const o: OpOptions = { signal: options.signal }
  const src = derivedTagReader(source)
  const root = plainDescriptor(await src.resolve(selector, o))
  const what = `"${selector}" (${root.digest})`
  const found = isIndex(root.mediaType) ? await readIndexed(src, root, what, o) : await readWithoutIndex(src, root, what, o)
  const { index, config, bundleBytes, bundle } = found
  const warnings = [...index.warnings, ...config.warnings]
  if (!isCanonical(bundleBytes)) warnings.push('bundle.json as stored is not canonical JSON (RFC 8785); its bytes are returned unchanged')
  warnings.push(...checkInvocationDigest(bundle, index, { allowMissingContentDigest: options.allowMissingContentDigest }))
  const repository = options.repository ?? repositoryOf(source)
  const entries = imageEntries(bundle, index)
  const saved = options.images && (await saveImages(src, entries, root, options.images, options))
  return {
    digest: root.digest,
    index: root,
    bundleBytes,
    bundle,
    ...(repository !== undefined && { relocationMap: relocationMapFromIndex(bundle, index, formatRepository(repository)) }),
    representation: { index: found.format, configManifest: index.config.mediaType, config: config.descriptor.mediaType },
    configManifest: plainDescriptor(index.config),
    configShape: found.layers === null || found.layers.length === 0 ? 'cnab-to-oci' : 'portable',
    entries,
    ...(saved !== undefined && { images: saved.images }),
    ...(saved?.referrers !== undefined && { referrers: saved.referrers }),
    warnings,
  }
}

/** What the top level of a stored bundle leads to. */
interface FoundBundle {
  format: IndexChoice
  /** The index, or for a bundle without index the entries bundle.json pins. */
  index: ParsedBundleIndex
  config: ReturnType<typeof bundleConfigDescriptor>
  /** The config manifest's layers. */
  layers: readonly Descriptor[] | null
  bundleBytes: Buffer
  bundle: unknown
}

/** A bundle index (OCI index or Docker manifest list), its config manifest and bundle.json. */
async function readIndexed(src: ReadOnlyTarget, root: Descriptor, what: string, o: OpOptions): Promise<FoundBundle> {
  const indexBytes = await fetchAll(src, root, o)
  if (!hasCnabAnnotations(indexBytes)) {
    throw new NotABundleError(
      what,
      `no entry of the index is annotated ${MANIFEST_TYPE_ANNOTATION} and the index has no ${RUNTIME_VERSION_ANNOTATION} annotation`,
    )
  }
  const index = parseBundleIndex(indexBytes, root.mediaType)
  const configManifest = parseManifest(await fetchAll(src, index.config, o), index.config.mediaType)
  const config = bundleConfigDescriptor(configManifest)
  const bundleBytes = await fetchAll(src, config.descriptor, { ...o, limit: MAX_BUNDLE_BYTES })
  return {
    format: index.mediaType === MediaTypes.DockerManifestList ? 'docker-manifest-list' : 'oci-index',
    index,
    config,
    layers: layersOf(configManifest),
    bundleBytes,
    bundle: parseBundle(bundleBytes, config.descriptor),
  }
}

/**
 * A bundle stored without index: `root` is its config manifest, and its images are the
 * manifests bundle.json pins (contentDigest, size, mediaType), standing in for index entries.
 */
async function readWithoutIndex(src: ReadOnlyTarget, root: Descriptor, what: string, o: OpOptions): Promise<FoundBundle> {
  const single = `it is a single "${root.mediaType}"; a bundle is an image index or Docker manifest list listing bundle.json, the invocation image and the component images, or (stored without index) a manifest whose config blob is bundle.json`
  if (!isImageManifest(root.mediaType)) throw new NotABundleError(what, single)
  const configManifest = parseManifest(await fetchAll(src, root, o), root.mediaType)
  if (!isBundleConfigManifest(configManifest)) throw new NotABundleError(what, single)
  const config = bundleConfigDescriptor(configManifest)
  const bundleBytes = await fetchAll(src, config.descriptor, { ...o, limit: MAX_BUNDLE_BYTES })
  const bundle = parseBundle(bundleBytes, config.descriptor)
  let pinned: Map<string, Descriptor>
  try {
    pinned = declaredDescriptors(bundle)
  } catch (err) {
    throw new InvalidContentError(
      `${what} is a bundle stored without index, whose images are found by the contentDigest and size bundle.json pins: ${messageOf(err)}`,
      { cause: err },
    )
  }
  const index: ParsedBundleIndex = {
    mediaType: root.mediaType,
    annotations: {},
    config: root,
    invocations: invocationImages(bundle).map((i) => pinned.get(i.image)!),
    components: new Map(componentImages(bundle).map((c) => [c.name!, pinned.get(c.image)!])),
    unannotated: [],
    warnings: [],
  }
  return { format: 'no-index', index, config, layers: layersOf(configManifest), bundleBytes, bundle }
}

/** The layers of an image manifest (bundleConfigDescriptor has checked it is one). */
function layersOf(manifest: ParsedManifest): readonly Descriptor[] | null {
  return manifest.kind === 'manifest' ? manifest.manifest.layers : null
}

/**
 * Whether an index says it is a bundle: an entry with a role annotation (current or 2018–2019
 * key), or a CNAB annotation on the index itself. Multi-platform image indexes have none. An
 * index written from the registry spec alone with no annotation at all cannot be told from an
 * image index and is refused too.
 */
function hasCnabAnnotations(raw: Buffer): boolean {
  let doc: unknown
  try {
    doc = parseStrictJson(raw.toString('utf8'))
  } catch {
    return true // not JSON: parseBundleIndex says so precisely
  }
  const annotations = (x: unknown): Record<string, unknown> => (isRecord(x) && isRecord(x.annotations) ? x.annotations : {})
  const own = annotations(doc)
  const entries = isRecord(doc) && Array.isArray(doc.manifests) ? doc.manifests : []
  return (
    entries.some((e) => MANIFEST_TYPE_ANNOTATION in annotations(e) || LegacyAnnotations.Type in annotations(e)) ||
    RUNTIME_VERSION_ANNOTATION in own ||
    own[ARTIFACT_TYPE_ANNOTATION] === CNAB_ARTIFACT_TYPE ||
    own[LegacyAnnotations.DockerAppFormat] === 'cnab'
  )
}

/** bundle.json from the config blob; InvalidContentError when it is not one JSON object. */
function parseBundle(bytes: Buffer, desc: Descriptor): unknown {
  const loaded = loadBundleBytes(bytes, `bundle config ${desc.digest}`)
  const errors = loaded.issues.filter((i) => i.severity === 'error')
  if (loaded.value === undefined || errors.length > 0) {
    throw new InvalidContentError(
      `the bundle config ${desc.digest} is not a usable bundle.json: ${errors.map((i) => i.message).join('; ')}`,
    )
  }
  return loaded.value
}

/**
 * The index entry of every image reference, paired as relocationMapFromIndex pairs them:
 * invocation images by position, components by name, an image without an annotated entry by its
 * contentDigest. Throws InvalidContentError for an image without an entry.
 */
function imageEntries(bundle: unknown, index: ParsedBundleIndex): Map<string, Descriptor> {
  const byDigest = (image: BundleImage): Descriptor => {
    const entry = index.unannotated.find((d) => d.digest === image.contentDigest)
    if (entry === undefined) throw new InvalidContentError(`image "${image.image}" (${image.pointer}) has no entry in the bundle index`)
    return entry
  }
  const entries = new Map<string, Descriptor>()
  invocationImages(bundle).forEach((image, i) => entries.set(image.image, plainDescriptor(index.invocations[i] ?? byDigest(image))))
  for (const image of componentImages(bundle))
    entries.set(image.image, plainDescriptor(index.components.get(image.name!) ?? byDigest(image)))
  return entries
}

/**
 * Copies every image graph into `store` (in parallel, bounded) and tags each with its
 * reference; with referrers, the referrers of every image and of the bundle index `root` too
 * (a referrer of the index brings the index with it, as its subject). Manifests reach the store
 * image by image in bundle order, then the referrers in the order found (ManifestStager), so a
 * layout's index.json comes out the same on every pull of the same content.
 */
async function saveImages(
  source: ReadOnlyTarget,
  entries: Map<string, Descriptor>,
  root: Descriptor,
  store: Target,
  options: PullOptions,
): Promise<{ images: Map<string, Descriptor>; referrers?: Descriptor[] }> {
  const o: OpOptions = { signal: options.signal }
  const stager = new ManifestStager(store)
  const limiter = new Limiter(DEFAULT_IMAGE_CONCURRENCY)
  const lister = (options.referrers ?? true) && canListReferrers(source) ? source : undefined
  const found = new Map<string, Descriptor>()
  const graphOptions = {
    signal: options.signal,
    referrers: lister !== undefined,
    onReferrer: (d: Descriptor) => void found.set(d.digest, d),
  }
  const roots: Array<[string, Descriptor]> = [...entries]
  if (lister !== undefined) {
    for await (const d of lister.listReferrers(root, o)) {
      roots.push([d.digest, plainDescriptor(d)])
      found.set(d.digest, d)
    }
  }
  const copies = await Promise.allSettled(
    roots.map(([ref, entry]) =>
      limiter.run(
        () =>
          copyGraph(source, stager, entry, {
            ...graphOptions,
            ...(options.onProgress && { onProgress: (p: CopyProgress) => options.onProgress!(ref, p) }),
          }),
        options.signal,
      ),
    ),
  )
  // Settled, not Promise.all: no copy may still be writing into the store when the pull fails.
  const failure = copies.find((c) => c.status === 'rejected')
  if (failure !== undefined) throw failure.reason
  for (const [ref, entry] of entries) {
    await stager.commit(entry, o)
    await store.tag(entry, ref, o)
  }
  for (const d of [...found.values()].sort((a, b) => (a.digest < b.digest ? -1 : 1))) await stager.commit(plainDescriptor(d), o)
  return { images: entries, ...(lister !== undefined && { referrers: [...found.values()] }) }
}
