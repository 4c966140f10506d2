/**
 * Rules about `custom` extension data, `requiredExtensions` and dotted names (checklist rules 15,
 * 17 and 20).
 */
import { pointerOf, quoted, type Issue } from '../issue.js'
import { entriesOf, field, isRecord } from '../json-shape.js'
import { validateDependencies, validateParameterSources } from '../schema.js'

/**
 * Rule 15: `requiredExtensions` lists strings, each once, each a key of `custom`. The schema cannot
 * check the item type (it says additionalProperties where it meant items), and a runtime can only
 * honour a required extension whose data is present.
 */
export function requiredExtensions(bundle: unknown): Issue[] {
  const list = field(bundle, 'requiredExtensions')
  if (!Array.isArray(list)) return []
  const custom = field(bundle, 'custom')
  const seen = new Set<string>()
  const issues: Issue[] = []
  list.forEach((name: unknown, i) => {
    const problem = requiredExtensionProblem(name, i, seen, custom)
    if (typeof name === 'string') seen.add(name)
    if (problem !== undefined) {
      issues.push({ pointer: pointerOf('requiredExtensions', i), rule: 'required-extensions', severity: 'error', message: problem })
    }
  })
  return issues
}

function requiredExtensionProblem(name: unknown, index: number, seen: ReadonlySet<string>, custom: unknown): string | undefined {
  if (typeof name !== 'string') return `entry ${index} is not a string`
  if (seen.has(name)) return `${quoted(name)} is listed more than once`
  if (!(isRecord(custom) && Object.hasOwn(custom, name))) return `${quoted(name)} is required but custom has no ${quoted(name)} entry`
  return undefined
}

/** Extensions whose value has a published schema, and the validator for it. */
const EXTENSION_VALIDATORS = [
  { key: 'io.cnab.dependencies', validate: validateDependencies },
  { key: 'io.cnab.parameter-sources', validate: validateParameterSources },
] as const

/**
 * Rule 17: the values of io.cnab.dependencies and io.cnab.parameter-sources match their schemas.
 * Warnings only: the spec's own examples and Porter's real output disagree with these schemas.
 */
export function extensionSchema(bundle: unknown): Issue[] {
  const custom = field(bundle, 'custom')
  const issues: Issue[] = []
  for (const { key, validate } of EXTENSION_VALIDATORS) {
    if (!isRecord(custom) || !Object.hasOwn(custom, key)) continue
    for (const issue of validate(custom[key], { rule: 'extension-schema', severity: 'warning', pointerPrefix: pointerOf('custom', key) })) {
      issues.push({ ...issue, message: `${key} does not match its schema: ${issue.message}` })
    }
  }
  return issues
}

/** A dotted name: at least two parts joined by `.`, each part only Unicode letters and `-` (spec 101 "Dotted Names"). */
const DOTTED_NAME = /^[\p{L}-]+(?:\.[\p{L}-]+)+$/u

/** Rule 20: custom action names and extension keys should be dotted names (reverse DNS style) so they cannot collide. */
export function dottedNames(bundle: unknown): Issue[] {
  const issues: Issue[] = []
  for (const section of ['actions', 'custom'] as const) {
    for (const [name] of entriesOf(field(bundle, section))) {
      if (DOTTED_NAME.test(name)) continue
      issues.push({
        pointer: pointerOf(section, name),
        rule: 'dotted-name',
        severity: 'warning',
        message: `${section === 'actions' ? 'action' : 'extension'} name ${quoted(name)} is not a dotted name such as "com.example.${section === 'actions' ? 'backup' : 'settings'}" (letters and "-" in each part)`,
      })
    }
  }
  return issues
}
