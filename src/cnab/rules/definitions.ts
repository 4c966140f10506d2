/** Rules about `definitions` and the references to them (checklist rules 8 and 9). */
import type { Ajv, ValidateFunction } from 'ajv'
import { RE2JS } from 're2js'
import { messageOf } from '../../errors.js'
import { clipped, pointerOf, quoted, type Issue } from '../issue.js'
import { entriesOf, field, isRecord, stringField, type JsonObject } from '../json-shape.js'
import { ajvErrorsToIssues, newAjv } from '../schema.js'

let definitionAjv: Ajv | undefined

/** The longest pattern that is compiled and run; real ones are a few dozen characters. */
const MAX_PATTERN_LENGTH = 4096
/** The longest `$id`, `$ref` or `$schema` taken: URLs longer than this are not addresses anyone uses, and resolving one costs more than linear time. */
const MAX_IDENTIFIER_LENGTH = 2048

/** Patterns of the definition being compiled that the linear engine cannot run (see linearRegExp). */
let unrunnablePatterns: string[] = []

/**
 * The regular-expression engine of user definitions' `pattern` and `patternProperties`: RE2's
 * linear-time matching (re2js), so that a bundle cannot make validation take exponential time
 * with a pattern such as `^(a+)+$` and a default of thirty characters (a backtracking engine
 * needs 2^n steps). Patterns RE2 does not support (lookaround, backreferences) but JavaScript
 * accepts, and patterns longer than MAX_PATTERN_LENGTH, are not run: they match everything and
 * are reported by definitionDefault. A pattern
 * that is not a valid regular expression at all makes the definition unusable, as before.
 */
const linearRegExp = Object.assign(
  (pattern: string, flags: string): { test: (s: string) => boolean } => {
    try {
      // Compiling costs more than linear time in the pattern's length: longer ones are not run.
      if (pattern.length <= MAX_PATTERN_LENGTH) return RE2JS.compile(pattern)
    } catch {
      // Not RE2 syntax: see below.
    }
    // Throws for an invalid pattern: Ajv then reports the definition unusable. (A long one was
    // checked by the bundle schema's `format: regex` already; parsing it twice costs seconds.)
    if (pattern.length <= MAX_PATTERN_LENGTH) new RegExp(pattern, flags)
    unrunnablePatterns.push(pattern)
    return { test: () => true }
  },
  { code: 'ocibundle-re2js' },
)

/**
 * One Ajv instance for user definitions, created on first use. It registers nothing by $id, so
 * definitions with equal $id values do not clash. It does not check definitions against the
 * draft-07 meta-schema: the bundle schema's precompiled validator has done that already, and
 * Ajv's own check would compile the meta-schema first (~30 ms of every start that has definitions).
 */
function getDefinitionAjv(): Ajv {
  definitionAjv ??= newAjv({ addUsedSchema: false, validateSchema: false, code: { regExp: linearRegExp } })
  return definitionAjv
}

/**
 * Keywords Ajv reads as identifiers before it checks the schema: a value of another type makes
 * it throw a TypeError (`id.replace is not a function`) instead of reporting the problem.
 */
const IDENTIFIER_KEYWORDS = ['$id', '$ref', '$schema'] as const

/** Rule 8: every parameter and output names a definition that exists, since that is the only schema its value has. */
export function definitionExists(bundle: unknown): Issue[] {
  const definitions = field(bundle, 'definitions')
  const issues: Issue[] = []
  for (const section of ['parameters', 'outputs'] as const) {
    for (const [name, item] of entriesOf(field(bundle, section))) {
      const ref = stringField(item, 'definition')
      if (ref === undefined || (isRecord(definitions) && Object.hasOwn(definitions, ref))) continue
      issues.push({
        pointer: pointerOf(section, name, 'definition'),
        rule: 'definition-exists',
        severity: 'error',
        message: `${section === 'parameters' ? 'parameter' : 'output'} ${quoted(name)} refers to definition ${quoted(ref)}, which is not in definitions`,
      })
    }
  }
  return issues
}

/** Rule 9, first half: each definition compiles as a JSON Schema on its own. The bundle schema checks
 * definitions against the draft-07 meta-schema, but that does not catch an invalid `pattern` regex
 * or an unresolvable `$ref`; compiling does. */
export function definitionSchema(bundle: unknown): Issue[] {
  return schemaDefinitions(bundle).flatMap(([name, definition]) => {
    const compiled = compileDefinition(definition)
    if (!('error' in compiled)) return []
    return [
      {
        pointer: pointerOf('definitions', name),
        rule: 'definition-schema',
        severity: 'error' as const,
        message: `definition ${quoted(name)} is not a usable JSON Schema: ${clipped(compiled.error)}`,
      },
    ]
  })
}

/**
 * Rule 9, second half: a definition's `default` is valid against it. A warning, because the spec only
 * RECOMMENDS valid defaults and bundles in the wild break it (cnab-to-oci's own test bundle has
 * default "hello" with enum ["value1", true, 1]); a runtime would still reject the injected value.
 */
export function definitionDefault(bundle: unknown): Issue[] {
  return schemaDefinitions(bundle).flatMap(([name, definition]) => {
    if (!isRecord(definition) || !Object.hasOwn(definition, 'default')) return []
    const compiled = compileDefinition(definition)
    if ('error' in compiled) return []
    const unrun: Issue[] = compiled.unrunnable.map((pattern) => ({
      pointer: pointerOf('definitions', name),
      rule: 'definition-default',
      severity: 'warning',
      message: `the default was not checked against the pattern ${quoted(pattern)} of definition ${quoted(name)}: it uses lookaround or backreferences, or is longer than ${MAX_PATTERN_LENGTH} characters, which ocibundle does not evaluate (it matches in linear time only)`,
    }))
    if (compiled.validate(definition.default)) return unrun
    return [
      ...unrun,
      ...ajvErrorsToIssues(compiled.validate.errors ?? [], {
        rule: 'definition-default',
        severity: 'warning',
        pointerPrefix: `${pointerOf('definitions', name)}/default`,
      }).map((issue) => ({ ...issue, message: `the default does not match definition ${quoted(name)}: ${issue.message}` })),
    ]
  })
}

function schemaDefinitions(bundle: unknown): Array<[string, JsonObject | boolean]> {
  return entriesOf(field(bundle, 'definitions')).filter(
    (e): e is [string, JsonObject | boolean] => isRecord(e[1]) || typeof e[1] === 'boolean',
  )
}

type CompiledDefinition = { validate: ValidateFunction; unrunnable: string[] } | { error: string }

/** Compiled definitions, so the two rules that need one compile it once per validation (keyed by the parsed object). */
const compiledDefinitions = new WeakMap<JsonObject, CompiledDefinition>()

function compileDefinition(definition: JsonObject | boolean): CompiledDefinition {
  if (typeof definition === 'boolean') return compileDefinitionOnce(definition)
  let compiled = compiledDefinitions.get(definition)
  if (compiled === undefined) {
    compiled = compileDefinitionOnce(definition)
    compiledDefinitions.set(definition, compiled)
  }
  return compiled
}

function compileDefinitionOnce(definition: JsonObject | boolean): CompiledDefinition {
  const problem = identifierProblem(definition)
  if (problem !== undefined) return { error: problem }
  const ajv = getDefinitionAjv()
  unrunnablePatterns = []
  try {
    return { validate: ajv.compile(definition), unrunnable: unrunnablePatterns }
  } catch (err) {
    return { error: messageOf(err) }
  } finally {
    // Ajv caches every compiled schema object; bundles come and go, so drop it to keep memory flat.
    if (typeof definition === 'object') ajv.removeSchema(definition)
  }
}

/**
 * What is wrong with the `$id`, `$ref` and `$schema` values of a definition before Ajv sees it:
 * a top-level one that is not a string (Ajv would throw), or any one longer than
 * MAX_IDENTIFIER_LENGTH. Walks the definition without recursion.
 */
function identifierProblem(definition: JsonObject | boolean): string | undefined {
  if (typeof definition !== 'object') return undefined
  const wrong = IDENTIFIER_KEYWORDS.find((k) => Object.hasOwn(definition, k) && typeof definition[k] !== 'string')
  if (wrong !== undefined) return `${wrong} must be a string, found ${jsonKind(definition[wrong])}`
  const stack: unknown[] = [definition]
  while (stack.length > 0) {
    const node = stack.pop()
    if (typeof node !== 'object' || node === null) continue
    for (const [key, value] of Object.entries(node)) {
      if ((IDENTIFIER_KEYWORDS as readonly string[]).includes(key) && typeof value === 'string' && value.length > MAX_IDENTIFIER_LENGTH) {
        return `a ${key} is ${value.length} characters long; ocibundle takes at most ${MAX_IDENTIFIER_LENGTH}`
      }
      stack.push(value)
    }
  }
  return undefined
}

function jsonKind(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`
}
