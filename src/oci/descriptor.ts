/**
 * OCI content descriptors: the identity of every node in a content graph.
 * Reference: https://github.com/opencontainers/image-spec/blob/v1.1.1/descriptor.md
 */
import { digestOf, isDigest, parseDigest, verifyBytes, type Digest } from './digest.js'
import { isValidMediaType } from './media-types.js'

export interface Platform {
  architecture: string
  os: string
  'os.version'?: string
  'os.features'?: string[]
  variant?: string
  features?: string[]
}

export interface Descriptor {
  mediaType: string
  digest: Digest
  size: number
  urls?: string[]
  annotations?: Record<string, string>
  /** Embedded content (base64); must match digest and size when present. */
  data?: string
  artifactType?: string
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

export function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value as Record<string, unknown>).every((v) => typeof v === 'string')
  )
}
