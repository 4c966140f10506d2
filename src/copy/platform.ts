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
import { formatPlatform, platformMatches, platformOfConfig } from '../oci/platform.js'
import { parseManifest, type ParsedManifest } from '../oci/manifest.js'
import { isImageConfig, isManifest } from '../oci/media-types.js'
import { CopyError } from './copy-error.js'

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
  const platform = platformOfConfig(await read(src, config, o))
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

function noMatch(root: Descriptor, wanted: Platform, available: string[]): NotFoundError {
  return new NotFoundError(
    `no manifest for platform ${formatPlatform(wanted)} in ${root.digest}; it has: ${available.join(', ') || 'none'}`,
    {
      suggestions: ['choose one of the listed platforms, or copy without a platform filter to copy every platform'],
    },
  )
}

/**
 * The platforms of an image, `os/arch[/variant]`, for messages and descriptions: the entries of
 * an index (`unknown` for an entry without one), or what the config of an image manifest states
 * (none when it states no os and architecture, or is not an image config). Throws what fetchAll
 * and parseManifest throw.
 */
export async function platformsOf(src: Fetcher, image: Descriptor, o: OpOptions = {}): Promise<string[]> {
  if (!isManifest(image.mediaType)) return []
  const parsed = parseManifest(await fetchAll(src, image, o), image.mediaType)
  if (parsed.kind === 'index') return parsed.index.manifests.map((d) => (d.platform ? formatPlatform(d.platform) : 'unknown'))
  if (!isImageConfig(parsed.manifest.config.mediaType)) return []
  const platform = platformOfConfig(await fetchAll(src, parsed.manifest.config, o))
  return platform.os !== undefined && platform.architecture !== undefined ? [formatPlatform(platform)] : []
}
