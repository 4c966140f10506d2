/**
 * The content the probe pushes: tiny images in both media-type families, manifests that differ
 * from a plain image in exactly one way (so a refusal says which feature was refused), indexes
 * over them, and the tiny bundle of the P9 round trip. Layers are random bytes, so nothing a
 * registry already holds can make a push look like it worked.
 */
import { randomBytes } from 'node:crypto'
import { descriptorFromBytes, type Descriptor } from '../../oci/descriptor.js'
import { MediaTypes } from '../../oci/media-types.js'

/** Bytes with the descriptor that names them. */
export interface Content {
  desc: Descriptor
  bytes: Buffer
}

export function content(mediaType: string, bytes: Buffer): Content {
  return { desc: descriptorFromBytes(mediaType, bytes), bytes }
}

/** Random bytes as a blob (octet-stream: the type does not matter to blob endpoints). */
export function randomBlob(size: number): Content {
  return content(MediaTypes.OctetStream, randomBytes(size))
}

/** A one-layer image: config, layer and manifest, all distinct per call. */
export interface TinyImage {
  config: Content
  layer: Content
  manifest: Content
}

/** `family` `oci`: OCI manifest and config types; `docker`: Docker schema 2 ones. */
export function tinyImage(family: 'oci' | 'docker', label: string): TinyImage {
  const oci = family === 'oci'
  const configDoc = {
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [] },
    config: { Labels: { 'io.ocibundle.probe': label } },
  }
  const config = content(oci ? MediaTypes.OciConfig : MediaTypes.DockerConfig, Buffer.from(JSON.stringify(configDoc)))
  const layer = content(oci ? MediaTypes.OciLayerGzip : MediaTypes.DockerLayerGzip, randomBytes(64))
  return { config, layer, manifest: imageManifest(oci ? MediaTypes.OciManifest : MediaTypes.DockerManifest, config.desc, [layer.desc]) }
}

/** An image manifest of `mediaType` (stated in the body) over `config` and `layers`, plus extra top-level fields. */
export function imageManifest(
  mediaType: string,
  config: Descriptor,
  layers: readonly Descriptor[] | null,
  extra: Record<string, unknown> = {},
): Content {
  return content(mediaType, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config, layers, ...extra })))
}

/** An index or manifest list of `mediaType` over `children`. */
export function indexOf(mediaType: string, children: readonly Descriptor[]): Content {
  const manifests = children.map((d) => ({ mediaType: d.mediaType, digest: d.digest, size: d.size }))
  return content(mediaType, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests })))
}

/**
 * The smallest bundle.json the OCI conversion takes: one invocation image, stated with the
 * digest, size and media type it was pushed with (bundleIndex checks they agree).
 */
export function tinyBundle(runId: string, invocation: { image: string; desc: Descriptor }): Record<string, unknown> {
  return {
    schemaVersion: 'v1.0.0',
    name: 'ocibundle-registry-check',
    version: '0.0.1',
    description: `written by ocibundle registry check, run ${runId}`,
    invocationImages: [
      {
        imageType: invocation.desc.mediaType === MediaTypes.DockerManifest ? 'docker' : 'oci',
        image: invocation.image,
        contentDigest: invocation.desc.digest,
        size: invocation.desc.size,
        mediaType: invocation.desc.mediaType,
      },
    ],
  }
}
