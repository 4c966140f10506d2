/**
 * The one result type of every check in src/cnab: a finding about a place in the bundle.
 * Every check reports Issues instead of throwing, so one run can show the user everything that is wrong.
 */
import { pointerToken } from '../util/strict-json.js'

/** `error` makes a bundle invalid; `warning` is advice (an RFC 2119 SHOULD, or a problem that only matters later). */
export type Severity = 'error' | 'warning'

/**
 * `lint` checks a bundle as written; `publish` also requires what pushing it to an OCI registry
 * needs (contentDigest, size, mediaType, exactly one invocation image, canonical bytes).
 */
export type ValidationMode = 'lint' | 'publish'

/** One finding of a check: where in the bundle, which check, how bad, and what. */
export interface Issue {
  /** RFC 6901 JSON pointer to the value the issue is about; '' is the whole document. */
  pointer: string
  /** Stable kebab-case id of the check (see listRules()); safe to match on in scripts. */
  rule: string
  /** Whether the finding makes the bundle invalid. */
  severity: Severity
  /** One sentence for people; not stable, do not parse it. */
  message: string
}

/** How much of a value a message quotes: values (and keys) of any size are cut to this prefix. */
export const QUOTE_LIMIT = 64

/**
 * A value as a message quotes it: `"value"`, or for a long one its first QUOTE_LIMIT characters
 * and its length (`"aaaa…" (8388608 characters)`), so a multi-megabyte value never floods the output.
 */
export function quoted(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value)
  if (text.length <= QUOTE_LIMIT) return `"${text}"`
  return `"${text.slice(0, QUOTE_LIMIT)}…" (${text.length} characters)`
}

/** Text of any origin cut to `limit` characters, marked with `…` when cut. */
export function clipped(text: string, limit = 200): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}…`
}

/** Builds a JSON pointer from unescaped reference tokens: `pointerOf('images', 'a/b')` is `/images/a~1b`. */
export function pointerOf(...tokens: ReadonlyArray<string | number>): string {
  return tokens.map((t) => `/${pointerToken(t)}`).join('')
}

/** Splits a JSON pointer into its unescaped reference tokens. */
export function pointerTokens(pointer: string): string[] {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/**
 * Orders issues by pointer (token by token, array indexes numerically so /x/2 comes before /x/10),
 * then by rule id. Returns a new array; the sort is stable for equal keys.
 */
export function sortIssues(issues: readonly Issue[]): Issue[] {
  // Each pointer is split once, not once per comparison: pointers may hold multi-megabyte keys.
  const keyed = issues.map((issue) => ({ issue, tokens: pointerTokens(issue.pointer) }))
  keyed.sort((a, b) => compareTokens(a.tokens, b.tokens) || compareStrings(a.issue.rule, b.issue.rule))
  return keyed.map((k) => k.issue)
}

function compareTokens(ta: readonly string[], tb: readonly string[]): number {
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i]!
    const y = tb[i]!
    if (x === y) continue
    if (/^\d+$/.test(x) && /^\d+$/.test(y)) return Number(x) - Number(y)
    return compareStrings(x, y)
  }
  return ta.length - tb.length
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
