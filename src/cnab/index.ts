/**
 * CNAB bundle.json validation: strict loading, the vendored CNAB JSON Schemas, the semantic rules
 * of the validation checklist, and RFC 8785 canonical form. No CLI code lives here.
 */
export type { Issue, Severity, ValidationMode } from './issue.js'
export { pointerOf, pointerTokens, sortIssues } from './issue.js'
export type { LoadedBundle } from './load.js'
export { MAX_BUNDLE_BYTES, MAX_KEY_LENGTH, MAX_NESTING_DEPTH, documentShapeIssues, loadBundleBytes, readBundleFile } from './load.js'
export type { CnabSchemaName, SchemaIssueOptions } from './schema.js'
export {
  ajvErrorsToIssues,
  SCHEMA_NAMES,
  schemaFileUrl,
  validateBundleSchema,
  validateClaim,
  validateDependencies,
  validateParameterSources,
  validateRelocationMapping,
  validateWithSchema,
} from './schema.js'
export { canonicalBytes, isCanonical } from './canonical.js'
export type { Rule, RuleContext } from './rules/rule.js'
export type { RuleInfo } from './rules/registry.js'
export { listRules, runSemanticRules, semanticRules } from './rules/registry.js'
export { applyToAction, builtInActionName } from './rules/actions.js'
export { canonicalJson } from './rules/canonical-form.js'
export { definitionDefault, definitionExists, definitionSchema } from './rules/definitions.js'
export { destinationConflict, destinationPresent, inputPath, outputPath } from './rules/destinations.js'
export { dottedNames, extensionSchema, requiredExtensions } from './rules/extensions.js'
export {
  componentImageDigestReference,
  imageContentDigest,
  imageDescriptorFields,
  imageTypeKnown,
  invocationImageCount,
} from './rules/images.js'
export { nameGraphicChars } from './rules/name.js'
export { bundleVersionSemver, cnabVersionSemver } from './rules/versions.js'
export type { ValidatedFile, ValidateFilesOptions, ValidateFilesResult, ValidateOptions, ValidationResult } from './validate.js'
export { validateBundle, validateBundleFile, validateBundleFiles } from './validate.js'
export * from './oci/index.js'
