/**
 * A fault-injecting HTTP proxy in front of a real registry, in-process on 127.0.0.1.
 *
 * Every request (method, path + query, headers, streamed body) is forwarded to the upstream
 * registry and the answer streamed back, so the registry's real behaviour is what the client
 * sees, except where a test adds a fault:
 *
 * | action                    | effect                                                                  |
 * |---------------------------|-------------------------------------------------------------------------|
 * | `{ status, headers?, body? }` | answered by the proxy, not forwarded (503, 429 + Retry-After, 500…) |
 * | `{ resetAfterBytes: n }`  | forwarded; the client connection is reset (TCP RST) after n body bytes  |
 * | `{ truncateAfterBytes: n }` | forwarded; full Content-Length announced, connection closed after n bytes |
 * | `{ corruptBody: true }`   | forwarded; every body byte flipped (XOR 0xff), same length             |
 * | `{ reset: 'before-upstream' }` | not forwarded; the connection is reset at once (the request never arrived) |
 * | `{ reset: 'after-upstream' }` | forwarded; the upstream's answer is dropped and the connection reset (the request was done, the answer lost) |
 * | `{ stallHeaders: true }`  | not forwarded; the request body is read and nothing is ever answered   |
 * | `{ stallAfterBytes: n }`  | forwarded; the head and n body bytes are sent, then nothing more       |
 * | `{ delayMs }`             | forwarded after a pause (may be combined with any action above)        |
 *
 * Faults are checked in the order added; the first that matches and has uses left applies
 * (`times`, default 1; `Infinity` for always). A status answer drains the request body first, so
 * the client never sees an EPIPE while still sending.
 *
 * The proxy sets `Host` to the upstream's, and rewrites absolute `Location` headers pointing at
 * the upstream (distribution builds them from `Host`) to point at the proxy, so upload sessions
 * continue through the proxy. `WWW-Authenticate` is passed unchanged: the token realm stays the
 * issuer's own URL. The proxy itself is always plain HTTP; an https upstream (the `tls` variant)
 * is reached with its `caFile`. Every response carries `Via: 1.1 ocibundle-fault-proxy`.
 *
 * Quirk emulation (`opts.intercept`): a later module can answer some requests itself, to mimic
 * another registry's behaviour on top of the real one. The hook runs for each request after the
 * fault stage (a status fault or delay applies first) and before forwarding; it returns true when
 * it has answered through `ctx.res` (body faults are then not applied), false to let the request
 * be forwarded normally. It may read the request body with `ctx.body()` (buffered, and still
 * forwarded if it returns false), or call `ctx.forward()` to forward anyway and return true.
 */
import {
  createServer,
  request as httpRequest,
  Agent as HttpAgent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http'
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { readFileSync } from 'node:fs'
import { Transform } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'

/** What a fault's `match` sees of a request. */
export interface FaultRequest {
  method: string
  /** Path with query, as received (`/v2/x/y/blobs/uploads/<uuid>?_state=…`). */
  path: string
  /** Parsed URL (relative to the proxy). */
  url: URL
  headers: IncomingHttpHeaders
}

interface WithDelay {
  /** Pause before acting (or forwarding), in ms. */
  delayMs?: number
}

export type FaultAction =
  | ({ status: number; headers?: Record<string, string>; body?: string | Buffer | object } & WithDelay)
  | ({ resetAfterBytes: number } & WithDelay)
  | ({ truncateAfterBytes: number } & WithDelay)
  | ({ corruptBody: true } & WithDelay)
  | ({ reset: 'before-upstream' | 'after-upstream' } & WithDelay)
  | ({ stallHeaders: true } & WithDelay)
  | ({ stallAfterBytes: number } & WithDelay)
  | { delayMs: number }

export interface Fault {
  match: (req: FaultRequest) => boolean
  /** How many requests it applies to; default 1. */
  times?: number
  action: FaultAction
}

/** A fault once added: how often it fired, how often it still will. */
export interface FaultHandle {
  readonly hits: number
  readonly remaining: number
  remove(): void
}

export type FaultKind = 'status' | 'reset' | 'truncate' | 'corrupt' | 'stall' | 'delay'

/** One request through the proxy. */
export interface ProxyRequestRecord {
  method: string
  /** Path with query. */
  path: string
  /** Status sent to the client (0 until the response head is written). */
  status: number
  requestHeaders: IncomingHttpHeaders
  /** Headers sent to the client (after Location rewriting). */
  responseHeaders: OutgoingHttpHeaders
  /** The fault applied, if any. */
  fault?: FaultKind
  /** Answered by `opts.intercept`. */
  intercepted?: boolean
  /** Upstream error (connection refused…), answered 502. */
  error?: string
}

export interface InterceptContext {
  res: ServerResponse
  /** The whole request body (read once, cached; still forwarded if the hook returns false). */
  body(): Promise<Buffer>
  /** Forwards the request as the proxy would have (Location rewriting included), and resolves once answered. */
  forward(): Promise<void>
  /** The upstream registry's base URL. */
  upstream: URL
  /** The proxy's own base URL. */
  proxyUrl: string
  /** This request's log entry (e.g. to note what the hook did). */
  record: ProxyRequestRecord
}

export interface FaultProxyOptions {
  /** Answers some requests instead of the upstream; see the module comment. */
  intercept?: (req: IncomingMessage, ctx: InterceptContext) => Promise<boolean>
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>` */
  url: string
  /** `127.0.0.1:<port>` */
  host: string
  upstream: URL
  /** Every request, in arrival order. Tests may clear it (`requests.length = 0`). */
  requests: ProxyRequestRecord[]
  addFault(fault: Fault): FaultHandle
  clearFaults(): void
  stop(): Promise<void>
}

/** Matches `method` (or any method when undefined) and a path (with query) by regexp or substring. */
export function matchRequest(method: string | undefined, path: RegExp | string): (req: FaultRequest) => boolean {
  return (req) =>
    (method === undefined || req.method === method) && (typeof path === 'string' ? req.path.includes(path) : path.test(req.path))
}

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are not forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value
  return out
}

const ERROR_CODES: Record<number, string> = {
  401: 'UNAUTHORIZED',
  403: 'DENIED',
  404: 'NOT_FOUND',
  405: 'UNSUPPORTED',
  429: 'TOOMANYREQUESTS',
  503: 'UNAVAILABLE',
}

/** Default body of a status fault: a distribution-style error for 4xx/5xx, nothing otherwise. */
function defaultFaultBody(status: number): string {
  if (status < 400) return ''
  return JSON.stringify({ errors: [{ code: ERROR_CODES[status] ?? 'UNKNOWN', message: `injected by fault proxy (${status})` }] })
}

function kindOf(action: FaultAction): FaultKind {
  if ('status' in action) return 'status'
  if ('resetAfterBytes' in action || 'reset' in action) return 'reset'
  if ('stallHeaders' in action || 'stallAfterBytes' in action) return 'stall'
  if ('truncateAfterBytes' in action) return 'truncate'
  if ('corruptBody' in action) return 'corrupt'
  return 'delay'
}

/** Resets the connection (RST) where supported, else destroys it. */
function resetSocket(socket: Socket | null): void {
  if (!socket) return
  const s = socket as Socket & { resetAndDestroy?: () => void }
  if (typeof s.resetAndDestroy === 'function') s.resetAndDestroy()
  else s.destroy()
}

/** Starts a proxy in front of `upstream` (a RunningRegistry or anything with a url and optional caFile). */
export async function startFaultProxy(upstream: { url: string; caFile?: string }, opts: FaultProxyOptions = {}): Promise<FaultProxy> {
  const upstreamUrl = new URL(upstream.url)
  const upstreamOrigin = upstreamUrl.origin
  const isHttps = upstreamUrl.protocol === 'https:'
  const ca = upstream.caFile ? readFileSync(upstream.caFile, 'utf8') : undefined
  const agent = isHttps ? new HttpsAgent({ keepAlive: true, ca }) : new HttpAgent({ keepAlive: true })
  const requests: ProxyRequestRecord[] = []
  const faults: Array<{ fault: Fault; hits: number; remaining: number }> = []
  let proxyOrigin = ''

  const takeFault = (info: FaultRequest): FaultAction | undefined => {
    for (const entry of faults) {
      if (entry.remaining > 0 && entry.fault.match(info)) {
        entry.remaining--
        entry.hits++
        return entry.fault.action
      }
    }
    return undefined
  }

  const rewriteLocation = (headers: OutgoingHttpHeaders) => {
    const location = headers.location
    if (typeof location === 'string' && location.startsWith(upstreamOrigin))
      headers.location = proxyOrigin + location.slice(upstreamOrigin.length)
  }

  /** Forwards `req` upstream and relays the answer to `res`, applying a body fault if given. */
  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    record: ProxyRequestRecord,
    bufferedBody: Buffer | undefined,
    action: FaultAction | undefined,
  ) =>
    new Promise<void>((resolve) => {
      const headers = endToEnd(req.headers)
      headers.host = upstreamUrl.host
      const send = isHttps ? httpsRequest : httpRequest
      let upRes: IncomingMessage | undefined
      const upReq = send(
        {
          protocol: upstreamUrl.protocol,
          hostname: upstreamUrl.hostname,
          port: upstreamUrl.port,
          method: req.method,
          path: req.url,
          headers,
          agent,
        },
        (up) => {
          upRes = up
          const outHeaders = endToEnd(up.headers)
          rewriteLocation(outHeaders)
          const status = up.statusCode ?? 502
          up.on('error', () => res.destroy())
          if (action && 'corruptBody' in action) {
            res.writeHead(status, outHeaders)
            const flip = new Transform({
              transform(chunk: Buffer, _enc, callback) {
                const out = Buffer.allocUnsafe(chunk.length)
                for (let i = 0; i < chunk.length; i++) out[i] = chunk[i]! ^ 0xff
                callback(null, out)
              },
            })
            up.pipe(flip).pipe(res)
          } else if (action && 'resetAfterBytes' in action) {
            cutAfter(up, res, status, outHeaders, action.resetAfterBytes, () => resetSocket(res.socket))
          } else if (action && 'truncateAfterBytes' in action) {
            truncate(up, res, status, outHeaders, action.truncateAfterBytes)
          } else if (action && 'reset' in action) {
            up.resume()
            resetSocket(res.socket)
          } else if (action && 'stallAfterBytes' in action) {
            // The head and n bytes, then silence: the connection stays open until the client gives up.
            cutAfter(up, res, status, outHeaders, action.stallAfterBytes, () => {})
          } else {
            res.writeHead(status, outHeaders)
            up.pipe(res)
          }
        },
      )
      // Done when the client side closes: after a complete answer, or early (the client went
      // away, or a fault cut the connection), in which case the upstream exchange is abandoned.
      res.on('close', () => {
        if (!res.writableFinished) {
          upReq.destroy()
          upRes?.destroy()
        }
        resolve()
      })
      upReq.on('error', (err) => {
        if (res.destroyed) return
        record.error = err.message
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'text/plain' })
          res.end(`fault proxy: upstream error: ${err.message}`)
        } else {
          res.destroy()
        }
      })
      if (bufferedBody) upReq.end(bufferedBody)
      else req.pipe(upReq)
    })

  /** Sends the head and the first `n` body bytes, then calls `cut` (which must end the connection). */
  const cutAfter = (up: IncomingMessage, res: ServerResponse, status: number, headers: OutgoingHttpHeaders, n: number, cut: () => void) => {
    res.writeHead(status, headers)
    let sent = 0
    let done = false
    const finish = () => {
      if (done) return
      done = true
      up.destroy()
      // Give the client a moment to read what was sent before the connection dies, so exactly
      // `n` bytes arrive (an RST can overtake data still in flight).
      setTimeout(cut, 20)
    }
    if (n === 0) {
      res.flushHeaders()
      finish()
      return
    }
    up.on('data', (chunk: Buffer) => {
      if (done) return
      const room = n - sent
      if (chunk.length >= room) {
        sent = n
        res.write(chunk.subarray(0, room))
        finish()
      } else {
        sent += chunk.length
        res.write(chunk)
      }
    })
    // Shorter than n: nothing to cut, the response simply completes.
    up.on('end', () => {
      if (!done) {
        done = true
        res.end()
      }
    })
  }

  /** Announces the full Content-Length (buffering the body when upstream sent none), sends `n` bytes, closes cleanly (FIN). */
  const truncate = (up: IncomingMessage, res: ServerResponse, status: number, headers: OutgoingHttpHeaders, n: number) => {
    const closeGracefully = () => res.socket?.end()
    if (headers['content-length'] !== undefined) {
      cutAfter(up, res, status, headers, n, closeGracefully)
      return
    }
    const chunks: Buffer[] = []
    up.on('data', (c: Buffer) => chunks.push(c))
    up.on('end', () => {
      const body = Buffer.concat(chunks)
      res.writeHead(status, { ...headers, 'content-length': body.length })
      if (n >= body.length) {
        res.end(body)
        return
      }
      res.write(body.subarray(0, n))
      setTimeout(closeGracefully, 20)
    })
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/'
    const record: ProxyRequestRecord = { method: req.method ?? 'GET', path, status: 0, requestHeaders: req.headers, responseHeaders: {} }
    requests.push(record)
    // Record what the client is sent, whoever writes it (forwarding, a fault, an interceptor):
    // every head goes through writeHead (Node's implicit header calls it too).
    res.setHeader('via', '1.1 ocibundle-fault-proxy')
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse
    res.writeHead = ((...args: unknown[]) => {
      const result = writeHead(...args)
      record.status = res.statusCode
      record.responseHeaders = { ...res.getHeaders() }
      return result
    }) as typeof res.writeHead

    const info: FaultRequest = { method: record.method, path, url: new URL(path, proxyOrigin), headers: req.headers }
    const action = takeFault(info)
    if (action) {
      record.fault = kindOf(action)
      if (action.delayMs) await sleep(action.delayMs)
      if (('reset' in action && action.reset === 'before-upstream') || 'stallHeaders' in action) {
        req.resume()
        if ('reset' in action) resetSocket(res.socket)
        // A stalled answer is never written; the socket is closed when the client gives up or the proxy stops.
        return
      }
      if ('status' in action) {
        req.resume()
        await new Promise<void>((resolve) => (req.complete ? resolve() : req.once('end', resolve).once('close', resolve)))
        const body =
          action.body === undefined
            ? defaultFaultBody(action.status)
            : Buffer.isBuffer(action.body) || typeof action.body === 'string'
              ? action.body
              : JSON.stringify(action.body)
        const headers: OutgoingHttpHeaders = {
          'content-length': Buffer.byteLength(body),
          ...(action.body === undefined || typeof action.body === 'object' ? { 'content-type': 'application/json' } : {}),
          ...action.headers,
        }
        res.writeHead(action.status, headers)
        res.end(req.method === 'HEAD' ? undefined : body)
        return
      }
    }
    let buffered: Buffer | undefined
    if (opts.intercept) {
      const ctx: InterceptContext = {
        res,
        body: async () => {
          if (!buffered) {
            const chunks: Buffer[] = []
            for await (const chunk of req) chunks.push(chunk as Buffer)
            buffered = Buffer.concat(chunks)
          }
          return buffered
        },
        forward: () => forward(req, res, record, buffered, undefined),
        upstream: upstreamUrl,
        proxyUrl: proxyOrigin,
        record,
      }
      if (await opts.intercept(req, ctx)) {
        record.intercepted = true
        return
      }
    }
    await forward(req, res, record, buffered, action)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(`fault proxy error: ${String(err)}`)
      } else {
        res.destroy()
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  server.unref()
  const { port } = server.address() as AddressInfo
  proxyOrigin = `http://127.0.0.1:${port}`

  return {
    url: proxyOrigin,
    host: `127.0.0.1:${port}`,
    upstream: upstreamUrl,
    requests,
    addFault(fault) {
      const entry = { fault, hits: 0, remaining: fault.times ?? 1 }
      faults.push(entry)
      return {
        get hits() {
          return entry.hits
        },
        get remaining() {
          return entry.remaining
        },
        remove: () => {
          const i = faults.indexOf(entry)
          if (i >= 0) faults.splice(i, 1)
        },
      }
    },
    clearFaults() {
      faults.length = 0
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
        agent.destroy()
      }),
  }
}
