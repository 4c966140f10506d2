/**
 * Platforms (`os/architecture[/variant]`): parsed from what users write (`--platform`, the form
 * docker, oras and skopeo take), formatted for messages, matched against index entries and image
 * configs. The one place that knows the syntax.
 * Reference: https://github.com/opencontainers/image-spec/blob/v1.1.1/image-index.md (platform)
 */
import { UsageError } from '../errors.js'
import type { Platform } from './descriptor.js'

/** `os/arch` or `os/arch/variant`, e.g. `linux/amd64`, `linux/arm64/v8`. Throws UsageError otherwise. */
export function parsePlatform(value: string): Platform {
  const [os, architecture, variant, ...rest] = value.split('/')
  if (!os || !architecture || variant === '' || rest.length > 0) {
    throw new UsageError(`invalid platform "${value}": expected os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm64/v8`)
  }
  return { os, architecture, ...(variant !== undefined && { variant }) }
}

/** `os/architecture[/variant]`; a missing os or architecture shows as `?`. */
export function formatPlatform(p: Partial<Platform>): string {
  return [p.os ?? '?', p.architecture ?? '?', ...(p.variant ? [p.variant] : [])].join('/')
}

/**
 * Whether `candidate` satisfies `wanted`: same os and architecture, and the same variant and
 * os.version when `wanted` names them (a missing field in `wanted` matches anything).
 */
export function platformMatches(candidate: Partial<Platform> | undefined, wanted: Platform): boolean {
  if (candidate === undefined) return false
  return (
    candidate.os === wanted.os &&
    candidate.architecture === wanted.architecture &&
    (wanted.variant === undefined || candidate.variant === wanted.variant) &&
    (wanted['os.version'] === undefined || candidate['os.version'] === wanted['os.version'])
  )
}

/**
 * The platform an image config states (its `os`, `architecture`, `variant`, `os.version`
 * fields); fields that are missing or not strings are left out, and bytes that are not a JSON
 * object give `{}`.
 */
export function platformOfConfig(raw: Uint8Array): Partial<Platform> {
  let doc: unknown
  try {
    doc = JSON.parse(Buffer.from(raw).toString('utf8'))
  } catch {
    return {}
  }
  if (typeof doc !== 'object' || doc === null) return {}
  const record = doc as Record<string, unknown>
  const platform: Partial<Platform> = {}
  for (const key of ['os', 'architecture', 'variant', 'os.version'] as const) {
    const value = record[key]
    if (typeof value === 'string') platform[key] = value
  }
  return platform
}
