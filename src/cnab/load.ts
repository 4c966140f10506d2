/**
 * Reading bundle.json bytes into a JSON value without losing anything: the raw bytes are kept as
 * they are (they are what gets hashed, signed or checked for canonical form), and every problem
 * with the bytes themselves becomes an Issue so the caller can show it next to the others.
 */
import { describeSystemError, hasErrorCode, readFileBounded } from '../util/files.js'
import { InputError, NotFoundError, SizeLimitError, messageOf } from '../errors.js'
import { JsonSyntaxError, parseJsonWithDuplicates } from '../util/strict-json.js'
import { pointerOf, type Issue } from './issue.js'
import { isRecord } from './json-shape.js'

/** Largest bundle.json we read. Real bundles are a few KiB; the bound keeps hostile input from exhausting memory. */
export const MAX_BUNDLE_BYTES = 16 * 1024 * 1024

/**
 * Deepest nesting of arrays and objects we accept. Real bundles stay below 20; the JSON Schema
 * validator and the canonicaliser recurse once per level and overflow the stack near 1000.
 */
export const MAX_NESTING_DEPTH = 128

/**
 * Longest object key we accept. Keys are names (parameters, images, extensions) of a few dozen
 * characters; every issue's JSON pointer carries the keys on its path, so a multi-megabyte key
 * would be copied into every pointer of every rule that looks below it.
 */
export const MAX_KEY_LENGTH = 65536

/** bundle.json bytes as loadBundleBytes and readBundleFile read them: bytes, text, value and the problems found. */
export interface LoadedBundle {
  /** The input bytes, unchanged. */
  raw: Uint8Array
  /** The decoded document without a leading byte-order mark; '' when the bytes are not UTF-8. */
  text: string
  /** The parsed JSON value; undefined when the text is not JSON. */
  value: unknown
  /** Problems found in the bytes, the JSON text or the document's overall shape. */
  issues: Issue[]
}

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const

/**
 * Decodes and parses bundle.json bytes strictly: invalid UTF-8, a byte-order mark, a JSON syntax
 * error, duplicate keys, a non-object document and excessive nesting are all reported as
 * error-severity issues. `source` (a file name) is only used in messages.
 * @throws SizeLimitError when the bytes exceed MAX_BUNDLE_BYTES
 */
export function loadBundleBytes(bytes: Uint8Array, source = 'bundle.json'): LoadedBundle {
  if (bytes.length > MAX_BUNDLE_BYTES) throw new SizeLimitError(source, MAX_BUNDLE_BYTES)
  const issues: Issue[] = []
  const hasBom = UTF8_BOM.every((b, i) => bytes[i] === b)
  if (hasBom) {
    issues.push({
      pointer: '',
      rule: 'json-bom',
      severity: 'error',
      message: `${source} starts with a UTF-8 byte-order mark; JSON text must not (RFC 8259 §8.1) and the bytes would not be canonical. Save it without the BOM`,
    })
  }
  const body = hasBom ? bytes.subarray(UTF8_BOM.length) : bytes
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body)
  } catch {
    issues.push({ pointer: '', rule: 'json-invalid-utf8', severity: 'error', message: invalidUtf8Message(source, bytes) })
    return { raw: bytes, text: '', value: undefined, issues }
  }
  let parsed: ReturnType<typeof parseJsonWithDuplicates>
  try {
    parsed = parseJsonWithDuplicates(text)
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err
    issues.push({ pointer: '', rule: 'json-syntax', severity: 'error', message: `${source} is ${err.message}` })
    return { raw: bytes, text, value: undefined, issues }
  }
  for (const d of parsed.duplicates) {
    issues.push({
      pointer: d.pointer,
      rule: 'json-duplicate-key',
      severity: 'error',
      message: `duplicate key "${d.key}" at line ${d.line}, column ${d.column}; parsers disagree on which value wins, so remove one`,
    })
  }
  issues.push(...documentShapeIssues(parsed.value))
  return { raw: bytes, text, value: parsed.value, issues }
}

/**
 * Reads a bundle file with the MAX_BUNDLE_BYTES bound (checked while reading, so a huge file is
 * never loaded whole) and loads it with loadBundleBytes; `raw` is a Buffer.
 * @throws NotFoundError when the file does not exist, SizeLimitError when it is too large,
 *   InputError when it cannot be read
 */
export async function readBundleFile(path: string): Promise<LoadedBundle> {
  return loadBundleBytes(await readBounded(path), path)
}

/** The whole file, or SizeLimitError as soon as it passes MAX_BUNDLE_BYTES. */
async function readBounded(path: string): Promise<Buffer> {
  try {
    return await readFileBounded(path, MAX_BUNDLE_BYTES, path)
  } catch (err) {
    if (err instanceof SizeLimitError) throw err
    if (hasErrorCode(err, 'ENOENT')) throw new NotFoundError(`bundle file not found: ${path}`, { cause: err })
    throw new InputError(`cannot read bundle file ${path}: ${describeSystemError(err, path) ?? messageOf(err)}`, { cause: err })
  }
}

/**
 * Issues that make a parsed value unusable as a bundle document: it is not a JSON object, it
 * nests deeper than MAX_NESTING_DEPTH, or it has a key longer than MAX_KEY_LENGTH. Validation
 * stops after these.
 */
export function documentShapeIssues(value: unknown): Issue[] {
  if (!isRecord(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`
    return [
      { pointer: '', rule: 'json-not-object', severity: 'error', message: `a bundle must be a JSON object, but the document is ${kind}` },
    ]
  }
  const problem = firstShapeProblem(value)
  if (problem === undefined) return []
  return [
    problem.kind === 'depth'
      ? {
          pointer: problem.pointer,
          rule: 'json-nesting-depth',
          severity: 'error',
          message: `arrays and objects nest deeper than ${MAX_NESTING_DEPTH} levels here; that is more than any bundle needs, so the document is not checked further`,
        }
      : {
          pointer: problem.pointer,
          rule: 'json-key-length',
          severity: 'error',
          message: `an object here has a key of ${problem.length} characters; keys are names, at most ${MAX_KEY_LENGTH} characters, so the document is not checked further`,
        },
  ]
}

/**
 * The first container nested deeper than MAX_NESTING_DEPTH, or the first object with a key
 * longer than MAX_KEY_LENGTH (pointed at by its parent, so the pointer stays short); iterative
 * so deep input cannot overflow the stack.
 */
function firstShapeProblem(
  root: unknown,
): { kind: 'depth'; pointer: string } | { kind: 'key'; pointer: string; length: number } | undefined {
  const stack: Array<{ value: unknown; pointer: string; depth: number }> = [{ value: root, pointer: '', depth: 1 }]
  while (stack.length > 0) {
    const { value, pointer, depth } = stack.pop()!
    if (typeof value !== 'object' || value === null) continue
    if (depth > MAX_NESTING_DEPTH) return { kind: 'depth', pointer }
    const children: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value)
    const long = children.find(([key]) => typeof key === 'string' && key.length > MAX_KEY_LENGTH)
    if (long !== undefined) return { kind: 'key', pointer, length: (long[0] as string).length }
    for (const [key, child] of children) stack.push({ value: child, pointer: pointer + pointerOf(key), depth: depth + 1 })
  }
  return undefined
}

function invalidUtf8Message(source: string, bytes: Uint8Array): string {
  const [b0, b1] = [bytes[0], bytes[1]]
  if ((b0 === 0xfe && b1 === 0xff) || (b0 === 0xff && b1 === 0xfe)) {
    return `${source} is UTF-16 (it starts with a UTF-16 byte-order mark); bundle.json must be UTF-8`
  }
  return `${source} is not valid UTF-8: the first invalid byte is at offset ${firstInvalidUtf8Offset(bytes)}`
}

/**
 * Offset of the first byte that breaks UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF). Only called after TextDecoder refused the bytes, to tell the user where.
 */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length) {
    const lead = utf8Lead(bytes[i]!)
    if (lead === undefined) return i
    for (let k = 1; k < lead.length; k++) {
      const c = bytes[i + k]
      // Only the second byte has a narrowed range (it rules out overlong forms and surrogates).
      const [lo, hi] = k === 1 ? [lead.secondMin, lead.secondMax] : [0x80, 0xbf]
      if (c === undefined || c < lo || c > hi) return i + k
    }
    i += lead.length
  }
  return bytes.length
}

/** Sequence length and allowed second-byte range for a lead byte (RFC 3629 §4 table); undefined if it cannot start a character. */
function utf8Lead(b: number): { length: number; secondMin: number; secondMax: number } | undefined {
  if (b < 0x80) return { length: 1, secondMin: 0, secondMax: 0 }
  if (b >= 0xc2 && b <= 0xdf) return { length: 2, secondMin: 0x80, secondMax: 0xbf }
  if (b === 0xe0) return { length: 3, secondMin: 0xa0, secondMax: 0xbf }
  if (b === 0xed) return { length: 3, secondMin: 0x80, secondMax: 0x9f }
  if (b >= 0xe1 && b <= 0xef) return { length: 3, secondMin: 0x80, secondMax: 0xbf }
  if (b === 0xf0) return { length: 4, secondMin: 0x90, secondMax: 0xbf }
  if (b >= 0xf1 && b <= 0xf3) return { length: 4, secondMin: 0x80, secondMax: 0xbf }
  if (b === 0xf4) return { length: 4, secondMin: 0x80, secondMax: 0x8f }
  return undefined
}
