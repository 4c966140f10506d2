/**
 * Safe accessors for untyped JSON. Semantic rules run on documents the schema may have rejected,
 * so they read every field through these helpers and skip values of the wrong shape instead of
 * crashing (the schema pass already reports the shape).
 */

export type JsonObject = Record<string, unknown>

/** A JSON object: not null, not an array. */
export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * The members of a map field, or none when it is missing or not an object. `null` maps count as
 * empty on purpose: cnab-to-oci's own samples write `"images": null`, Go reads that as an empty map,
 * and the schema pass reports it.
 */
export function entriesOf(value: unknown): Array<[string, unknown]> {
  return isRecord(value) ? Object.entries(value) : []
}

/** The items of an array field, or none when it is not an array. */
export function itemsOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

/** A string member, or undefined when it is missing or of another type. */
export function stringField(obj: unknown, key: string): string | undefined {
  if (!isRecord(obj) || !Object.hasOwn(obj, key)) return undefined
  const v = obj[key]
  return typeof v === 'string' ? v : undefined
}

/** A member of any type, or undefined; own properties only, so `__proto__` and friends are never inherited values. */
export function field(obj: unknown, key: string): unknown {
  return isRecord(obj) && Object.hasOwn(obj, key) ? obj[key] : undefined
}

/** Short name of a JSON value's type for messages ("null", "array", "object", "string", ...). */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer'
  return typeof value
}
