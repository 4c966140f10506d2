/**
 * Reading a bundle back from its OCI representation (pull): which entry of the bundle index is the
 * config manifest, which are the invocation and component images, the relocation map that sends
 * the bundle's image references to where the images now live, and the check that the index
 * points at the invocation image the bundle names. Pure functions over already fetched bytes.
 *
 * Accepted, for Porter and every cnab-to-oci release (see docs/bundle-format.md): OCI indexes
 * and Docker manifest lists (whatever the children's media types), current and 2018–2019
 * annotation names, index schemaVersion 1, any config media type, and indexes written from the
 * spec alone without role annotations (the spec's order puts the config first).
 */
import { DigestMismatchError, InvalidContentError, SizeLimitError } from '../../errors.js'
import { descriptorProblems, isStringMap, type Descriptor } from '../../oci/descriptor.js'
import { MAX_MANIFEST_BYTES, parseManifest, type ParsedManifest } from '../../oci/manifest.js'
import { isImageManifest, isManifest, MediaTypes } from '../../oci/media-types.js'
import { parseRegistryReference, repositoryName } from '../../oci/reference.js'
import { parseStrictJson } from '../../util/strict-json.js'
import { isRecord } from '../json-shape.js'
import { componentImages, invocationImages, type BundleImage } from './bundle-image-list.js'
import {
  CNAB_CONFIG_MEDIA_TYPE,
  CNAB_SPEC_CONFIG_MEDIA_TYPE,
  COMPONENT_NAME_ANNOTATION,
  DescriptorType,
  LEGACY_INDEX_SCHEMA_VERSION,
  LegacyAnnotations,
  MANIFEST_TYPE_ANNOTATION,
} from './constants.js'

/** The entries of a bundle index sorted by role. */
export interface ParsedBundleIndex {
  /** Media type of the index itself (OCI index or Docker manifest list). */
  readonly mediaType: string
  /** The index's own annotations (title, version, runtime version...), empty when it has none. */
  readonly annotations: Readonly<Record<string, string>>
  /** The config manifest entry: fetch it, then its `config` blob is bundle.json. */
  readonly config: Descriptor
  /** Invocation image entries, in index order (cnab-to-oci writes exactly one). */
  readonly invocations: readonly Descriptor[]
  /** Component image entries by their key in the bundle's `images` map. */
  readonly components: ReadonlyMap<string, Descriptor>
  /** Entries without a role annotation; matched to bundle images by contentDigest. */
  readonly unannotated: readonly Descriptor[]
  /** What was tolerated: legacy forms, a missing config annotation, unknown roles. */
  readonly warnings: readonly string[]
}

interface RawIndex {
  mediaType: string
  manifests: Descriptor[]
  annotations: Record<string, string>
  warnings: string[]
}

/**
 * Sorts the entries of a bundle index (its bytes, or a manifest already parsed with
 * parseManifest) by role. The config is the first entry annotated `config` (current or legacy
 * key); an index with no role annotation at all falls back to its first entry, unless its
 * entries carry platforms (then it is a multi-platform image). `mediaType` is what the registry
 * or descriptor said the bytes are.
 *
 * Throws InvalidContentError saying what is wrong: an image manifest given instead of a bundle
 * ("this is an image manifest, not a bundle: ..."), a multi-platform image index, no config
 * entry, a config entry that is not an image manifest, an image entry that is not a manifest,
 * a component without a name or listed twice. SizeLimitError above 4 MiB.
 */
export function parseBundleIndex(input: Uint8Array | ParsedManifest, mediaType?: string): ParsedBundleIndex {
  const raw = readIndex(input, mediaType)
  const warnings = [...raw.warnings]
  const roles = raw.manifests.map(roleOf)
  let configAt = roles.findIndex((r) => r.type === DescriptorType.Config)
  if (configAt === -1) {
    if (roles.some((r) => r.type !== undefined)) {
      throw new InvalidContentError(`bundle config not found: no entry of the index is annotated ${MANIFEST_TYPE_ANNOTATION}=config`)
    }
    if (raw.manifests.length === 0)
      throw new InvalidContentError('this index is empty, not a bundle: a bundle index lists at least its config manifest')
    if (raw.manifests.some((d) => d.platform !== undefined)) {
      throw new InvalidContentError(
        `this is a multi-platform image index, not a bundle: its entries carry platforms and none is annotated ${MANIFEST_TYPE_ANNOTATION}`,
        { suggestions: ['check that the reference names the bundle, not one of its images'] },
      )
    }
    configAt = 0
    warnings.push(
      `no entry is annotated ${MANIFEST_TYPE_ANNOTATION}=config; using the first entry, where the CNAB registry spec puts the bundle config`,
    )
  }
  const config = raw.manifests[configAt]!
  if (!isImageManifest(config.mediaType)) {
    throw new InvalidContentError(
      `the bundle config entry ${config.digest} is "${config.mediaType}"; it must be an image manifest whose config blob is bundle.json`,
    )
  }
  const invocations: Descriptor[] = []
  const components = new Map<string, Descriptor>()
  const unannotated: Descriptor[] = []
  raw.manifests.forEach((d, i) => {
    if (i === configAt) return
    const { type, name } = roles[i]!
    switch (type) {
      case undefined:
        unannotated.push(d)
        return
      case DescriptorType.Config:
        warnings.push(`entry ${d.digest} is a second config entry and is ignored`)
        return
      case DescriptorType.Invocation:
        invocations.push(imageEntry(d))
        return
      case DescriptorType.Component:
        if (name === undefined) throw new InvalidContentError(`component entry ${d.digest} has no ${COMPONENT_NAME_ANNOTATION} annotation`)
        if (components.has(name)) throw new InvalidContentError(`component "${name}" is listed twice in the bundle index`)
        components.set(name, imageEntry(d))
        return
      default:
        warnings.push(`entry ${d.digest} has the unknown role "${type}" and is ignored`)
    }
  })
  return { mediaType: raw.mediaType, annotations: raw.annotations, config, invocations, components, unannotated, warnings }
}

/** An invocation or component entry, which must name an image manifest or index. */
function imageEntry(d: Descriptor): Descriptor {
  if (!isManifest(d.mediaType)) {
    throw new InvalidContentError(
      `unsupported manifest descriptor ${d.digest} with media type "${d.mediaType}": bundle images must be image manifests or indexes`,
    )
  }
  return d
}

/** Role annotations of an entry, current keys first, then the 2018–2019 ones. */
function roleOf(d: Descriptor): { type?: string; name?: string } {
  const a = d.annotations ?? {}
  const type = a[MANIFEST_TYPE_ANNOTATION] ?? a[LegacyAnnotations.Type]
  const name = a[COMPONENT_NAME_ANNOTATION] ?? a[LegacyAnnotations.ComponentName]
  return { ...(type !== undefined && { type }), ...(name !== undefined && { name }) }
}

function readIndex(input: Uint8Array | ParsedManifest, mediaType: string | undefined): RawIndex {
  if (input instanceof Uint8Array) {
    const legacy = legacyIndex(input, mediaType)
    if (legacy !== undefined) return legacy
  }
  const parsed = input instanceof Uint8Array ? parseManifest(input, mediaType) : input
  if (parsed.kind === 'manifest') {
    throw new InvalidContentError(
      `this is an image manifest, not a bundle: "${parsed.mediaType}" describes one image (config "${parsed.manifest.config.mediaType}"); ` +
        'a bundle is an image index or Docker manifest list listing the bundle config, the invocation image and the component images',
      { suggestions: ['check that the reference names the bundle, not its invocation image or one of its component images'] },
    )
  }
  return {
    mediaType: parsed.mediaType,
    manifests: parsed.index.manifests,
    annotations: parsed.index.annotations ?? {},
    warnings: [...parsed.warnings],
  }
}

/**
 * Indexes of early cnab-to-oci releases say `schemaVersion: 1`, which parseManifest rightly
 * takes for Docker schema 1. Undefined when the bytes are not such an index.
 */
function legacyIndex(raw: Uint8Array, mediaType: string | undefined): RawIndex | undefined {
  if (raw.length > MAX_MANIFEST_BYTES) throw new SizeLimitError('bundle index', MAX_MANIFEST_BYTES)
  let doc: unknown
  try {
    doc = parseStrictJson(Buffer.from(raw).toString('utf8'))
  } catch {
    return undefined // parseManifest reports unparseable bytes
  }
  if (!isRecord(doc) || doc.schemaVersion !== LEGACY_INDEX_SCHEMA_VERSION || !Array.isArray(doc.manifests)) return undefined
  const problems = doc.manifests.flatMap((d, n) => descriptorProblems(d, `/manifests/${n}`))
  if (doc.annotations !== undefined && !isStringMap(doc.annotations)) problems.push('/annotations: must be a map of string to string')
  if (problems.length > 0) throw new InvalidContentError(`invalid bundle index: ${problems.join('; ')}`)
  return {
    mediaType: mediaType ?? MediaTypes.OciIndex,
    manifests: doc.manifests as Descriptor[],
    annotations: (doc.annotations as Record<string, string> | undefined) ?? {},
    warnings: ['the index has schemaVersion 1 (early cnab-to-oci releases); read as an OCI index'],
  }
}

/** Config media types bundle config manifests are known to use (cnab-to-oci's three variants, spec 201's name). */
const KNOWN_CONFIG_MEDIA_TYPES: ReadonlySet<string> = new Set([
  CNAB_CONFIG_MEDIA_TYPE,
  CNAB_SPEC_CONFIG_MEDIA_TYPE,
  MediaTypes.OciConfig,
  MediaTypes.DockerConfig,
])

/**
 * The descriptor of bundle.json in the fetched config manifest (the `config` entry of the
 * index). Any config media type is accepted, as cnab-to-oci and Porter do; one no bundle
 * writer uses comes back with a warning. Throws InvalidContentError when the entry turns out to
 * be an index.
 */
export function bundleConfigDescriptor(configManifest: ParsedManifest): { descriptor: Descriptor; warnings: string[] } {
  if (configManifest.kind !== 'manifest') {
    throw new InvalidContentError(
      `the bundle config entry is an index ("${configManifest.mediaType}"), not an image manifest whose config blob is bundle.json`,
    )
  }
  const descriptor = configManifest.manifest.config
  const warnings = KNOWN_CONFIG_MEDIA_TYPES.has(descriptor.mediaType)
    ? []
    : [`the bundle config has the unusual media type "${descriptor.mediaType}"; reading it as bundle.json anyway`]
  return { descriptor, warnings }
}

/**
 * Whether an image manifest is the config manifest of a bundle stored without index (the
 * `no-index` representation of docs/bundle-format.md, for registries that take no index): its
 * config has a CNAB config type, or its one layer is its config blob again, as in the portable
 * OCI variants and the Docker variant. An image's layers are filesystems, never its own config,
 * so an image is not mistaken for a bundle.
 */
export function isBundleConfigManifest(manifest: ParsedManifest): boolean {
  if (manifest.kind !== 'manifest') return false
  const { config, layers } = manifest.manifest
  if (config.mediaType === CNAB_CONFIG_MEDIA_TYPE || config.mediaType === CNAB_SPEC_CONFIG_MEDIA_TYPE) return true
  return layers !== null && layers.length === 1 && layers[0]!.digest === config.digest && layers[0]!.size === config.size
}

/** A bundle image together with the index entry that holds it. */
interface PlacedImage {
  image: BundleImage
  entry: Descriptor
}

/** The unannotated entry of an image's contentDigest; InvalidContentError when there is none. */
function entryByDigest(image: BundleImage, index: ParsedBundleIndex): Descriptor {
  const entry = image.contentDigest === undefined ? undefined : index.unannotated.find((d) => d.digest === image.contentDigest)
  if (entry === undefined) throw new InvalidContentError(`image "${image.image}" (${image.pointer}) has no entry in the bundle index`)
  return entry
}

/** Invocation images paired with entries by position, else by contentDigest among unannotated entries. */
function invocationEntry(image: BundleImage, position: number, index: ParsedBundleIndex): Descriptor {
  return index.invocations[position] ?? entryByDigest(image, index)
}

/**
 * Pairs every image of the bundle with its index entry: invocation images by position among
 * the invocation entries, components by name; an image without an annotated entry by its
 * contentDigest among the unannotated ones. Throws InvalidContentError when an image has no
 * entry, or when the index has entries the bundle does not know (it belongs to another bundle).
 */
function placeImages(bundle: unknown, index: ParsedBundleIndex): PlacedImage[] {
  const invocation = invocationImages(bundle)
  if (index.invocations.length > invocation.length) {
    throw new InvalidContentError(
      `the bundle index lists ${index.invocations.length} invocation images, but the bundle has ${invocation.length}`,
    )
  }
  const components = componentImages(bundle)
  for (const name of index.components.keys()) {
    if (!components.some((c) => c.name === name))
      throw new InvalidContentError(`component "${name}" of the bundle index is not in the bundle's images`)
  }
  return [
    ...invocation.map((image, i) => ({ image, entry: invocationEntry(image, i, index) })),
    ...components.map((image) => ({ image, entry: index.components.get(image.name!) ?? entryByDigest(image, index) })),
  ]
}

/**
 * The CNAB relocation map (spec 103) of a pulled bundle: each image reference of the bundle,
 * exactly as written, → `<registry>/<repository>@<digest of its index entry>`. `repository` is
 * where the bundle was pulled from; a tag or digest on it is ignored. cnab-to-oci writes Docker
 * Hub references in their short ("familiar") form; the full form written here names the same
 * content. Throws InvalidReferenceError for a bad repository, InvalidContentError when an image
 * has no entry or one reference would have to point at two different manifests.
 */
export function relocationMapFromIndex(bundle: unknown, index: ParsedBundleIndex, repository: string): Record<string, string> {
  const repo = repositoryName(parseRegistryReference(repository, false))
  const map = new Map<string, { pointer: string; target: string }>()
  for (const { image, entry } of placeImages(bundle, index)) {
    const target = `${repo}@${entry.digest}`
    const seen = map.get(image.image)
    if (seen !== undefined && seen.target !== target) {
      throw new InvalidContentError(
        `image "${image.image}" is used at ${seen.pointer} and ${image.pointer}, but the index gives them different manifests`,
      )
    }
    map.set(image.image, { pointer: image.pointer, target })
  }
  // fromEntries defines own properties, so a key like "__proto__" cannot touch the prototype.
  return Object.fromEntries([...map].map(([ref, { target }]) => [ref, target]))
}

/** An invocation image whose index entry is not the manifest bundle.json pins. */
export class InvocationImageMismatchError extends DigestMismatchError {
  constructor(image: BundleImage, actual: string) {
    super(image.contentDigest!, actual, {
      suggestions: ['the index and bundle.json disagree: do not run this bundle; publish it again or pull it from a trusted source'],
    })
    this.message = `invocation image "${image.image}" (${image.pointer}): bundle.json pins ${image.contentDigest} but the bundle index points at ${actual}`
  }
}

/**
 * Checks that each invocation image entry of the index is the manifest bundle.json pins with
 * `contentDigest`, so an installer runs the image the (possibly signed) bundle names. cnab-to-oci
 * does not check this. A missing contentDigest is an error unless `allowMissingContentDigest`
 * (the CNAB spec lets the user accept that); it then comes back as a warning. Throws
 * InvocationImageMismatchError (a DigestMismatchError) on a mismatch, InvalidContentError when
 * the digest is missing or the image has no entry.
 */
export function checkInvocationDigest(
  bundle: unknown,
  index: ParsedBundleIndex,
  options: { allowMissingContentDigest?: boolean } = {},
): string[] {
  const warnings: string[] = []
  invocationImages(bundle).forEach((image, i) => {
    if (image.contentDigest === undefined) {
      const message = `invocation image "${image.image}" (${image.pointer}) has no contentDigest, so the image the index points at cannot be verified`
      if (options.allowMissingContentDigest !== true) {
        throw new InvalidContentError(message, { suggestions: ['allow unverified invocation images explicitly if you trust the source'] })
      }
      warnings.push(message)
      return
    }
    const entry = invocationEntry(image, i, index)
    if (entry.digest !== image.contentDigest) throw new InvocationImageMismatchError(image, entry.digest)
  })
  return warnings
}
