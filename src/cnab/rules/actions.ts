/** Rules about custom actions and the `applyTo` lists that refer to actions (checklist rules 14 and 16). */
import { pointerOf, quoted, type Issue } from '../issue.js'
import { entriesOf, field, isRecord, itemsOf } from '../json-shape.js'

/** The actions every runtime implements; a bundle may not redefine them. */
const BUILT_IN_ACTIONS: readonly string[] = ['install', 'upgrade', 'uninstall']

/** Rule 14: `actions` must not declare install, upgrade or uninstall, which have fixed meanings. */
export function builtInActionName(bundle: unknown): Issue[] {
  return entriesOf(field(bundle, 'actions'))
    .filter(([name]) => BUILT_IN_ACTIONS.includes(name))
    .map(([name]) => ({
      pointer: pointerOf('actions', name),
      rule: 'built-in-action-name',
      severity: 'error' as const,
      message: `${quoted(name)} is a built-in action and cannot be declared as a custom action`,
    }))
}

/**
 * Rule 16: `applyTo` entries of parameters, credentials and outputs name a built-in or declared
 * action; anything else is most likely a typo that makes the item never apply.
 */
export function applyToAction(bundle: unknown): Issue[] {
  const actions = field(bundle, 'actions')
  const known = (name: string): boolean => BUILT_IN_ACTIONS.includes(name) || (isRecord(actions) && Object.hasOwn(actions, name))
  const issues: Issue[] = []
  for (const section of ['parameters', 'credentials', 'outputs'] as const) {
    for (const [name, item] of entriesOf(field(bundle, section))) {
      itemsOf(field(item, 'applyTo')).forEach((action, i) => {
        if (typeof action !== 'string' || known(action)) return
        issues.push({
          pointer: pointerOf(section, name, 'applyTo', i),
          rule: 'apply-to-action',
          severity: 'warning',
          message: `applyTo names ${quoted(action)}, which is neither a built-in action (${BUILT_IN_ACTIONS.join(', ')}) nor declared in actions`,
        })
      })
    }
  }
  return issues
}
