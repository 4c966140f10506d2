/**
 * Publishing bundles to OCI registries and layouts, and reading them back: fixup (images into
 * the bundle's repository), publish (config blob, config manifest, index, with classified
 * fallbacks or a representation planned from a saved registry report: PublishSession), pull
 * (verified, for installers) and copy between places (bytes kept). No CLI code lives here.
 */
export { chainImageSources, layoutImageSource, registryImageSource, type ImageLocation, type ImageSource } from './image-source.js'
export {
  DEFAULT_IMAGE_CONCURRENCY,
  fixupBundle,
  type FixupChange,
  type FixupDestination,
  type FixupEvent,
  type FixupOptions,
  type FixupResult,
} from './fixup.js'
export { filterPlatforms, type FilteredImage } from './platform-filter.js'
export { publishBundle, type PublishDestination, type PublishOptions, type PublishResult } from './publish.js'
export { PublishSession, type ForcedChoices, type PlanSource, type PublishSessionOptions } from './publish-session.js'
export { DerivedTagReader, derivedTagReader, ManifestRefTarget, type ManifestRefPolicy } from './manifest-refs.js'
export { ConversionError, convertGraph, familyOf, type Conversion, type Family } from './convert-family.js'
export { pullBundle, type PullOptions, type PullResult } from './pull-bundle.js'
export { copyBundle, type CopyBundleDestination, type CopyBundleOptions, type CopyBundleResult } from './relocate.js'
export { checkTag, defaultBundleTag, guardTag } from './bundle-tags.js'
export { formatRepository, mountCandidates, relocationMapFor, repositoryOf, type RepositoryName } from './repository-name.js'
export {
  BundleValidationError,
  FixupError,
  ImageMismatchError,
  ImmutableTagError,
  MultiPlatformImageError,
  NotABundleError,
  PublishError,
  RepositoryMissingError,
  TagExistsError,
  type FieldMismatch,
  type ImageFailure,
  type ImageField,
  type PublishAttempt,
  type PublishStep,
} from './publish-errors.js'
