/**
 * A bundle's OCI representation (cnab-to-oci's layout, CNAB Registries spec 201): building the
 * config blob, config manifests and bundle index for publishing, and reading them back on pull.
 * See docs/bundle-format.md.
 */
export * from './constants.js'
export type { BundleImage } from './bundle-image-list.js'
export {
  bundleIndex,
  configBlob,
  configManifestVariants,
  DEFAULT_SHAPE,
  type BuiltIndex,
  type BundleIndexOptions,
  type ConfigManifestVariant,
  type ConfigVariantId,
  type IndexFormat,
  type OciShape,
} from './to-oci.js'
export {
  bundleConfigDescriptor,
  checkInvocationDigest,
  InvocationImageMismatchError,
  isBundleConfigManifest,
  parseBundleIndex,
  relocationMapFromIndex,
  type ParsedBundleIndex,
} from './from-oci.js'
