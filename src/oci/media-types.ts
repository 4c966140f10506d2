/**
 * Media types of the OCI image spec v1.1 and Docker image manifest v2 schema 2, with predicates.
 * References:
 *  - https://github.com/opencontainers/image-spec/blob/v1.1.1/media-types.md
 *  - https://distribution.github.io/distribution/spec/manifest-v2-2/
 */

/** The media types this package writes or recognises, by name. */
export const MediaTypes = {
  // OCI
  OciDescriptor: 'application/vnd.oci.descriptor.v1+json',
  OciLayoutHeader: 'application/vnd.oci.layout.header.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OciLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OciLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OciLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
  /** What a blob is when nothing says more (oras uses it for blobs resolved by digest). */
  OctetStream: 'application/octet-stream',
  // Docker schema 2
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  DockerPluginConfig: 'application/vnd.docker.plugin.v1+json',
  // Docker schema 1 (legacy; recognised so we can refuse it clearly)
  DockerManifestV1: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerManifestV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const

/** Any one of the media types in MediaTypes. */
export type KnownMediaType = (typeof MediaTypes)[keyof typeof MediaTypes]

const INDEX_TYPES: ReadonlySet<string> = new Set([MediaTypes.OciIndex, MediaTypes.DockerManifestList])
const IMAGE_MANIFEST_TYPES: ReadonlySet<string> = new Set([MediaTypes.OciManifest, MediaTypes.DockerManifest])
const LAYER_TYPES: ReadonlySet<string> = new Set([
  MediaTypes.OciLayer,
  MediaTypes.OciLayerGzip,
  MediaTypes.OciLayerZstd,
  MediaTypes.OciLayerNondistributable,
  MediaTypes.OciLayerNondistributableGzip,
  MediaTypes.OciLayerNondistributableZstd,
  MediaTypes.DockerLayer,
  MediaTypes.DockerLayerGzip,
  MediaTypes.DockerForeignLayer,
])
const FOREIGN_LAYER_TYPES: ReadonlySet<string> = new Set([
  MediaTypes.DockerForeignLayer,
  MediaTypes.OciLayerNondistributable,
  MediaTypes.OciLayerNondistributableGzip,
  MediaTypes.OciLayerNondistributableZstd,
])
const CONFIG_TYPES: ReadonlySet<string> = new Set([MediaTypes.OciConfig, MediaTypes.DockerConfig, MediaTypes.DockerPluginConfig])

/** The four manifest types a registry serves from /manifests/, in the order we send them as Accept. */
export const MANIFEST_ACCEPT: readonly string[] = [
  MediaTypes.OciIndex,
  MediaTypes.OciManifest,
  MediaTypes.DockerManifestList,
  MediaTypes.DockerManifest,
]

/** Strips parameters (`; charset=utf-8`) and case so Content-Type headers compare equal. */
export function baseMediaType(mediaType: string): string {
  const semi = mediaType.indexOf(';')
  return (semi === -1 ? mediaType : mediaType.slice(0, semi)).trim().toLowerCase()
}

/** An image index or Docker manifest list. */
export function isIndex(mediaType: string): boolean {
  return INDEX_TYPES.has(baseMediaType(mediaType))
}

/** An OCI image manifest or Docker schema 2 manifest. */
export function isImageManifest(mediaType: string): boolean {
  return IMAGE_MANIFEST_TYPES.has(baseMediaType(mediaType))
}

/** Anything served from the /manifests/ endpoint rather than /blobs/. */
export function isManifest(mediaType: string): boolean {
  return isIndex(mediaType) || isImageManifest(mediaType)
}

/** An OCI or Docker layer type, compressed or not, foreign and non-distributable ones included. */
export function isLayer(mediaType: string): boolean {
  return LAYER_TYPES.has(baseMediaType(mediaType))
}

/** Layers that may live outside the registry (Windows base layers); copies skip them by default. */
export function isForeignLayer(mediaType: string): boolean {
  return FOREIGN_LAYER_TYPES.has(baseMediaType(mediaType))
}

/** Image config types that runtimes know; artifacts may use any other config type. */
export function isImageConfig(mediaType: string): boolean {
  return CONFIG_TYPES.has(baseMediaType(mediaType))
}

/** A Docker schema 1 manifest, signed or not: recognised only to be refused with a clear message. */
export function isDockerSchema1(mediaType: string): boolean {
  const m = baseMediaType(mediaType)
  return m === MediaTypes.DockerManifestV1 || m === MediaTypes.DockerManifestV1Signed
}

/** RFC 6838 shape: type "/" subtype, restricted-name characters, optional parameters. */
const MEDIA_TYPE_GRAMMAR = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;.*)?$/
/** Whether `value` is a string shaped like a media type (RFC 6838 `type/subtype`, optional parameters). */
export function isValidMediaType(value: unknown): value is string {
  return typeof value === 'string' && MEDIA_TYPE_GRAMMAR.test(value)
}
