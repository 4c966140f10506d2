/**
 * The library's workflows, one call per CLI command: openTarget, publish, build, pull, inspect,
 * checkRegistry, copyReference and the single reads (resolveReference, fetchManifest,
 * fetchBlob, listTags); and the steps they are made of: fixup (images into the bundle's
 * repository), publishBundle (config blob, config manifest, index, with classified fallbacks or
 * a representation planned from a saved registry report: PublishSession), pullBundle (verified,
 * for installers) and copyBundle (bytes kept); artifacts and referrers (pushArtifact, pullArtifact,
 * attach, listReferrers); air-gap archives (archive, openThickArchive, verify). No CLI code lives here.
 */
export {
  openTarget,
  OperationTargets,
  withTargets,
  type OpenedTarget,
  type OpenTargetOptions,
  type OperationOptions,
} from './open-target.js'
export {
  build,
  publish,
  type BundleBuilt,
  type BundleCopied,
  type PublishCallOptions,
  type PublishOutcome,
  type RepresentationOptions,
  type StaleReferrers,
} from './publish.js'
export {
  DEFAULT_DESTINATION_CONCURRENCY,
  describeOutcome,
  publishToMany,
  type DestinationOutcome,
  type PublishManyOptions,
  type PublishManyResult,
} from './publish-many.js'
export {
  buildOutputReference,
  classifyArgument,
  contentReference,
  destinationReference,
  sourceReference,
  type TargetArgument,
} from './target-argument.js'
export {
  deleteReference,
  tagReference,
  type DeletePlan,
  type DeleteReferenceOptions,
  type DeleteReferenceResult,
  type TagOutcome,
  type TagReferenceOptions,
  type TagReferenceResult,
} from './manage-tags.js'
export { pull, type PullCallOptions, type PullOutcome } from './pull.js'
export { collectGarbage, type CollectGarbageOptions } from './collect-garbage.js'
export { archive, THICK_ARCHIVE, type ArchiveOptions, type ArchiveResult } from './archive-bundle.js'
export { verify, type VerifyOptions, type VerifyProblem, type VerifyResult, type VerifyStatus } from './verify-bundle.js'
export { DEFAULT_MAX_EXPANSION, openThickArchive, type ThickArchive, type ThickArchiveOptions } from './thick-archive.js'
export { inspect, type InspectedImage, type InspectedParameter, type InspectResult } from './inspect.js'
export { checkRegistry, type CheckRegistryOptions, type RegistryCheckResult } from './check-registry.js'
export { copyReference, type CopyReferenceOptions, type CopyReferenceResult } from './copy-reference.js'
export { attach, pushArtifact, type ArtifactPushed, type Attached, type PushArtifactOptions, type PushedLayer } from './push-artifact.js'
export { pullArtifact, type ArtifactPulled, type PullArtifactOptions, type PulledFile } from './pull-artifact.js'
export { listReferrers, MAX_REFERRER_NODES, type ListReferrersCallOptions, type ReferrerNode, type ReferrerTree } from './referrer-tree.js'
export {
  packDirectory,
  parseArtifactFile,
  prepareLayer,
  UNCOMPRESSED_DIGEST_ANNOTATION,
  UNPACK_ANNOTATION,
  type ArtifactFile,
  type PreparedLayer,
} from './artifact-files.js'
export { artifactManifest, UNKNOWN_CONFIG_TYPE, type ArtifactParts, type BuiltArtifact } from './artifact-manifest.js'
export {
  fetchBlob,
  fetchManifest,
  listTags,
  resolveReference,
  type FetchBlobOptions,
  type FetchedManifest,
  type ListTagsOptions,
  type TagList,
} from './read-content.js'
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
export { publishBundle, type PublishDestination, type PublishOptions, type PublishResult } from './publish-bundle.js'
export { PublishSession, type ForcedChoices, type PlanSource, type PublishSessionOptions } from './publish-session.js'
export { DerivedTagReader, derivedTagReader, ManifestRefTarget, type ManifestRefPolicy } from './manifest-refs.js'
export {
  ConversionError,
  convertGraph,
  familyOf,
  type Conversion,
  type ConvertedManifest,
  type ConvertOptions,
  type Family,
} from './convert-family.js'
export { pullBundle, type PullOptions, type PullResult } from './pull-bundle.js'
export {
  acceptedRepresentation,
  refitBundle,
  refitReasons,
  representationOf,
  representationRefusal,
  type Refit,
  type RefitChoices,
  type RefitOptions,
  type RefitReasons,
  type RefitResult,
  type RefitSource,
  type RepresentationRefusal,
} from './refit.js'
export { describeBundleRepresentation, RefitNeededError, type BundleRepresentation } from './refit-errors.js'
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
