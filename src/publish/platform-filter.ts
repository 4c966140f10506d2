/**
 * Narrowing a multi-platform image to the platforms a bundle is published for (cnab-to-oci's
 * `--invocation-platforms`/`--component-platforms`, applied in its fixup,
 * https://github.com/cnabio/cnab-to-oci/blob/v0.6.1/remotes/fixup.go). The result is the
 * smallest thing that holds exactly the matching platforms: the one matching manifest itself
 * (as `oras cp --platform` and `crane copy --platform` copy it), the original index when every
 * entry matches (so its digest stays), or otherwise a reduced index listing only the matching
 * entries. The digest a bundle records is the one of that result, not of the original index:
 * cnab-to-oci records the unfiltered digest, which then names an index never copied.
 */
import type { Fetcher, OpOptions } from '../content/storage.js'
import { fetchAll } from '../content/verify.js'
import { NotFoundError } from '../errors.js'
import { descriptorFromBytes, plainDescriptor, type Descriptor, type Platform } from '../oci/descriptor.js'
import { parseManifest } from '../oci/manifest.js'
import { isIndex } from '../oci/media-types.js'
import { formatPlatform, platformMatches } from '../oci/platform.js'

/** What filterPlatforms made of an image: what to record in the bundle, and what to copy for it. */
export interface FilteredImage {
  /** The manifest or index the bundle records for the image. */
  descriptor: Descriptor
  /** The graphs to copy from the source (the matching entries of a reduced index, else `descriptor`). */
  copyRoots: Descriptor[]
  /** A reduced index: bytes that exist nowhere yet and must be pushed after `copyRoots`. */
  created?: { descriptor: Descriptor; bytes: Buffer }
}

/**
 * Filters `root` (read from `src`) to `platforms`. Image manifests are returned unchanged, as
 * cnab-to-oci does: the filter chooses among the entries of an index, it does not check
 * single-platform images. Index entries without a platform never match. The reduced index keeps
 * every field of the original and the order of its entries, compact JSON; the same input thus
 * always gives the same digest. Throws NotFoundError listing the available platforms when no
 * entry matches, and what fetchAll and parseManifest throw.
 */
export async function filterPlatforms(
  src: Fetcher,
  root: Descriptor,
  platforms: readonly Platform[],
  o: OpOptions = {},
): Promise<FilteredImage> {
  const unchanged: FilteredImage = { descriptor: root, copyRoots: [root] }
  if (platforms.length === 0 || !isIndex(root.mediaType)) return unchanged
  const raw = await fetchAll(src, root, o)
  const parsed = parseManifest(raw, root.mediaType)
  if (parsed.kind !== 'index') return unchanged
  const wanted = (d: Descriptor): boolean => platforms.some((p) => platformMatches(d.platform, p))
  const entries = parsed.index.manifests
  const kept = entries.filter(wanted)
  if (kept.length === 0) {
    const available = entries.map((d) => (d.platform ? formatPlatform(d.platform) : 'unknown')).join(', ') || 'none'
    throw new NotFoundError(
      `no entry of index ${root.digest} matches ${platforms.map(formatPlatform).join(' or ')}; it has: ${available}`,
      {
        suggestions: ['publish for one of the listed platforms, or without a platform filter'],
      },
    )
  }
  if (kept.length === entries.length) return unchanged
  if (kept.length === 1) return { descriptor: plainDescriptor(kept[0]!), copyRoots: [kept[0]!] }
  // Edit the document as parsed JSON, not through the typed model, so unknown fields survive.
  const doc = JSON.parse(raw.toString('utf8')) as { manifests: Descriptor[] }
  doc.manifests = doc.manifests.filter(wanted)
  const bytes = Buffer.from(JSON.stringify(doc))
  const descriptor = descriptorFromBytes(root.mediaType, bytes)
  return { descriptor, copyRoots: kept, created: { descriptor, bytes } }
}
