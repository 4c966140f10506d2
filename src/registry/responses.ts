/**
 * Small helpers for registry responses: header access, releasing bodies we do not need, and
 * recognising error statuses. Every response body must be read or destroyed, or its connection
 * stays busy.
 */
import { headerValue, releaseBody, type RegistryResponse } from './http/client.js'
import { RegistryResponseError } from './http/response-errors.js'

/** Bodies of answers we ignore (201 with a short text, upload status) are read up to this and then cut off. */
const DISCARD_LIMIT = 64 * 1024

/** A response header by lower-case name (the first value when repeated). */
export function header(res: RegistryResponse, name: string): string | undefined {
  return headerValue(res.headers[name])
}

/** Content-Length as a number, or undefined when absent or not a non-negative integer. */
export function contentLength(res: RegistryResponse): number | undefined {
  const value = header(res, 'content-length')
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined
  return Number(value.trim())
}

/**
 * Reads and drops a response body so the connection can be reused; a body longer than 64 KiB is
 * cut off instead (destroying it costs the connection, not correctness). Never throws.
 */
export async function discard(res: RegistryResponse): Promise<void> {
  let total = 0
  try {
    for await (const chunk of res.body) {
      total += (chunk as Uint8Array).length
      if (total > DISCARD_LIMIT) break
    }
  } catch {
    // A body we do not need may break off; nothing depends on it.
  } finally {
    releaseBody(res.body)
  }
}

/** True when `err` is a registry answer with one of `statuses`. */
export function hasStatus(err: unknown, ...statuses: number[]): err is RegistryResponseError {
  return err instanceof RegistryResponseError && statuses.includes(err.status)
}
