/**
 * A small JSON writer that produces the bytes Go's encoding/json (Go ≥ 1.22) produces, so our
 * manifests and indexes can hash exactly like cnab-to-oci's. JSON.stringify differs from Go in
 * three ways that change digests: Go escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings
 * (HTML-safe output is on by default in json.Marshal), it writes struct fields in declaration
 * order but map keys sorted by their UTF-8 bytes, and json.MarshalIndent has its own layout.
 * Reference: https://cs.opensource.google/go/go/+/refs/tags/go1.22.0:src/encoding/json/encode.go
 */
import { InputError } from '../../errors.js'

/**
 * A Go map: `encoding/json` writes its keys sorted by UTF-8 bytes, whatever order they were
 * inserted in (plain objects are written in insertion order, like struct fields).
 */
export class GoMap {
  constructor(readonly entries: Readonly<Record<string, GoValue>>) {}
}

/**
 * What goMarshal writes. A plain object stands for a Go struct: its fields are written in
 * insertion order, and a field whose value is `undefined` is left out (Go's `omitempty`).
 * Numbers must be safe integers: every number we write is a size or a schema version.
 */
export type GoValue = string | number | boolean | null | readonly GoValue[] | GoMap | GoStruct
export interface GoStruct {
  readonly [field: string]: GoValue | undefined
}

/** Lowercase, as Go's `hex` table. */
const HEX = '0123456789abcdef'
/** Go's two-character escapes (Go 1.22 added \b and \f; older releases wrote \u0008 and \u000c). */
const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  0x08: '\\b',
  0x09: '\\t',
  0x0a: '\\n',
  0x0c: '\\f',
  0x0d: '\\r',
  0x22: '\\"',
  0x5c: '\\\\',
}
/** Escaped so the JSON can be embedded in HTML or JavaScript source unchanged. */
const HTML_AND_LINE_SEPARATORS: ReadonlySet<number> = new Set([0x3c, 0x3e, 0x26, 0x2028, 0x2029])

/**
 * A JSON string literal exactly as Go's encoder writes it. A lone UTF-16 surrogate cannot come
 * from valid UTF-8 input and has no UTF-8 form; Go's decoder would have turned it into U+FFFD,
 * so it is written as that character.
 */
export function goString(s: string): string {
  let out = '"'
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    const short = SHORT_ESCAPES[cp]
    if (short !== undefined) out += short
    else if (cp < 0x20 || HTML_AND_LINE_SEPARATORS.has(cp)) out += `\\u${unicodeHex(cp)}`
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\ufffd'
    else out += ch
  }
  return `${out}"`
}

function unicodeHex(cp: number): string {
  return [12, 8, 4, 0].map((shift) => HEX[(cp >> shift) & 0xf]).join('')
}

/** Go's string order (sort.Strings, `<` on strings): by UTF-8 bytes, which is code point order, not UTF-16 order. */
export function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/**
 * The bytes of `json.Marshal(value)` (compact), or with `indent` those of
 * `json.MarshalIndent(value, "", indent)`. Throws InputError for a number that is not a safe
 * integer, since Go would write it differently (or could not hold it in an int64).
 */
export function goMarshal(value: GoValue, indent = ''): Buffer {
  return Buffer.from(encode(value, indent, ''), 'utf8')
}

function encode(value: GoValue, indent: string, prefix: string): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return goString(value)
  if (typeof value === 'boolean') return String(value)
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new InputError(`cannot write ${value} as a Go integer`)
    return String(value)
  }
  if (Array.isArray(value))
    return container(
      '[',
      ']',
      (value as readonly GoValue[]).map((v) => (p: string) => encode(v, indent, p)),
      indent,
      prefix,
    )
  const members: Array<[string, GoValue]> =
    value instanceof GoMap
      ? Object.entries(value.entries).sort(([a], [b]) => compareGoStrings(a, b))
      : Object.entries(value as GoStruct).filter((e): e is [string, GoValue] => e[1] !== undefined)
  const separator = indent === '' ? ':' : ': '
  return container(
    '{',
    '}',
    members.map(
      ([k, v]) =>
        (p: string) =>
          `${goString(k)}${separator}${encode(v, indent, p)}`,
    ),
    indent,
    prefix,
  )
}

/** Go's layout of an array or object: `[]` / `{}` when empty, one member per line when indenting. */
function container(open: string, close: string, members: Array<(prefix: string) => string>, indent: string, prefix: string): string {
  if (members.length === 0) return open + close
  if (indent === '') return open + members.map((m) => m('')).join(',') + close
  const inner = prefix + indent
  return `${open}\n${members.map((m) => inner + m(inner)).join(',\n')}\n${prefix}${close}`
}
