/** Rule about the bytes of the document (checklist rule 18). */
import { canonicalBytes } from '../canonical.js'
import { InputError, messageOf } from '../../errors.js'
import type { Issue } from '../issue.js'
import { errorWhenPublishing, type RuleContext } from './rule.js'

/**
 * Rule 18: bundle.json is canonical JSON (RFC 8785), because those exact bytes are what gets
 * hashed, signed and pushed. Without input bytes (a parsed value was validated) only checks that a
 * canonical form exists.
 */
export function canonicalJson(bundle: unknown, ctx: RuleContext): Issue[] {
  const severity = errorWhenPublishing(ctx)
  let canonical: Buffer
  try {
    canonical = canonicalBytes(bundle)
  } catch (err) {
    if (!(err instanceof InputError)) throw err
    return [{ pointer: '', rule: 'canonical-json', severity, message: `the bundle has no canonical JSON form: ${messageOf(err)}` }]
  }
  if (ctx.raw === undefined || canonical.equals(ctx.raw)) return []
  return [
    {
      pointer: '',
      rule: 'canonical-json',
      severity,
      message:
        'bundle.json is not canonical JSON (RFC 8785: sorted keys, no whitespace, shortest number form); run `ocibundle fmt` to rewrite it',
    },
  ]
}
