/**
 * Referrers in the data model: the `subject` a manifest names, the descriptor a referrers list
 * holds for it, and the empty descriptor artifacts use as their config.
 * References:
 *  - https://github.com/opencontainers/image-spec/blob/v1.1.1/manifest.md (artifactType, subject,
 *    "Guidance for an Empty Descriptor")
 *  - https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#listing-referrers
 */
import { Annotations } from './annotations.js'
import { descriptorFromBytes, type Descriptor } from './descriptor.js'
import type { ParsedManifest } from './manifest.js'
import { isImageConfig, MediaTypes } from './media-types.js'

/** The content of the empty descriptor: the two bytes `{}`. */
export const EMPTY_JSON: Buffer = Buffer.from('{}')

/**
 * The empty descriptor of image-spec v1.1 (`application/vnd.oci.empty.v1+json`, sha256:44136fa3…,
 * 2 bytes): the config of an artifact that has none.
 */
export const EMPTY_DESCRIPTOR: Descriptor = Object.freeze(descriptorFromBytes(MediaTypes.OciEmpty, EMPTY_JSON))

/** The manifest a parsed manifest or index names as its `subject`; undefined when it names none. */
export function subjectOf(parsed: ParsedManifest): Descriptor | undefined {
  return parsed.kind === 'index' ? parsed.index.subject : parsed.manifest.subject
}

/**
 * The kind of artifact a manifest is: its `artifactType`, else (an image manifest) its config's
 * media type, as the referrers API reports it. Undefined for an index without artifactType.
 */
export function artifactTypeOf(parsed: ParsedManifest): string | undefined {
  const doc = parsed.kind === 'index' ? parsed.index : parsed.manifest
  return doc.artifactType ?? (parsed.kind === 'manifest' ? parsed.manifest.config.mediaType : undefined)
}

/**
 * The artifactType a person would call it: the field, else a config media type that says more
 * than "container image" (the oras 1.0 form puts the artifact type there), else the pre-1.1
 * `org.opencontainers.artifactType` annotation. Undefined for a plain image.
 */
export function declaredArtifactType(parsed: ParsedManifest): string | undefined {
  const doc = parsed.kind === 'index' ? parsed.index : parsed.manifest
  if (doc.artifactType !== undefined) return doc.artifactType
  const config = parsed.kind === 'manifest' ? parsed.manifest.config.mediaType : undefined
  if (config !== undefined && config !== MediaTypes.OciEmpty && !isImageConfig(config)) return config
  return doc.annotations?.[Annotations.ArtifactType]
}

/**
 * The descriptor a referrers list holds for a manifest: its artifactType (else, for an image
 * manifest, its config's media type) and all its annotations, as the spec asks of both the API
 * and the tag schema.
 */
export function referrerDescriptor(desc: Descriptor, parsed: ParsedManifest): Descriptor {
  const doc = parsed.kind === 'index' ? parsed.index : parsed.manifest
  const artifactType = artifactTypeOf(parsed)
  return {
    mediaType: desc.mediaType,
    digest: desc.digest,
    size: desc.size,
    ...(artifactType !== undefined && { artifactType }),
    ...(doc.annotations !== undefined && { annotations: doc.annotations }),
  }
}
