/**
 * The OCI representation of a bundle (CNAB Registries draft, spec 201, as cnab-to-oci writes it):
 * the config blob (canonical bundle.json), the config manifest that points at it, and the index
 * that lists config manifest, invocation image and component images. Pure functions: they build
 * bytes and descriptors; pushing them is the caller's job.
 *
 * Two shapes (see docs/bundle-format.md):
 * - `cnab-to-oci` reproduces cnab-to-oci v0.6.1 byte for byte (same digests as Porter would get).
 * - `portable` (the default) differs only where cnab-to-oci's output breaks the image spec or
 *   registries, and stays readable by cnab-to-oci and Porter (they ignore `layers` and
 *   `mediaType`):
 *   - OCI config manifests carry `"mediaType"` and one layer instead of `"layers":null`. The
 *     image-spec schema wants `layers` to be a non-empty array and GCR refused `null`
 *     (cnab-to-oci#69). The layer is the config blob again, as in cnab-to-oci's own Docker
 *     variant, rather than the OCI empty descriptor: it needs no second blob upload (a push that
 *     dies between blob and manifest cannot leave a manifest pointing at a missing empty blob),
 *     it is cnab-to-oci's own fix for the registry that rejected `null`, and it uses no
 *     image-spec 1.1 media type that older registries with media-type allow-lists may refuse.
 *   - The index body states its `mediaType` (the image spec says it SHOULD), right after
 *     `schemaVersion` as in the image-spec and distribution Go structs, for both formats.
 *   - Index entries get no `platform`, like cnab-to-oci's: a platform would let platform-aware
 *     clients (`docker pull`, containerd) treat the bundle as a multi-platform image and pull
 *     the invocation image in its place, and bundle `labels` are free text that need not be
 *     valid OCI platform values.
 */
import { InputError } from '../../errors.js'
import { Annotations } from '../../oci/annotations.js'
import type { Descriptor } from '../../oci/descriptor.js'
import { digestOf, isDigest } from '../../oci/digest.js'
import { isImageManifest, isManifest, MediaTypes } from '../../oci/media-types.js'
import { parseStrictJson } from '../../util/strict-json.js'
import { canonicalBytes, isCanonical } from '../canonical.js'
import { field, isRecord, type JsonObject } from '../json-shape.js'
import { bundleObject, componentImages, invocationImages, type BundleImage } from './bundle-image-list.js'
import {
  ARTIFACT_TYPE_ANNOTATION,
  CNAB_ARTIFACT_TYPE,
  CNAB_CONFIG_MEDIA_TYPE,
  COMPONENT_NAME_ANNOTATION,
  DescriptorType,
  KEYWORDS_ANNOTATION,
  MANIFEST_TYPE_ANNOTATION,
  RUNTIME_VERSION_ANNOTATION,
} from './constants.js'
import { GoMap, goMarshal, type GoStruct, type GoValue } from './go-json.js'

/** `portable` (default): image-spec-valid bodies readable by cnab-to-oci; `cnab-to-oci`: its exact bytes. */
export type OciShape = 'portable' | 'cnab-to-oci'
/** The shape used when none is given. */
export const DEFAULT_SHAPE: OciShape = 'portable'

const OPEN_BRACE = 0x7b

/** Indentation of Docker schema 2 manifests: distribution's `schema2.FromStruct` uses MarshalIndent with 3 spaces. */
const DOCKER_MANIFEST_INDENT = '   '

/**
 * The config blob: bundle.json in canonical form (RFC 8785), the bytes a registry stores and the
 * bundle digest depends on. Given bytes that are already canonical, returns them unchanged (the
 * spec stores the bundle unmodified, and signatures over those bytes stay valid); other bytes
 * are parsed strictly (duplicate keys are refused) and canonicalised. A parsed value is
 * canonicalised. Throws InputError (JsonSyntaxError for unparseable bytes) when the input is not
 * a JSON object or has no canonical form.
 */
export function configBlob(bundle: unknown): Buffer {
  if (bundle instanceof Uint8Array) {
    // Canonical JSON has no leading white space: an object starts with "{".
    if (bundle[0] === OPEN_BRACE && isCanonical(bundle)) return Buffer.from(bundle)
    let text: string
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bundle)
    } catch {
      throw new InputError('bundle.json is not valid UTF-8')
    }
    return canonicalBytes(bundleObject(parseStrictJson(text)))
  }
  return canonicalBytes(bundleObject(bundle))
}

/**
 * Names a config manifest variant by its config media type: the CNAB config type, the OCI image
 * config type, or the Docker schema 2 config type.
 */
export type ConfigVariantId = 'cnab-config' | 'oci-image-config' | 'docker-config'

/** One way to write the config manifest; a publisher tries them in order until a registry accepts one. */
export interface ConfigManifestVariant {
  /** Which of the three variants this is. */
  readonly id: ConfigVariantId
  /** The manifest's media type: the Content-Type to push it with. */
  readonly mediaType: string
  /** The manifest bytes to push. */
  readonly bytes: Buffer
  /** The manifest's descriptor: what the bundle index's config entry points at. */
  readonly descriptor: Descriptor
  /** The config descriptor as this manifest writes it (the blob is the same in every variant). */
  readonly config: Descriptor
}

/**
 * The config manifest variants for the config blob `config`, in cnab-to-oci's fallback order:
 * OCI manifest with the CNAB config type, OCI manifest with the OCI image config type, Docker
 * schema 2 manifest with the Docker config type (the config blob repeated as its one layer,
 * already portable, so identical in both shapes). In the `portable` shape the OCI variants state
 * their `mediaType` and repeat the config blob as their one layer; in the `cnab-to-oci` shape they
 * have `"layers":null`, as cnab-to-oci writes them.
 */
export function configManifestVariants(
  config: Pick<Descriptor, 'digest' | 'size'>,
  options: { shape?: OciShape } = {},
): ConfigManifestVariant[] {
  const shape = options.shape ?? DEFAULT_SHAPE
  checkBlobDescriptor(config)
  const ociVariant = (id: ConfigVariantId, configMediaType: string): ConfigManifestVariant => {
    const configDesc = { mediaType: configMediaType, digest: config.digest, size: config.size }
    const body: GoStruct =
      shape === 'cnab-to-oci'
        ? { schemaVersion: 2, config: ociDescriptor(configDesc), layers: null }
        : { schemaVersion: 2, mediaType: MediaTypes.OciManifest, config: ociDescriptor(configDesc), layers: [ociDescriptor(configDesc)] }
    return variant(id, MediaTypes.OciManifest, goMarshal(body), configDesc)
  }
  const dockerConfig = { mediaType: MediaTypes.DockerConfig, digest: config.digest, size: config.size }
  // distribution's Descriptor declares size before digest, unlike the OCI one.
  const dockerDescriptor: GoStruct = { mediaType: dockerConfig.mediaType, size: dockerConfig.size, digest: dockerConfig.digest }
  const dockerBody: GoStruct = {
    schemaVersion: 2,
    mediaType: MediaTypes.DockerManifest,
    config: dockerDescriptor,
    layers: [dockerDescriptor],
  }
  return [
    ociVariant('cnab-config', CNAB_CONFIG_MEDIA_TYPE),
    ociVariant('oci-image-config', MediaTypes.OciConfig),
    variant('docker-config', MediaTypes.DockerManifest, goMarshal(dockerBody, DOCKER_MANIFEST_INDENT), dockerConfig),
  ]
}

function variant(id: ConfigVariantId, mediaType: string, bytes: Buffer, config: Descriptor): ConfigManifestVariant {
  return { id, mediaType, bytes, descriptor: { mediaType, digest: digestOf(bytes), size: bytes.length }, config }
}

/** The bundle index as an OCI image index, or (for registries that refuse one) as a Docker manifest list. */
export type IndexFormat = 'oci-index' | 'docker-manifest-list'

/** What bundleIndex needs besides the bundle: the pushed config manifest and the resolved images. */
export interface BundleIndexOptions {
  /** Descriptor of the config manifest that was pushed (one of configManifestVariants). */
  config: Descriptor
  /**
   * The resolved manifest of every image of the bundle, keyed by the `image` reference string as
   * written in bundle.json (the key of a relocation map). Only mediaType, digest and size are used.
   */
  images: ReadonlyMap<string, Descriptor> | Readonly<Record<string, Descriptor>>
  /** `oci-index` (default) or the Docker manifest list fallback. */
  format?: IndexFormat
  /** Undefined → DEFAULT_SHAPE. */
  shape?: OciShape
}

/** A bundle index built by bundleIndex, ready to push. */
export interface BuiltIndex {
  /** The index bytes to push. */
  bytes: Buffer
  /** The index's descriptor: media type by format, digest and size of `bytes`. */
  descriptor: Descriptor
}

/**
 * The bundle index: entries for the config manifest, the invocation image and the components
 * sorted by name, each annotated with its role; index annotations from the bundle's metadata.
 * Compact Go JSON, field order schemaVersion, manifests, annotations; the Docker list variant
 * adds `mediaType` last in the cnab-to-oci shape (its Go wrapper struct embeds the index).
 *
 * Throws InputError when the bundle has not exactly one invocation image (cnab-to-oci readers
 * map only the first), when an image has no descriptor in `images` or one that is not a
 * manifest, or when bundle.json states a contentDigest, size or mediaType that differs from the
 * resolved descriptor: the index would then contradict the config blob it ships with.
 */
export function bundleIndex(bundle: unknown, options: BundleIndexOptions): BuiltIndex {
  const doc = bundleObject(bundle)
  const shape = options.shape ?? DEFAULT_SHAPE
  const format = options.format ?? 'oci-index'
  if (!isImageManifest(options.config.mediaType)) {
    throw new InputError(`the config manifest must be an OCI or Docker image manifest, not "${options.config.mediaType}"`)
  }
  checkBlobDescriptor(options.config)
  const invocation = invocationImages(doc)
  if (invocation.length !== 1) {
    throw new InputError(
      `/invocationImages: the OCI bundle layout holds exactly one invocation image, and this bundle has ${invocation.length}`,
    )
  }
  const lookup = (image: BundleImage): Descriptor => resolvedDescriptor(image, options.images)
  const manifests: GoValue[] = [
    indexEntry(options.config, { [MANIFEST_TYPE_ANNOTATION]: DescriptorType.Config }),
    indexEntry(lookup(invocation[0]!), { [MANIFEST_TYPE_ANNOTATION]: DescriptorType.Invocation }),
    ...componentImages(doc).map((c) =>
      indexEntry(lookup(c), { [MANIFEST_TYPE_ANNOTATION]: DescriptorType.Component, [COMPONENT_NAME_ANNOTATION]: c.name! }),
    ),
  ]
  const annotations = indexAnnotations(doc)
  const mediaType = format === 'oci-index' ? MediaTypes.OciIndex : MediaTypes.DockerManifestList
  let body: GoStruct
  if (shape === 'portable') body = { schemaVersion: 2, mediaType, manifests, annotations }
  else if (format === 'oci-index') body = { schemaVersion: 2, manifests, annotations }
  else body = { schemaVersion: 2, manifests, annotations, mediaType }
  const bytes = goMarshal(body)
  return { bytes, descriptor: { mediaType, digest: digestOf(bytes), size: bytes.length } }
}

/** Field order of image-spec's Go Descriptor: mediaType, digest, size, annotations. */
function ociDescriptor(d: Descriptor): GoStruct {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size }
}

function indexEntry(d: Descriptor, annotations: Record<string, string>): GoStruct {
  return { ...ociDescriptor(d), annotations: new GoMap(annotations) }
}

function checkBlobDescriptor(d: Pick<Descriptor, 'digest' | 'size'>): void {
  if (!isDigest(d.digest)) throw new InputError(`"${String(d.digest)}" is not a valid digest`)
  if (!Number.isSafeInteger(d.size) || d.size < 0) throw new InputError(`${String(d.size)} is not a valid size`)
}

/** The descriptor given for an image, checked against what bundle.json says about it. */
function resolvedDescriptor(image: BundleImage, images: BundleIndexOptions['images']): Descriptor {
  const d =
    images instanceof Map
      ? images.get(image.image)
      : Object.hasOwn(images, image.image)
        ? (images as Record<string, Descriptor>)[image.image]
        : undefined
  const what = `image "${image.image}" (${image.pointer})`
  if (d === undefined)
    throw new InputError(`${what} has no resolved descriptor; resolve every image of the bundle before building its index`)
  if (!isManifest(d.mediaType)) throw new InputError(`${what} resolved to "${d.mediaType}", which is not an image manifest or index`)
  checkBlobDescriptor(d)
  if (d.size === 0) throw new InputError(`${what} resolved to an empty manifest (size 0)`)
  const disagree = (fieldName: string, stated: string | number | undefined, actual: string | number): void => {
    if (stated !== undefined && stated !== actual) {
      throw new InputError(`${what}: bundle.json says ${fieldName} ${String(stated)} but the image resolved to ${String(actual)}`, {
        suggestions: ['update the bundle with the resolved values, or point the reference at the image the bundle was built for'],
      })
    }
  }
  disagree('contentDigest', image.contentDigest, d.digest)
  disagree('size', image.size, d.size)
  disagree('mediaType', image.mediaType, d.mediaType)
  return d
}

/**
 * cnab-to-oci's index annotations. Missing name, version, description or schemaVersion are
 * written as "" (Go reads absent strings as ""); keywords and authors only when the bundle has
 * the field, even as an empty array (Go tells a nil slice from an empty one).
 */
function indexAnnotations(bundle: JsonObject): GoMap {
  const annotations: Record<string, string> = {
    [RUNTIME_VERSION_ANNOTATION]: stringMember(bundle, 'schemaVersion', ''),
    [Annotations.Title]: stringMember(bundle, 'name', ''),
    [Annotations.Version]: stringMember(bundle, 'version', ''),
    [Annotations.Description]: stringMember(bundle, 'description', ''),
    [ARTIFACT_TYPE_ANNOTATION]: CNAB_ARTIFACT_TYPE,
  }
  const maintainers = arrayMember(bundle, 'maintainers')
  if (maintainers !== undefined) {
    annotations[Annotations.Authors] = goMarshal(
      maintainers.map((m, i): GoStruct => {
        const p = `/maintainers/${i}`
        if (!isRecord(m)) throw new InputError(`${p}: a maintainer must be an object`)
        // cnab-go's Maintainer: name always, email and url with omitempty.
        return {
          name: stringMember(m, 'name', '', p),
          email: stringMember(m, 'email', '', p) || undefined,
          url: stringMember(m, 'url', '', p) || undefined,
        }
      }),
    ).toString('utf8')
  }
  const keywords = arrayMember(bundle, 'keywords')
  if (keywords !== undefined) {
    annotations[KEYWORDS_ANNOTATION] = goMarshal(
      keywords.map((k, i) => {
        if (typeof k !== 'string') throw new InputError(`/keywords/${i}: a keyword must be a string`)
        return k
      }),
    ).toString('utf8')
  }
  return new GoMap(annotations)
}

function stringMember(obj: JsonObject, key: string, fallback: string, pointer = ''): string {
  const v = field(obj, key)
  if (v === undefined || v === null) return fallback
  if (typeof v !== 'string') throw new InputError(`${pointer}/${key}: must be a string`)
  return v
}

/** An array member; undefined when absent or null (a nil slice in Go). */
function arrayMember(obj: JsonObject, key: string): unknown[] | undefined {
  const v = field(obj, key)
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v)) throw new InputError(`/${key}: must be an array`)
  return v
}
