/**
 * Time limits of registry requests, so that nothing waits forever on a server that stopped
 * sending: a connect timeout, a limit for the response headers (counted after the request was
 * sent, and between writes of a request body the server stopped reading), and an idle limit
 * between chunks of a response body. undici's own defaults are 10 s, 300 s and 300 s; a
 * registry that says nothing for a minute will not say anything, and a stalled exchange is
 * retried like any network error (src/registry/http/retry.ts), so the limits are shorter here.
 * Every limit can be set per host (HostConfig, the host configuration file) and per command.
 */
import type { HostConfig } from './host-config.js'

/** The three limits, in milliseconds. */
export interface Timeouts {
  /** Opening the connection (TCP and TLS). */
  connectMs: number
  /** From the end of the request to the complete response headers. */
  headersMs: number
  /** Between two chunks of a response body. */
  idleMs: number
}

/** The limits when nothing else is configured. */
export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = { connectMs: 30_000, headersMs: 60_000, idleMs: 60_000 }

/** Which limit an exchange ran into. */
export type Stall = 'connect' | 'headers' | 'body'

/** The limits that apply to a host: its configuration, else the defaults. */
export function timeoutsOf(config: HostConfig): Timeouts {
  return {
    connectMs: config.connectTimeoutMs ?? DEFAULT_TIMEOUTS.connectMs,
    headersMs: config.headersTimeoutMs ?? DEFAULT_TIMEOUTS.headersMs,
    idleMs: config.idleTimeoutMs ?? DEFAULT_TIMEOUTS.idleMs,
  }
}

/** undici's per-request options for the header and idle limits. */
export function requestTimeoutOptions(t: Timeouts): { headersTimeout: number; bodyTimeout: number } {
  return { headersTimeout: t.headersMs, bodyTimeout: t.idleMs }
}

/** undici's error codes for its three timeouts. */
const STALL_CODES: Record<string, Stall> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect',
  UND_ERR_HEADERS_TIMEOUT: 'headers',
  UND_ERR_BODY_TIMEOUT: 'body',
}

/** The limit `err` reports having hit, if it is one of undici's timeout errors. */
export function stallOf(err: unknown): Stall | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? STALL_CODES[code] : undefined
}

/** What stalled, for a message: "no response headers within 60 s". */
export function describeStall(stall: Stall, t: Timeouts): string {
  switch (stall) {
    case 'connect':
      return `no connection within ${seconds(t.connectMs)}`
    case 'headers':
      return `no response headers within ${seconds(t.headersMs)}`
    case 'body':
      return `the response body stalled: nothing arrived for ${seconds(t.idleMs)}`
  }
}

/** The setting that raises a limit, for suggestions. */
export function stallSetting(stall: Stall): string {
  switch (stall) {
    case 'connect':
      return '--connect-timeout (connectTimeoutMs in the host configuration)'
    case 'headers':
      return '--headers-timeout (headersTimeoutMs in the host configuration)'
    case 'body':
      return '--idle-timeout (idleTimeoutMs in the host configuration)'
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}
