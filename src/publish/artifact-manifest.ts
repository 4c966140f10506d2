/**
 * The image manifest of an artifact in each ArtifactForm (src/compat/strategies.ts), with the
 * config blob it needs. The bytes are deterministic: fields in a fixed order, nothing
 * time-dependent unless the caller's annotations say so.
 * Reference: https://github.com/opencontainers/image-spec/blob/v1.1.1/manifest.md#guidelines-for-artifact-usage
 */
import type { ArtifactForm } from '../compat/strategies.js'
import { Annotations } from '../oci/annotations.js'
import { descriptorFromBytes, type Descriptor } from '../oci/descriptor.js'
import { MediaTypes } from '../oci/media-types.js'
import { EMPTY_DESCRIPTOR, EMPTY_JSON } from '../oci/referrers.js'

/** What an artifact manifest is made of. */
export interface ArtifactParts {
  /** The artifact type (`application/vnd.example.sbom.v1+json`). */
  artifactType: string
  /** The layers, in order. No layer → the empty descriptor as the one layer, as image-spec v1.1 advises. */
  layers: readonly Descriptor[]
  /** A config of the caller's; undefined → none (the empty descriptor, or `{}` under the artifact type). */
  config?: { desc: Descriptor; bytes: Buffer }
  /** The manifest this artifact refers to (a signature's image). */
  subject?: Descriptor
  /** Manifest annotations. */
  annotations?: Readonly<Record<string, string>>
}

/** An artifact manifest with its config blob. */
export interface BuiltArtifact {
  /** The manifest bytes. */
  bytes: Buffer
  /** The manifest's descriptor. */
  desc: Descriptor
  /** The config blob to push before the manifest. */
  config: { desc: Descriptor; bytes: Buffer }
}

/** Config media type of a caller's config file given without one (oras's choice too). */
export const UNKNOWN_CONFIG_TYPE = 'application/vnd.unknown.config.v1+json'

/**
 * The manifest of `parts` in `form`. Throws RangeError for `image-config` with a caller's
 * config (its media type would be lost; the tiers leave that form out then).
 */
export function artifactManifest(form: ArtifactForm, parts: ArtifactParts): BuiltArtifact {
  if (form === 'image-config' && parts.config !== undefined)
    throw new RangeError('the image-config form has no room for a config of its own')
  const config =
    parts.config ??
    (form === 'artifact-type'
      ? { desc: EMPTY_DESCRIPTOR, bytes: EMPTY_JSON }
      : { desc: descriptorFromBytes(form === 'image-config' ? MediaTypes.OciConfig : parts.artifactType, EMPTY_JSON), bytes: EMPTY_JSON })
  const annotations = {
    ...parts.annotations,
    ...(form === 'image-config' && { [Annotations.ArtifactType]: parts.artifactType }),
  }
  const doc = {
    schemaVersion: 2,
    mediaType: MediaTypes.OciManifest,
    ...(form === 'artifact-type' && { artifactType: parts.artifactType }),
    config: plain(config.desc),
    layers: parts.layers.length > 0 ? parts.layers : [EMPTY_DESCRIPTOR],
    ...(parts.subject !== undefined && { subject: plain(parts.subject) }),
    ...(Object.keys(annotations).length > 0 && { annotations: sorted(annotations) }),
  }
  const bytes = Buffer.from(JSON.stringify(doc))
  return { bytes, desc: descriptorFromBytes(MediaTypes.OciManifest, bytes), config }
}

function plain(d: Descriptor): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size }
}

/** Keys in code-unit order, so the same annotations give the same bytes whatever order they were given in. */
function sorted(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}
