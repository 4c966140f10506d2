/**
 * Every check the validator runs, with its stable id and severities, in one table. The semantic
 * rules carry their function; the checks done while loading and by the JSON Schema pass are listed
 * too, so listRules() documents every rule id an Issue can have.
 */
import type { Issue, Severity } from '../issue.js'
import { applyToAction, builtInActionName } from './actions.js'
import { canonicalJson } from './canonical-form.js'
import { definitionDefault, definitionExists, definitionSchema } from './definitions.js'
import { destinationConflict, destinationPresent, inputPath, outputPath } from './destinations.js'
import { dottedNames, extensionSchema, requiredExtensions } from './extensions.js'
import { componentImageDigestReference, imageContentDigest, imageDescriptorFields, imageTypeKnown, invocationImageCount } from './images.js'
import { nameGraphicChars } from './name.js'
import type { Rule, RuleContext } from './rule.js'
import { bundleVersionSemver, cnabVersionSemver } from './versions.js'

/** A validation check as listRules describes it: its id, stage, checklist number and severities per mode. */
export interface RuleInfo {
  /** The `rule` of the issues this check reports. */
  id: string
  /** Where the check runs: reading the bytes, the JSON Schema pass, or the semantic rules. */
  stage: 'load' | 'schema' | 'semantic'
  /** Number in the validation checklist (the checklist column of docs/validation-rules.md), for semantic rules. */
  checklist?: number
  /** Severities the check can report in lint mode; empty when it stays silent there. */
  lint: readonly Severity[]
  /** Severities the check can report in publish mode. */
  publish: readonly Severity[]
  /** One line for docs. */
  description: string
}

interface SemanticRule extends RuleInfo {
  stage: 'semantic'
  checklist: number
  run: Rule
}

const E: readonly Severity[] = ['error']
const W: readonly Severity[] = ['warning']
const EW: readonly Severity[] = ['error', 'warning']

const LOAD_AND_SCHEMA_CHECKS: readonly RuleInfo[] = [
  {
    id: 'json-invalid-utf8',
    stage: 'load',
    lint: E,
    publish: E,
    description: 'The file is not valid UTF-8 (for example UTF-16 or Latin-1).',
  },
  {
    id: 'json-bom',
    stage: 'load',
    lint: E,
    publish: E,
    description: 'The file starts with a UTF-8 byte-order mark, which JSON text must not have.',
  },
  { id: 'json-syntax', stage: 'load', lint: E, publish: E, description: 'The text is not JSON; the message gives line and column.' },
  {
    id: 'json-duplicate-key',
    stage: 'load',
    lint: E,
    publish: E,
    description: 'An object has the same key twice, so parsers disagree on its value.',
  },
  { id: 'json-not-object', stage: 'load', lint: E, publish: E, description: 'The document is not a JSON object.' },
  { id: 'json-nesting-depth', stage: 'load', lint: E, publish: E, description: 'Arrays and objects nest deeper than 128 levels.' },
  { id: 'json-key-length', stage: 'load', lint: E, publish: E, description: 'An object key is longer than 65536 characters.' },
  { id: 'schema', stage: 'schema', lint: E, publish: E, description: 'The bundle breaks bundle.schema.json (CNAB Core 1.2, draft-07).' },
]

const SEMANTIC_RULES: readonly SemanticRule[] = [
  {
    id: 'cnab-version-semver',
    stage: 'semantic',
    checklist: 1,
    lint: EW,
    publish: EW,
    run: cnabVersionSemver,
    description: 'schemaVersion is a semantic version (optional "v"); a warning outside CNAB Core 1.0–1.2.',
  },
  {
    id: 'bundle-version-semver',
    stage: 'semantic',
    checklist: 2,
    lint: EW,
    publish: EW,
    run: bundleVersionSemver,
    description: 'version is a complete SemVer 2.0.0 version: "latest" is an error, a leading "v" (v1.0.0) a warning.',
  },
  {
    id: 'name-graphic-chars',
    stage: 'semantic',
    checklist: 3,
    lint: E,
    publish: E,
    run: nameGraphicChars,
    description: 'name is not empty and holds only Unicode graphic characters (no tabs, newlines or controls).',
  },
  {
    id: 'invocation-image-count',
    stage: 'semantic',
    checklist: 4,
    lint: EW,
    publish: E,
    run: invocationImageCount,
    description: 'At least one invocation image; more than one cannot be published in the cnab-to-oci layout.',
  },
  {
    id: 'image-type-known',
    stage: 'semantic',
    checklist: 5,
    lint: W,
    publish: E,
    run: imageTypeKnown,
    description: 'imageType is "docker" or "oci" (missing means "oci").',
  },
  {
    id: 'image-content-digest',
    stage: 'semantic',
    checklist: 6,
    lint: W,
    publish: E,
    run: imageContentDigest,
    description: 'docker/oci images have contentDigest "sha256:<64 hex>"; missing only matters when publishing.',
  },
  {
    id: 'image-descriptor-fields',
    stage: 'semantic',
    checklist: 7,
    lint: W,
    publish: E,
    run: imageDescriptorFields,
    description: 'Images have a positive size and, if given, a manifest or index mediaType; missing size only matters when publishing.',
  },
  {
    id: 'definition-exists',
    stage: 'semantic',
    checklist: 8,
    lint: E,
    publish: E,
    run: definitionExists,
    description: 'Every parameter and output definition names an entry of definitions.',
  },
  {
    id: 'definition-schema',
    stage: 'semantic',
    checklist: 9,
    lint: E,
    publish: E,
    run: definitionSchema,
    description: 'Each definition compiles as a JSON Schema on its own (catches bad pattern regexes and $refs).',
  },
  {
    id: 'definition-default',
    stage: 'semantic',
    checklist: 9,
    lint: W,
    publish: W,
    run: definitionDefault,
    description: "A definition's default is valid against it (the spec RECOMMENDS it; runtimes reject invalid values).",
  },
  {
    id: 'destination-present',
    stage: 'semantic',
    checklist: 10,
    lint: E,
    publish: E,
    run: destinationPresent,
    description: 'Parameter destinations and credentials have env or path.',
  },
  {
    id: 'input-path',
    stage: 'semantic',
    checklist: 11,
    lint: E,
    publish: E,
    run: inputPath,
    description: 'Parameter and credential paths are absolute, clean and not under /cnab/app/outputs.',
  },
  {
    id: 'output-path',
    stage: 'semantic',
    checklist: 12,
    lint: E,
    publish: E,
    run: outputPath,
    description: 'Output paths are clean, strictly inside /cnab/app/outputs/ and unique.',
  },
  {
    id: 'destination-conflict',
    stage: 'semantic',
    checklist: 13,
    lint: EW,
    publish: EW,
    run: destinationConflict,
    description: 'A parameter and a credential share an env or path (warning); an env name starts with CNAB_ (error).',
  },
  {
    id: 'built-in-action-name',
    stage: 'semantic',
    checklist: 14,
    lint: E,
    publish: E,
    run: builtInActionName,
    description: 'actions does not declare install, upgrade or uninstall.',
  },
  {
    id: 'required-extensions',
    stage: 'semantic',
    checklist: 15,
    lint: E,
    publish: E,
    run: requiredExtensions,
    description: 'requiredExtensions entries are strings, unique, and keys of custom.',
  },
  {
    id: 'apply-to-action',
    stage: 'semantic',
    checklist: 16,
    lint: W,
    publish: W,
    run: applyToAction,
    description: 'applyTo entries name a built-in or declared action.',
  },
  {
    id: 'extension-schema',
    stage: 'semantic',
    checklist: 17,
    lint: W,
    publish: W,
    run: extensionSchema,
    description: 'custom io.cnab.dependencies and io.cnab.parameter-sources match their schemas.',
  },
  {
    id: 'canonical-json',
    stage: 'semantic',
    checklist: 18,
    lint: W,
    publish: E,
    run: canonicalJson,
    description: 'The bytes are canonical JSON (RFC 8785); run `ocibundle fmt` to fix.',
  },
  {
    id: 'image-digest-reference',
    stage: 'semantic',
    checklist: 19,
    lint: W,
    publish: W,
    run: componentImageDigestReference,
    description: 'Component images are referenced by digest (name@sha256:...).',
  },
  {
    id: 'dotted-name',
    stage: 'semantic',
    checklist: 20,
    lint: W,
    publish: W,
    run: dottedNames,
    description: 'Custom action names and custom extension keys are dotted names.',
  },
]

/** Every rule id with its stage, checklist number, severities per mode and description, in pipeline order. */
export function listRules(): RuleInfo[] {
  return [...LOAD_AND_SCHEMA_CHECKS, ...SEMANTIC_RULES].map(({ id, stage, checklist, lint, publish, description }) =>
    checklist === undefined ? { id, stage, lint, publish, description } : { id, stage, checklist, lint, publish, description },
  )
}

/** The semantic rule functions by id, for callers that run or test one rule on its own. */
export function semanticRules(): ReadonlyArray<{ id: string; run: Rule }> {
  return SEMANTIC_RULES.map(({ id, run }) => ({ id, run }))
}

/** Runs every semantic rule (checklist 1–20) on a parsed bundle. */
export function runSemanticRules(bundle: unknown, ctx: RuleContext): Issue[] {
  return SEMANTIC_RULES.flatMap((rule) => rule.run(bundle, ctx))
}
