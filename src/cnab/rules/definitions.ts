/** Rules about `definitions` and the references to them (checklist rules 8 and 9). */
import type { Ajv, ValidateFunction } from 'ajv'
import { messageOf } from '../../errors.js'
import { pointerOf, type Issue } from '../issue.js'
import { entriesOf, field, isRecord, stringField, type JsonObject } from '../json-shape.js'
import { ajvErrorsToIssues, newAjv } from '../schema.js'

let definitionAjv: Ajv | undefined

/**
 * One Ajv instance for user definitions, created on first use: its first compile also compiles the
 * draft-07 meta-schema (about 7 ms), which should happen once per process, not once per bundle.
 * It registers nothing by $id, so definitions with equal $id values do not clash.
 */
function getDefinitionAjv(): Ajv {
  definitionAjv ??= newAjv({ addUsedSchema: false })
  return definitionAjv
}

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
        message: `${section === 'parameters' ? 'parameter' : 'output'} "${name}" refers to definition "${ref}", which is not in definitions`,
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
        message: `definition "${name}" is not a usable JSON Schema: ${compiled.error}`,
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
    if ('error' in compiled || compiled.validate(definition.default)) return []
    return ajvErrorsToIssues(compiled.validate.errors ?? [], {
      rule: 'definition-default',
      severity: 'warning',
      pointerPrefix: `${pointerOf('definitions', name)}/default`,
    }).map((issue) => ({ ...issue, message: `the default does not match definition "${name}": ${issue.message}` }))
  })
}

function schemaDefinitions(bundle: unknown): Array<[string, JsonObject | boolean]> {
  return entriesOf(field(bundle, 'definitions')).filter(
    (e): e is [string, JsonObject | boolean] => isRecord(e[1]) || typeof e[1] === 'boolean',
  )
}

function compileDefinition(definition: JsonObject | boolean): { validate: ValidateFunction } | { error: string } {
  const ajv = getDefinitionAjv()
  try {
    return { validate: ajv.compile(definition) }
  } catch (err) {
    return { error: messageOf(err) }
  } finally {
    // Ajv caches every compiled schema object; bundles come and go, so drop it to keep memory flat.
    if (typeof definition === 'object') ajv.removeSchema(definition)
  }
}
