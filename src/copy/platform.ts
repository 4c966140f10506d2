/**
 * Choosing one platform's image from a multi-platform index before a copy, the way
 * `oras cp --platform`, `crane copy --platform` and `regctl image copy --platform` do: the
 * copied root becomes the matching image manifest itself, not a new index.
 * Reference: https://github.com/opencontainers/image-spec/blob/v1.1.1/image-index.md
 */
import type { Fetcher, OpOptions } from '../content/storage.js'
import { fetchAll } from '../content/verify.js'
import { NotFoundError } from '../errors.js'
import type { Descriptor, Platform } from '../oci/descriptor.js'
import { parseManifest, type ParsedManifest } from '../oci/manifest.js'
import { isImageConfig, isManifest } from '../oci/media-types.js'
import { CopyError } from './copy-error.js'

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

/** `os/architecture[/variant]`, the form `--platform` flags take. */
export function formatPlatform(p: Partial<Platform>): string {
  return [p.os ?? '?', p.architecture ?? '?', ...(p.variant ? [p.variant] : [])].join('/')
}

/**
 * The descriptor to copy for `wanted`: for an index, its first child whose platform matches
 * (order is the index's, as in oras); for an image manifest, the manifest itself after its
 * config confirms the platform. Other content (blobs, artifacts whose config is not an image config)
 * carries no platform and is returned unchanged. Throws NotFoundError listing the available
 * platforms when nothing matches, and CopyError (op 'fetch' or 'parse', origin 'source') when
 * the manifest or config cannot be read.
 */
export async function selectPlatform(src: Fetcher, root: Descriptor, wanted: Platform, o: OpOptions = {}): Promise<Descriptor> {
  if (!isManifest(root.mediaType)) return root
  const parsed = parse(root, await read(src, root, o))
  if (parsed.kind === 'index') {
    const match = parsed.index.manifests.find((d) => platformMatches(d.platform, wanted))
    if (match !== undefined) return match
    const available = parsed.index.manifests.map((d) => (d.platform ? formatPlatform(d.platform) : 'unknown'))
    throw noMatch(root, wanted, available)
  }
  const config = parsed.manifest.config
  if (!isImageConfig(config.mediaType)) return root
  const platform = parseConfigPlatform(await read(src, config, o))
  if (platformMatches(platform, wanted)) return root
  throw noMatch(root, wanted, [formatPlatform(platform)])
}

function parse(desc: Descriptor, raw: Buffer): ParsedManifest {
  try {
    return parseManifest(raw, desc.mediaType)
  } catch (err) {
    throw new CopyError({ op: 'parse', origin: 'source', descriptor: desc, cause: err })
  }
}

async function read(src: Fetcher, desc: Descriptor, o: OpOptions): Promise<Buffer> {
  try {
    return await fetchAll(src, desc, o)
  } catch (err) {
    if (o.signal?.aborted) throw o.signal.reason
    throw new CopyError({ op: 'fetch', origin: 'source', descriptor: desc, cause: err })
  }
}

function parseConfigPlatform(raw: Buffer): Partial<Platform> {
  try {
    const doc = JSON.parse(raw.toString('utf8')) as Record<string, unknown>
    const pick = (k: string): string | undefined => (typeof doc[k] === 'string' ? (doc[k] as string) : undefined)
    return { os: pick('os'), architecture: pick('architecture'), variant: pick('variant'), 'os.version': pick('os.version') }
  } catch {
    return {}
  }
}

function noMatch(root: Descriptor, wanted: Platform, available: string[]): NotFoundError {
  return new NotFoundError(
    `no manifest for platform ${formatPlatform(wanted)} in ${root.digest}; it has: ${available.join(', ') || 'none'}`,
    {
      suggestions: ['choose one of the listed platforms, or copy without a platform filter to copy every platform'],
    },
  )
}
