/**
 * Canonical JSON for bundle.json. The CNAB spec asks for "canonical JSON"; in practice cnab-go and
 * cnab-to-oci write RFC 8785 (JCS) through cyberphone/json-canonicalization, and npm `canonicalize`
 * reproduces their output byte for byte. The bytes of the canonical form are what a registry stores
 * as the bundle's config blob, so they decide the bundle digest.
 */
import canonicalize from 'canonicalize'
import { InputError, messageOf } from '../errors.js'

/**
 * The RFC 8785 serialisation of a parsed JSON value, as UTF-8 bytes with no trailing newline.
 * Canonicalise the parsed value, never re-format the text: number spelling (`1.0` → `1`,
 * `1e3` → `1000`) and string escapes are part of the canonical form.
 * @throws InputError when the value has no JSON form (undefined, NaN, Infinity, a lone UTF-16
 *   surrogate in a string, a cycle)
 */
export function canonicalBytes(value: unknown): Buffer {
  let text: string | undefined
  try {
    text = canonicalize(value)
  } catch (err) {
    throw new InputError(`cannot write canonical JSON: ${messageOf(err)}`, { cause: err })
  }
  if (text === undefined) throw new InputError(`cannot write canonical JSON: a ${typeof value} has no JSON form`)
  return Buffer.from(text, 'utf8')
}

/**
 * Whether the bytes are exactly the canonical form of the JSON they hold. False for anything that
 * is not UTF-8 JSON, and for documents with duplicate keys (the canonical form has each key once).
 */
export function isCanonical(raw: Uint8Array): boolean {
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw))
  } catch {
    return false
  }
  try {
    return canonicalBytes(value).equals(raw)
  } catch (err) {
    if (err instanceof InputError) return false
    throw err
  }
}
