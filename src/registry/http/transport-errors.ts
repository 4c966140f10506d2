/**
 * Transport failures as the project's documented error class. Whatever undici or the socket
 * throws (connection refused or reset, `other side closed`, a body shorter than its
 * Content-Length, one of the timeouts of ./timeouts.ts) reaches callers as a NetworkError with
 * the request, what stalled and the original error as `cause`, so the CLI maps it to exit 1
 * ("network") and never to "internal". Credentials never appear: the URL is given without its
 * query, and undici's messages carry neither headers nor bodies.
 */
import { OcibundleError, type ErrorOptions } from '../../errors.js'
import { describeStall, stallOf, stallSetting, type Stall, type Timeouts } from './timeouts.js'

/** A request got no complete answer: the connection failed, was cut, or stalled past a time limit. */
export class NetworkError extends OcibundleError {
  override readonly code: string = 'ERR_NETWORK'
  constructor(
    message: string,
    /** Which time limit the exchange ran into, when it stalled. */
    readonly stalled?: Stall,
    options: ErrorOptions = {},
  ) {
    super(message, options)
  }
}

/** Error codes of undici and of Node's sockets that mean the exchange broke, not that the request was wrong. */
const TRANSPORT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPROTO',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RESPONSE_EXCEEDED_MAX_SIZE',
  'UND_ERR_INFO',
  'HPE_INVALID_CONSTANT',
  'HPE_INVALID_CHUNK_SIZE',
  'HPE_UNEXPECTED_CONTENT_LENGTH',
])

/** Whether `err` is a transport failure of undici or the socket (not one of ours, not an abort). */
export function isTransportFailure(err: unknown): boolean {
  if (err instanceof OcibundleError || (err as { name?: unknown } | null)?.name === 'AbortError') return false
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string') return TRANSPORT_CODES.has(code) || code.startsWith('UND_ERR_') || code.startsWith('HPE_')
  // TLS failures carry OpenSSL codes (ERR_SSL_…, CERT_…); certificate errors are reported as they are.
  return false
}

/**
 * Wraps a failure of `method url` that produced no answer: the message names the request and,
 * for a timeout, what stalled and how to raise the limit; hints cover the common TLS mix-ups.
 * Our own errors and aborts are returned as they are.
 */
export function networkError(method: string, url: URL, err: unknown, timeouts?: Timeouts): Error {
  if (err instanceof OcibundleError || (err as { name?: string } | null)?.name === 'AbortError') return err as Error
  const code = (err as { code?: string } | null)?.code ?? ''
  const message = (err as Error | null)?.message ?? String(err)
  const stall = stallOf(err)
  const suggestions: string[] = []
  if (/EPROTO|wrong version number|packet length too long/i.test(`${code} ${message}`)) {
    suggestions.push(
      url.protocol === 'https:'
        ? 'the registry seems to speak plain HTTP: add --plain-http'
        : 'the registry seems to speak HTTPS: drop --plain-http',
    )
  }
  if (/CERT|self[- ]signed|unable to verify/i.test(`${code} ${message}`)) {
    suggestions.push('trust the registry certificate with --ca-file <pem>, or (for testing only) skip verification with --insecure')
  }
  if (code === 'ECONNREFUSED') suggestions.push('check that the registry is running and the host and port are right')
  // A registry that requires a client certificate closes the connection after the handshake (undici does not pass the TLS alert on).
  if (code === 'UND_ERR_SOCKET' && url.protocol === 'https:') {
    suggestions.push('if the registry requires a client certificate (mutual TLS), give it with --cert-file and --key-file')
  }
  if (stall !== undefined) suggestions.push(`if the registry is just slow, raise the limit: ${stallSetting(stall)}`)
  const what = stall !== undefined && timeouts !== undefined ? describeStall(stall, timeouts) : message
  return new NetworkError(`${method} ${withoutQuery(url)} failed: ${what}${code && !what.includes(code) ? ` (${code})` : ''}`, stall, {
    cause: err,
    suggestions,
  })
}

/**
 * The error for a response body that broke off while it was read: a NetworkError for a
 * transport failure, anything else (our own errors, aborts) as it is.
 */
export function bodyError(what: string, url: string, err: unknown, timeouts?: Timeouts): Error {
  if (!isTransportFailure(err)) return err as Error
  const stall = stallOf(err)
  const reason = stall !== undefined && timeouts !== undefined ? describeStall(stall, timeouts) : (err as Error).message
  return new NetworkError(`reading ${what} from ${withoutQuery(url)} failed: ${reason}`, stall, {
    cause: err,
    ...(stall !== undefined && { suggestions: [`if the registry is just slow, raise the limit: ${stallSetting(stall)}`] }),
  })
}

function withoutQuery(url: URL | string): string {
  const s = url.toString()
  const i = s.indexOf('?')
  return i === -1 ? s : s.slice(0, i)
}
