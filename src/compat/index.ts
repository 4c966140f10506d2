/**
 * Registry compatibility: what a registry supports (capabilities with evidence, probed by
 * `registry check` and cached per host), the one classifier of refusals, and the fallback tiers
 * a publish goes through or plans from a saved report. See docs/registries.md.
 */
export {
  CAPABILITIES,
  CAPABILITY_CHECKS,
  CapabilityCache,
  formatEvidence,
  parseCapabilityReport,
  referrersModes,
  type AuthInfo,
  type Capability,
  type CapabilityReport,
  type CapabilityResult,
  type Evidence,
  type IndexChoice,
  type ManifestRefChoice,
  type ReferrersModes,
  type Representation,
  type Support,
} from './capabilities.js'
export {
  classifyPushError,
  evidenceOf,
  isFallbackable,
  NoWorkingTierError,
  RepresentationRefusedError,
  type Classification,
  type TierAttempt,
} from './classify.js'
export {
  ARTIFACT_TIERS,
  CONFIG_TIERS,
  describeRepresentation,
  firstWorkingTier,
  INDEX_TIERS,
  MANIFEST_REF_TIERS,
  planFromReport,
  SHAPE_TIERS,
  type ArtifactForm,
  type BlockedPlan,
  type PlanOptions,
  type PublishPlan,
  type Tier,
  type TierContext,
  type TierOutcome,
  type TierSpec,
} from './strategies.js'
export { DEFAULT_REPORT_TTL_MS, loadReport, reportCacheDir, reportCachePath, saveReport, type ReportCacheOptions } from './report-cache.js'
export { probeRegistry, type ProbeOptions } from './probes.js'
