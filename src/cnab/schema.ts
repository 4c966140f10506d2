/**
 * JSON Schema validation against the CNAB schemas vendored in <package root>/schemas/ (see
 * schemas/PROVENANCE.md). The schemas are compiled ahead of time into src/cnab/compiled-schemas.ts
 * (scripts/gen-schema-validators.js, Ajv's standalone code, with the options of newAjv), so a
 * validation neither loads Ajv's compiler nor compiles anything; Ajv itself is loaded only for
 * what a bundle brings (its own definitions: src/cnab/rules/definitions.ts).
 */
import { createRequire } from 'node:module'
import type { Ajv, ErrorObject, Options, ValidateFunction } from 'ajv'
import * as compiled from './compiled-schemas.js'
import { clipped, QUOTE_LIMIT, quoted, type Issue, type Severity } from './issue.js'
import { jsonTypeOf } from './json-shape.js'

/** The names of the vendored CNAB JSON Schemas (file names without `.schema.json`). */
export const SCHEMA_NAMES = [
  'bundle',
  'claim',
  'claim-result',
  'dependencies',
  'parameter-sources',
  'relocation-mapping',
  'status',
] as const

/** The vendored schema files, by the name of the file without `.schema.json`. */
export type CnabSchemaName = (typeof SCHEMA_NAMES)[number]

/**
 * Location of a vendored schema file. This module sits two directories below the package root both
 * as src/cnab/schema.ts (run by tsx) and as dist/cnab/schema.js (built), so one relative URL serves both.
 */
export function schemaFileUrl(name: CnabSchemaName): URL {
  return new URL(`../../schemas/${name}.schema.json`, import.meta.url)
}

/**
 * Ajv settings shared by every validator in src/cnab. `strict:false` because the CNAB schemas trip
 * strict mode (requiredExtensions uses additionalProperties on an array); `allErrors` so one run
 * reports everything; `verbose` so messages can say what value was found; no logger so the library
 * never prints. Ajv's default class is draft-07, the dialect of every CNAB schema.
 */
export function newAjv(extra: Options = {}): Ajv {
  // Loaded on first use only: most commands never compile a schema (see the module comment).
  const require = createRequire(import.meta.url)
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv')
  const ajvFormats = require('ajv-formats') as { default: (ajv: Ajv) => Ajv }
  const ajv = new AjvClass({ strict: false, allErrors: true, verbose: true, logger: false, ...extra })
  ajvFormats.default(ajv)
  return ajv
}

/** The ahead-of-time compiled validator of a vendored schema. */
function cnabSchemaValidator(name: CnabSchemaName): ValidateFunction {
  const validators: Record<CnabSchemaName, unknown> = {
    bundle: compiled.bundle,
    claim: compiled.claim,
    'claim-result': compiled.claimResult,
    dependencies: compiled.dependencies,
    'parameter-sources': compiled.parameterSources,
    'relocation-mapping': compiled.relocationMapping,
    status: compiled.status,
  }
  return validators[name] as ValidateFunction
}

/** How the issues of a schema validation are labelled. */
export interface SchemaIssueOptions {
  /** Rule id of the issues; default 'schema'. */
  rule?: string
  /** Severity of the issues; default 'error'. */
  severity?: Severity
  /** Pointer of the validated value inside a larger document, prefixed to every issue pointer. */
  pointerPrefix?: string
}

/** Validates a value against a vendored schema and returns one Issue per Ajv error (none when valid). */
export function validateWithSchema(name: CnabSchemaName, value: unknown, options: SchemaIssueOptions = {}): Issue[] {
  const validate = cnabSchemaValidator(name)
  return validate(value) ? [] : ajvErrorsToIssues(validate.errors ?? [], options)
}

/** bundle.json against bundle.schema.json; issues have rule `schema`. */
export function validateBundleSchema(value: unknown): Issue[] {
  return validateWithSchema('bundle', value)
}

/** The value of `custom["io.cnab.dependencies"]` against dependencies.schema.json. */
export function validateDependencies(value: unknown, options?: SchemaIssueOptions): Issue[] {
  return validateWithSchema('dependencies', value, options)
}

/** The value of `custom["io.cnab.parameter-sources"]` against parameter-sources.schema.json. */
export function validateParameterSources(value: unknown, options?: SchemaIssueOptions): Issue[] {
  return validateWithSchema('parameter-sources', value, options)
}

/** A relocation mapping (original image reference to relocated reference). */
export function validateRelocationMapping(value: unknown, options?: SchemaIssueOptions): Issue[] {
  return validateWithSchema('relocation-mapping', value, options)
}

/** A claim; its `bundle` is checked against bundle.schema.json through the claim schema's $ref. */
export function validateClaim(value: unknown, options?: SchemaIssueOptions): Issue[] {
  return validateWithSchema('claim', value, options)
}

/** Maps Ajv errors to Issues with readable messages that name the property, type or allowed values involved. */
export function ajvErrorsToIssues(errors: readonly ErrorObject[], options: SchemaIssueOptions = {}): Issue[] {
  const { rule = 'schema', severity = 'error', pointerPrefix = '' } = options
  return errors.map((e) => ({ pointer: pointerPrefix + e.instancePath, rule, severity, message: describeAjvError(e) }))
}

/** One readable sentence for an Ajv error; falls back to Ajv's own message for rarer keywords. */
function describeAjvError(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'required':
      return `missing required property ${quoted(p.missingProperty)}`
    case 'additionalProperties':
      return `property ${quoted(p.additionalProperty)} is not allowed here`
    case 'type':
      return `must be ${String(p.type)}, found ${jsonTypeOf(e.data)}`
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, found ${short(e.data)}`
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}, found ${short(e.data)}`
    case 'pattern':
      return `must match the pattern ${short(String(p.pattern))}, found ${short(e.data)}`
    case 'format':
      return `must be a valid ${String(p.format)}, found ${short(e.data)}`
    case 'false schema':
      return 'is not allowed here'
    default:
      // Ajv's own messages may quote the schema (a user's pattern, a property name): cut them too.
      return clipped(e.message ?? `fails the "${short(e.keyword)}" check`)
  }
}

/** A value for a message, cut so a large value cannot flood the output. */
function short(value: unknown): string {
  // Only the start is shown: no need to serialise a multi-megabyte string whole.
  if (typeof value === 'string') return quoted(value)
  const text = JSON.stringify(value) ?? String(value)
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text
}
