/**
 * JSON parsing that refuses duplicate object keys. JSON.parse silently keeps the last duplicate,
 * while other parsers keep the first: two tools reading the same signed bytes could then see
 * different documents (a known manifest-confusion attack), so bundle.json and manifests are
 * parsed strictly.
 */
import { createRequire } from 'node:module'
import { InputError } from '../errors.js'

/** A member name that occurs more than once in one JSON object, where it occurs again. */
export interface DuplicateKey {
  /** JSON pointer of the duplicated member. */
  pointer: string
  /** The member name. */
  key: string
  /** Line of the repeated key, from 1. */
  line: number
  /** Column of the repeated key's opening quote, from 1, in UTF-16 code units. */
  column: number
}

/** Text is not JSON, or (parseStrictJson) an object in it has duplicate keys. */
export class JsonSyntaxError extends InputError {
  override readonly code: string = 'ERR_JSON_SYNTAX'
  constructor(
    message: string,
    /** Every repeated key, for a duplicate-key error; empty for a syntax error. */
    readonly duplicates: readonly DuplicateKey[] = [],
  ) {
    super(message)
  }
}

/** Escapes one reference token of a JSON pointer (RFC 6901). */
export function pointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1')
}

/**
 * Parses JSON text and also returns every duplicate key it holds. The value is what JSON.parse
 * returns; callers decide whether duplicates are fatal (see parseStrictJson).
 * Throws JsonSyntaxError with line and column when the text is not JSON.
 */
export function parseJsonWithDuplicates(text: string): { value: unknown; duplicates: DuplicateKey[] } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new JsonSyntaxError(`not valid JSON: ${describeSyntaxError(text, err as Error)}`)
  }
  try {
    return { value, duplicates: findDuplicateKeys(text) }
  } catch (err) {
    if (err instanceof RangeError) throw new JsonSyntaxError('JSON is nested too deeply to check for duplicate keys')
    throw err
  }
}

/** Parses JSON and throws JsonSyntaxError naming each duplicate key by pointer and position. */
export function parseStrictJson(text: string): unknown {
  const { value, duplicates } = parseJsonWithDuplicates(text)
  if (duplicates.length > 0) {
    const list = duplicates.map((d) => `"${d.key}" at ${d.pointer || '/'} (line ${d.line}, column ${d.column})`).join(', ')
    throw new JsonSyntaxError(`duplicate key${duplicates.length > 1 ? 's' : ''} in JSON object: ${list}`, duplicates)
  }
  return value
}

/**
 * What is wrong with JSON text JSON.parse refused, with the line and column people can find:
 * V8's message without the text it may quote (a config file can hold a password), and the
 * position V8 gives ("in JSON at position N") or, when it gives none ("Unexpected end of JSON
 * input", "Unexpected token 'x', "…" is not valid JSON"), the first error jsonc-parser finds.
 */
export function describeSyntaxError(text: string, err: Error): string {
  const given = /position (\d+)/.exec(err.message)
  const pos = given !== null ? Number(given[1]) : firstErrorOffset(text)
  const what = err.message.replace(/ in JSON at position \d+.*$/s, '').replace(/, ".*" is not valid JSON$/s, '')
  const { line, column } = lineColumn(text, pos)
  return `${what} at line ${line}, column ${column}`
}

/** Where jsonc-parser, as strict as JSON.parse, finds the first error; loaded only when a parse failed. */
function firstErrorOffset(text: string): number {
  const jsonc = createRequire(import.meta.url)('jsonc-parser') as typeof import('jsonc-parser')
  const errors: import('jsonc-parser').ParseError[] = []
  jsonc.parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false })
  return errors[0]?.offset ?? text.length
}

function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: pos - lineStart + 1 }
}

/**
 * Walks already-valid JSON text and reports duplicate keys. Runs only after JSON.parse succeeded,
 * so it can assume well-formed input and stay small.
 */
function findDuplicateKeys(text: string): DuplicateKey[] {
  const out: DuplicateKey[] = []
  let i = 0
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++
  }
  const readString = (): string => {
    const start = i
    i++ // opening quote
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1
    i++
    return JSON.parse(text.slice(start, i)) as string
  }
  const value = (pointer: string): void => {
    ws()
    const c = text[i]
    if (c === '{') {
      i++
      const seen = new Set<string>()
      ws()
      if (text[i] === '}') {
        i++
        return
      }
      for (;;) {
        ws()
        const keyPos = i
        const key = readString()
        const childPointer = `${pointer}/${pointerToken(key)}`
        if (seen.has(key)) out.push({ pointer: childPointer, key, ...lineColumn(text, keyPos) })
        seen.add(key)
        ws()
        i++ // colon
        value(childPointer)
        ws()
        if (text[i++] === '}') return
      }
    } else if (c === '[') {
      i++
      ws()
      if (text[i] === ']') {
        i++
        return
      }
      for (let n = 0; ; n++) {
        value(`${pointer}/${n}`)
        ws()
        if (text[i++] === ']') return
      }
    } else if (c === '"') {
      readString()
    } else {
      while (i < text.length && !',]} \t\n\r'.includes(text[i]!)) i++
    }
  }
  value('')
  return out
}
