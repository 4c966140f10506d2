/**
 * The shape every semantic rule shares. Rules take the bundle as `unknown` because they also run
 * on documents the schema rejected: each must return issues for what it understands and skip
 * what has the wrong shape, never throw.
 */
import type { Issue, Severity, ValidationMode } from '../issue.js'

/** What a rule knows besides the bundle: the mode and, when the bundle came as bytes, those bytes. */
export interface RuleContext {
  /** What the bundle is checked for: as written, or for publishing. */
  mode: ValidationMode
  /** The bytes the bundle was parsed from, when there were any (rule 18 compares them with the canonical form). */
  raw?: Uint8Array
}

/** A semantic rule: returns its findings (possibly none) and never throws, whatever the bundle holds. */
export type Rule = (bundle: unknown, ctx: RuleContext) => Issue[]

/** Severity of a requirement that only becomes binding when the bundle is published. */
export function errorWhenPublishing(ctx: RuleContext): Severity {
  return ctx.mode === 'publish' ? 'error' : 'warning'
}
