/**
 * Image manifests and indexes (OCI and Docker schema 2). Parsing keeps the exact bytes: the
 * digest of content is the digest of those bytes, so content we did not create is never
 * re-serialised.
 * References:
 *  - https://github.com/opencontainers/image-spec/blob/v1.1.1/manifest.md
 *  - https://github.com/opencontainers/image-spec/blob/v1.1.1/image-index.md
 */
import { InvalidContentError, SizeLimitError } from '../errors.js'
import { parseJsonWithDuplicates } from '../util/strict-json.js'
import { descriptorProblems, isStringMap, type Descriptor } from './descriptor.js'
import { baseMediaType, isDockerSchema1, isImageManifest, isIndex, isValidMediaType, MediaTypes } from './media-types.js'

/** Registries and clients agree on 4 MiB as the largest manifest worth reading (distribution spec). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024

/** An image manifest (OCI or Docker schema 2): a config and layers, optionally referring to a subject. */
export interface ImageManifest {
  /** Always 2 for the formats supported. */
  schemaVersion: 2
  /** The manifest's own media type; optional in OCI, present in Docker schema 2. */
  mediaType?: string
  /** The kind of artifact, for manifests that are not container images. */
  artifactType?: string
  /** The config blob; for an artifact without one, the empty descriptor (`application/vnd.oci.empty.v1+json`). */
  config: Descriptor
  /** `null` is tolerated on read: cnab-to-oci writes `"layers":null` in bundle config manifests. */
  layers: Descriptor[] | null
  /** The manifest this one refers to (referrers API). */
  subject?: Descriptor
  /** Arbitrary metadata (see Annotations for the keys this package reads and writes). */
  annotations?: Record<string, string>
}

/** An image index (OCI) or manifest list (Docker): a list of manifests, usually one per platform. */
export interface ImageIndex {
  /** Always 2 for the formats supported. */
  schemaVersion: 2
  /** The index's own media type; optional in OCI, present in Docker manifest lists. */
  mediaType?: string
  /** The kind of artifact, for indexes that are not multi-platform images. */
  artifactType?: string
  /** The listed manifests (or indexes), each with its platform when it is an image. */
  manifests: Descriptor[]
  /** The manifest this one refers to (referrers API). */
  subject?: Descriptor
  /** Arbitrary metadata (see Annotations for the keys this package reads and writes). */
  annotations?: Record<string, string>
}

interface ParsedBase {
  /** The exact bytes that were parsed; their digest is the manifest's digest. */
  readonly raw: Uint8Array
  /** Media type from the descriptor or Content-Type, else from the document itself. */
  readonly mediaType: string
  /** Problems that do not stop us reading the content but that a strict tool would report. */
  readonly warnings: readonly string[]
}
/** An image manifest as parseManifest returns it, with the bytes it was parsed from. */
export interface ParsedImageManifest extends ParsedBase {
  /** Tells the two kinds of ParsedManifest apart. */
  readonly kind: 'manifest'
  /** The parsed document, structurally valid. */
  readonly manifest: ImageManifest
}
/** An image index as parseManifest returns it, with the bytes it was parsed from. */
export interface ParsedIndex extends ParsedBase {
  /** Tells the two kinds of ParsedManifest apart. */
  readonly kind: 'index'
  /** The parsed document, structurally valid. */
  readonly index: ImageIndex
}
/** What parseManifest returns: a manifest or an index, told apart by `kind`. */
export type ParsedManifest = ParsedImageManifest | ParsedIndex

/**
 * Parses manifest or index bytes and validates their structure against the image spec.
 * `mediaType` is what the descriptor (or Content-Type) claims; when given it must agree with the
 * document's own `mediaType` field. Throws SizeLimitError above 4 MiB and InvalidContentError
 * listing every structural problem found.
 */
export function parseManifest(raw: Uint8Array, mediaType?: string): ParsedManifest {
  if (raw.length > MAX_MANIFEST_BYTES) throw new SizeLimitError('manifest', MAX_MANIFEST_BYTES)
  let doc: unknown
  let duplicates: { pointer: string; key: string }[]
  try {
    ;({ value: doc, duplicates } = parseJsonWithDuplicates(Buffer.from(raw).toString('utf8')))
  } catch (err) {
    throw new InvalidContentError(`manifest is not JSON: ${(err as Error).message}`)
  }
  if (duplicates.length > 0) {
    throw new InvalidContentError(
      `manifest has duplicate keys (${duplicates.map((d) => d.pointer).join(', ')}); refusing ambiguous content`,
    )
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InvalidContentError('manifest must be a JSON object')
  const m = doc as Record<string, unknown>
  const declared = typeof m.mediaType === 'string' ? m.mediaType : undefined
  const problems: string[] = []
  if (mediaType !== undefined && declared !== undefined && baseMediaType(mediaType) !== baseMediaType(declared)) {
    problems.push(`/mediaType: document says "${declared}" but it was served as "${mediaType}"`)
  }
  const effective = mediaType ?? declared ?? sniffMediaType(m)
  if ((effective !== undefined && isDockerSchema1(effective)) || m.schemaVersion === 1) {
    throw new InvalidContentError('Docker schema 1 manifests are not supported; push the image again with a current client')
  }
  if (effective === undefined) {
    throw new InvalidContentError('manifest has no mediaType and is neither an image manifest (config) nor an index (manifests)')
  }
  if (m.schemaVersion !== 2) problems.push('/schemaVersion: must be 2')
  if (m.mediaType !== undefined && !isValidMediaType(m.mediaType)) problems.push('/mediaType: must be a media type string')
  if (m.artifactType !== undefined && !isValidMediaType(m.artifactType)) problems.push('/artifactType: must be a media type string')
  if (m.annotations !== undefined && !isStringMap(m.annotations)) problems.push('/annotations: must be a map of string to string')
  if (m.subject !== undefined) problems.push(...descriptorProblems(m.subject, '/subject'))
  const warnings: string[] = []

  if (isIndex(effective)) {
    if (!Array.isArray(m.manifests)) problems.push('/manifests: required array')
    else m.manifests.forEach((d, n) => problems.push(...descriptorProblems(d, `/manifests/${n}`)))
    if (m.config !== undefined || m.layers !== undefined) problems.push('/: an index must not have "config" or "layers"')
    fail(problems)
    return { kind: 'index', raw, mediaType: effective, warnings, index: m as unknown as ImageIndex }
  }
  if (isImageManifest(effective)) {
    if (m.config === undefined) problems.push('/config: required descriptor')
    else problems.push(...descriptorProblems(m.config, '/config'))
    if (m.layers === null) warnings.push('/layers: is null; the image spec wants an array (cnab-to-oci writes null)')
    else if (!Array.isArray(m.layers)) problems.push('/layers: required array')
    else {
      m.layers.forEach((d, n) => problems.push(...descriptorProblems(d, `/layers/${n}`)))
      if (m.layers.length === 0) warnings.push('/layers: is empty; the image spec asks for at least one layer for portability')
    }
    if (m.manifests !== undefined) problems.push('/: an image manifest must not have "manifests"')
    const config = m.config as Descriptor | undefined
    if (config?.mediaType === MediaTypes.OciEmpty && m.artifactType === undefined) {
      problems.push('/artifactType: required when config.mediaType is application/vnd.oci.empty.v1+json')
    }
    fail(problems)
    return { kind: 'manifest', raw, mediaType: effective, warnings, manifest: m as unknown as ImageManifest }
  }
  throw new InvalidContentError(`"${effective}" is not a manifest or index media type`)
}

function sniffMediaType(m: Record<string, unknown>): string | undefined {
  if (Array.isArray(m.manifests)) return MediaTypes.OciIndex
  if (m.config !== undefined) return MediaTypes.OciManifest
  return undefined
}

function fail(problems: string[]): void {
  if (problems.length > 0) throw new InvalidContentError(`invalid manifest: ${problems.join('; ')}`)
}

/**
 * The children of a node in the content graph: config, layers and subject of an image
 * manifest; manifests and subject of an index. Blobs have none. Foreign layers are included;
 * callers that copy decide whether to skip them.
 */
export function successors(parsed: ParsedManifest): Descriptor[] {
  const out: Descriptor[] = []
  if (parsed.kind === 'index') {
    out.push(...parsed.index.manifests)
    if (parsed.index.subject) out.push(parsed.index.subject)
  } else {
    out.push(parsed.manifest.config, ...(parsed.manifest.layers ?? []))
    if (parsed.manifest.subject) out.push(parsed.manifest.subject)
  }
  return out
}
