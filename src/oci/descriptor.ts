/**
 * OCI content descriptors: the identity of every node in a content graph.
 * Reference: https://github.com/opencontainers/image-spec/blob/v1.1.1/descriptor.md
 */
import { digestOf, isDigest, parseDigest, verifyBytes, type Digest } from './digest.js'
import { isValidMediaType } from './media-types.js'

/** The platform an image runs on, as an index entry states it (image-spec image-index.md). */
export interface Platform {
  /** CPU architecture in Go's GOARCH terms: `amd64`, `arm64`, … */
  architecture: string
  /** Operating system in Go's GOOS terms: `linux`, `windows`, … */
  os: string
  /** Operating system version, e.g. `10.0.14393.1066` for Windows. */
  'os.version'?: string
  /** Required operating system features, e.g. `win32k`. */
  'os.features'?: string[]
  /** CPU variant, e.g. `v7` or `v8` for arm. */
  variant?: string
  /** Reserved by the image spec. */
  features?: string[]
}

/** Identifies a piece of content: its media type, digest and size, with optional metadata (image-spec descriptor.md). */
export interface Descriptor {
  /** Media type of the content it points at. */
  mediaType: string
  /** Digest of the content's exact bytes. */
  digest: Digest
  /** Size of the content in bytes. */
  size: number
  /** Other places the content can be fetched from (foreign layers). */
  urls?: string[]
  /** Arbitrary metadata. */
  annotations?: Record<string, string>
  /** Embedded content (base64); must match digest and size when present. */
  data?: string
  /** The artifact type of the manifest it points at (referrers lists). */
  artifactType?: string
  /** The platform of the image it points at (index entries). */
  platform?: Platform
}

/** Builds a descriptor for bytes held in memory. */
export function descriptorFromBytes(mediaType: string, data: Uint8Array | string, extra: Partial<Descriptor> = {}): Descriptor {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data
  return { mediaType, digest: digestOf(bytes), size: bytes.length, ...extra }
}

/** A map key for a descriptor's content, used by caches and graph indexes. */
export function descriptorKey(d: Pick<Descriptor, 'digest' | 'size'>): string {
  return `${d.digest}@${d.size}`
}

/** Keeps only the fields that identify content, dropping annotations and platform. */
export function plainDescriptor(d: Descriptor): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size }
}

/**
 * Structural checks of a descriptor object taken from untrusted JSON. Returns one message per
 * problem, each prefixed with the JSON pointer of the offending field.
 */
export function descriptorProblems(value: unknown, pointer: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${pointer}: descriptor must be an object`]
  const d = value as Record<string, unknown>
  const problems: string[] = []
  if (!isValidMediaType(d.mediaType)) problems.push(`${pointer}/mediaType: must be a media type string (type/subtype)`)
  if (typeof d.digest !== 'string') problems.push(`${pointer}/digest: required string`)
  else if (!isDigest(d.digest)) {
    try {
      parseDigest(d.digest)
    } catch (err) {
      problems.push(`${pointer}/digest: ${(err as Error).message}`)
    }
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    problems.push(`${pointer}/size: must be a non-negative integer`)
  }
  if (d.urls !== undefined && (!Array.isArray(d.urls) || d.urls.some((u) => typeof u !== 'string'))) {
    problems.push(`${pointer}/urls: must be an array of strings`)
  }
  if (d.annotations !== undefined && !isStringMap(d.annotations)) {
    problems.push(`${pointer}/annotations: must be a map of string to string`)
  }
  if (d.artifactType !== undefined && !isValidMediaType(d.artifactType)) {
    problems.push(`${pointer}/artifactType: must be a media type string`)
  }
  if (d.platform !== undefined) {
    const p = d.platform as Record<string, unknown>
    if (typeof p !== 'object' || p === null || typeof p.architecture !== 'string' || typeof p.os !== 'string') {
      problems.push(`${pointer}/platform: must be an object with string "architecture" and "os"`)
    }
  }
  if (d.data !== undefined) {
    if (typeof d.data !== 'string') problems.push(`${pointer}/data: must be a base64 string`)
    else if (problems.length === 0) {
      try {
        verifyBytes(Buffer.from(d.data, 'base64'), d.digest as Digest, d.size as number)
      } catch (err) {
        problems.push(`${pointer}/data: embedded data does not match the descriptor: ${(err as Error).message}`)
      }
    }
  }
  return problems
}

/** Whether `value` is a plain object whose values are all strings (annotations, labels). */
export function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value as Record<string, unknown>).every((v) => typeof v === 'string')
  )
}
