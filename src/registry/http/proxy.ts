/**
 * Proxies: which proxy a request to an origin goes through, and the dispatcher that sends it
 * there. The environment's variables work as in Go's golang.org/x/net/http/httpproxy (what
 * docker, skopeo, oras and regctl use:
 * https://github.com/golang/net/blob/master/http/httpproxy/proxy.go), with curl's `ALL_PROXY`
 * added (https://everything.curl.dev/usingcurl/proxies/env):
 *
 * - `HTTPS_PROXY` for https origins, `HTTP_PROXY` for http ones, `ALL_PROXY` for either when
 *   its own is unset; upper case first, then lower case; an empty value is unset. A value
 *   without a scheme (`proxy:3128`) is `http://proxy:3128`; `https://` proxies work too. A value
 *   that is no http or https proxy URL (a SOCKS proxy, a typo) fails only the requests it would
 *   carry, with a ProxyError naming the variable.
 * - `NO_PROXY` (or `no_proxy`): comma-separated; `*` for every host; an IP address, or a CIDR
 *   block (`10.0.0.0/8`); a domain name, which matches itself and its subdomains (`corp.example`
 *   matches `registry.corp.example`), or with a leading dot its subdomains only (`.corp.example`);
 *   `*.corp.example` is `.corp.example`; each entry may end in `:port` to match that port only.
 *   Where curl and Go disagree (curl's leading dot also matches the domain itself), Go's rule is
 *   followed, being what the other registry clients do.
 * - `localhost` and loopback addresses (127.0.0.0/8, ::1) never go through the environment's
 *   proxy, as in Go: a proxy cannot reach this machine's registry.
 *
 * A proxy given for a registry (`--proxy`, `proxy` of its host settings) replaces the
 * environment's for every request made for that registry (its token server and blob redirects
 * included) and ignores `NO_PROXY`; `false` connects directly. Proxy credentials
 * (`http://user:password@proxy:3128`) are sent as Basic Proxy-Authorization and never shown:
 * every message names a proxy by redactUrl.
 */
import { BlockList, isIP } from 'node:net'
import { createRequire } from 'node:module'
import type { Dispatcher, ProxyAgent as UndiciProxyAgent } from 'undici'
import { InputError, OcibundleError } from '../../errors.js'
import { Agent } from './undici.js'

const require = createRequire(import.meta.url)
// Loaded from their modules like the rest of undici (src/registry/http/undici.ts), only when a proxy is used.
const loadProxyAgent = (): typeof UndiciProxyAgent => {
  // ProxyAgent opens its tunnels with Dispatcher#connect, which undici's package index installs
  // on the prototype with the other API methods; without the index, install that one here.
  const prototype = loadDispatcher().prototype as unknown as { connect?: unknown }
  prototype.connect ??= require('undici/lib/api/api-connect.js')
  return require('undici/lib/dispatcher/proxy-agent.js') as typeof UndiciProxyAgent
}
const loadDispatcher = () => require('undici/lib/dispatcher/dispatcher.js') as typeof import('undici').Dispatcher
const loadWrapHandler = () => require('undici/lib/handler/wrap-handler.js') as { wrap(handler: unknown): Dispatcher.DispatchHandler }

/** The proxies the environment names; see proxyEnvironment. */
export interface ProxyEnvironment {
  /** For https origins: `HTTPS_PROXY`, `https_proxy`, else `ALL_PROXY`, `all_proxy`, as given. */
  https?: string
  /** For http origins: `HTTP_PROXY`, `http_proxy`, else `ALL_PROXY`, `all_proxy`, as given. */
  http?: string
  /** Hosts reached directly: `NO_PROXY`, `no_proxy`. */
  noProxy?: string
  /** The variable each proxy came from (`HTTPS_PROXY`, `all_proxy`, …), for messages. */
  sources?: { https?: string; http?: string }
}

/**
 * The proxy variables of `env` (see the module comment), as given: a value is checked when a
 * request would go through it, so that a proxy variable meant for other tools (a SOCKS proxy
 * for git, say) stops nothing that does not use it.
 */
export function proxyEnvironment(env: NodeJS.ProcessEnv): ProxyEnvironment {
  const pick = (...names: string[]): { name: string; value: string } | undefined => {
    for (const name of names) if (env[name]) return { name, value: env[name]! }
    return undefined
  }
  const https = pick('HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy')
  const http = pick('HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy')
  const noProxy = pick('NO_PROXY', 'no_proxy')
  return {
    ...(https && { https: https.value }),
    ...(http && { http: http.value }),
    ...(noProxy && { noProxy: noProxy.value }),
    ...((https || http) && { sources: { ...(https && { https: https.name }), ...(http && { http: http.name }) } }),
  }
}

const PROXY_SCHEMES = new Set(['http:', 'https:'])

/**
 * A proxy URL as users write it: a URL, or `host:port` (then `http://`). Throws InputError
 * naming where it came from (`source`), with the value redacted.
 */
export function parseProxyUrl(value: string, source: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    throw new InputError(`the proxy from ${source} is not a URL; write http://[user:password@]host:port`)
  }
  if (!PROXY_SCHEMES.has(url.protocol) || url.hostname === '') {
    throw new InputError(`the proxy ${redactUrl(url)} from ${source} is not an http or https proxy URL`)
  }
  return url
}

/** `url` with its user name and password replaced by `***`, for messages. */
export function redactUrl(url: URL | string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return '(a proxy URL)'
  }
  if (u.username === '' && u.password === '') return u.href.replace(/\/$/, '')
  u.username = '***'
  u.password = ''
  return u.href.replace(/\/$/, '')
}

/**
 * The proxy for a request to `url`: the registry's own (`explicit`: a URL, or false for none),
 * else the environment's for its scheme unless the host is loopback or listed in `NO_PROXY`.
 */
export function proxyFor(url: URL, explicit: string | false | undefined, env: ProxyEnvironment): string | undefined {
  if (explicit !== undefined) return explicit === false ? undefined : explicit
  const proxy = url.protocol === 'https:' ? env.https : url.protocol === 'http:' ? env.http : undefined
  if (proxy === undefined) return undefined
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  if (isLoopback(host) || bypassesProxy(host, port, env.noProxy ?? '')) return undefined
  return proxy
}

/** Whether `NO_PROXY` (`noProxy`) lists `host` (a name or an IP address) on `port`; see the module comment. */
export function bypassesProxy(host: string, port: string, noProxy: string): boolean {
  const family = isIP(host)
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim().toLowerCase()
    if (entry === '') continue
    if (entry === '*') return true
    const cidr = /^([0-9a-f:.]+)\/(\d{1,3})$/.exec(entry)
    if (cidr !== null) {
      const net = isIP(cidr[1]!)
      if (net !== 0 && net === family) {
        const list = new BlockList()
        list.addSubnet(cidr[1]!, Number(cidr[2]), net === 4 ? 'ipv4' : 'ipv6')
        if (list.check(host, family === 4 ? 'ipv4' : 'ipv6')) return true
      }
      continue
    }
    const { name, port: entryPort } = splitEntry(entry)
    if (name === '' || (entryPort !== undefined && entryPort !== port)) continue
    if (isIP(name) !== 0) {
      if (family !== 0 && sameAddress(name, host)) return true
      continue
    }
    const suffix = name.startsWith('*.') ? name.slice(1) : name
    if (suffix.startsWith('.') ? host.endsWith(suffix) : host === suffix || host.endsWith(`.${suffix}`)) return true
  }
  return false
}

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address. */
function splitEntry(entry: string): { name: string; port?: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry)
  if (bracketed !== null) return { name: bracketed[1]!, ...(bracketed[2] !== undefined && { port: bracketed[2] }) }
  if (isIP(entry) === 6) return { name: entry }
  const m = /^(.*):(\d+)$/.exec(entry)
  return m === null ? { name: entry } : { name: m[1]!, port: m[2]! }
}

function sameAddress(a: string, b: string): boolean {
  const list = new BlockList()
  const family = isIP(a) === 4 ? 'ipv4' : 'ipv6'
  list.addAddress(a, family)
  return list.check(b, isIP(b) === 4 ? 'ipv4' : 'ipv6')
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  if (isIP(host) === 6) return sameAddress('::1', host) || /^::ffff:127\./.test(host)
  return false
}

/** A proxy refused or could not carry a request; the message names the proxy without its credentials. */
export class ProxyError extends OcibundleError {
  override readonly code: string = 'ERR_PROXY'
}

/** TLS settings of the connections to a registry (Node's tls.connect options). */
export interface TlsSettings {
  /** Time limit for opening a connection (to the registry, or to the proxy), in ms. */
  timeout?: number
  rejectUnauthorized?: boolean
  ca?: string[]
  cert?: string
  key?: string
}

/**
 * The dispatcher for one registry's requests: a plain Agent when no proxy can apply, else one
 * that sends each request through the proxy proxyFor chooses for its origin (undici's
 * ProxyAgent: CONNECT tunnels for https origins, absolute-URI forwarding for http ones through
 * an http proxy), turning a proxy's refusal into ProxyError.
 */
export function createDispatcher(tls: TlsSettings, explicit: string | false | undefined, env: ProxyEnvironment): Dispatcher {
  const direct = (): Dispatcher => new Agent({ connections: 16, connect: tls })
  if (explicit === false || (explicit === undefined && env.https === undefined && env.http === undefined)) return direct()
  const Base = loadDispatcher()
  const ProxyAgent = loadProxyAgent()
  const wrap = loadWrapHandler()
  class ProxyRouter extends Base {
    private readonly agents = new Map<string, Dispatcher>()

    private agentFor(proxy: string | undefined): Dispatcher {
      const key = proxy ?? ''
      let agent = this.agents.get(key)
      if (agent === undefined) {
        agent =
          proxy === undefined
            ? direct()
            : new ProxyAgent({
                uri: proxy,
                connections: 16,
                // Plain-HTTP registries are reached by forwarding, as curl and Go do; https ones through CONNECT.
                proxyTunnel: false,
                requestTls: tls,
                proxyTls: { ...(tls.timeout !== undefined && { timeout: tls.timeout }), ...(tls.ca !== undefined && { ca: tls.ca }) },
              })
        this.agents.set(key, agent)
      }
      return agent
    }

    override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      const origin = new URL(String(opts.origin))
      const chosen = proxyFor(origin, explicit, env)
      const proxy = chosen === undefined ? undefined : usableProxy(chosen, explicit, env, origin).href
      const agent = this.agentFor(proxy)
      if (proxy === undefined) return agent.dispatch(opts, handler)
      // A forwarded request gets a connection of its own: proxies differ in whether they keep
      // one open (tinyproxy closes it without saying so), and an upload must not be sent on a
      // connection that is closing. CONNECT tunnels stay open as usual.
      const forwarded = origin.protocol === 'http:'
      return agent.dispatch(forwarded ? { ...opts, reset: true } : opts, proxyErrors(wrap.wrap(handler), proxy, origin))
    }

    override async close(): Promise<void> {
      await Promise.all([...this.agents.values()].map((a) => a.close()))
    }

    override async destroy(): Promise<void> {
      await Promise.all([...this.agents.values()].map((a) => a.destroy()))
    }
  }
  return new ProxyRouter() as unknown as Dispatcher
}

/**
 * The proxy URL to connect through. An explicit one was checked where it was given; one from the
 * environment is checked here, when a request needs it: ProxyError names the variable.
 */
function usableProxy(proxy: string, explicit: string | false | undefined, env: ProxyEnvironment, origin: URL): URL {
  if (explicit !== undefined) return new URL(proxy)
  const variable = (origin.protocol === 'https:' ? env.sources?.https : env.sources?.http) ?? 'the environment'
  try {
    return parseProxyUrl(proxy, variable)
  } catch (err) {
    throw new ProxyError((err as Error).message, { suggestions: [`fix or unset ${variable}, or give --proxy`] })
  }
}

/** `handler` with the errors a proxy causes turned into ProxyError. */
function proxyErrors(handler: Dispatcher.DispatchHandler, proxy: string, origin: URL): Dispatcher.DispatchHandler {
  return {
    onRequestStart: (c, ctx) => handler.onRequestStart?.(c, ctx),
    onRequestUpgrade: (c, status, headers, socket) => handler.onRequestUpgrade?.(c, status, headers, socket),
    onResponseStart: (c, status, headers, message) => handler.onResponseStart?.(c, status, headers, message),
    onResponseData: (c, chunk) => handler.onResponseData?.(c, chunk),
    onResponseEnd: (c, trailers) => handler.onResponseEnd?.(c, trailers),
    onResponseError: (c, err) => handler.onResponseError?.(c, proxyError(err, proxy, origin)),
  }
}

/** What a proxy's failure means, or `err` unchanged when the proxy is not what failed. */
export function proxyError(err: Error, proxy: string, origin: URL): Error {
  const shown = redactUrl(proxy)
  const code = (err as { code?: string }).code ?? ''
  const status = /Proxy response \((\d+)\)|Proxy Authentication Required \((\d+)\)/.exec(err.message)
  const statusCode = status === null ? undefined : Number(status[1] ?? status[2])
  if (statusCode === 401 || statusCode === 407) {
    return new ProxyError(`the proxy ${shown} refused the request to ${origin.host}: authentication required (${statusCode})`, {
      cause: err,
      suggestions: ['give the proxy credentials in its URL, http://user:password@host:port (characters such as @ and : percent-encoded)'],
    })
  }
  if (statusCode !== undefined) {
    return new ProxyError(`the proxy ${shown} would not connect to ${origin.host} (it answered ${statusCode})`, {
      cause: err,
      suggestions: [
        `check that the proxy may reach ${origin.host}, or list the registry in NO_PROXY to reach it directly`,
        'a registry the proxy cannot resolve or reach is answered 502 or 503 by most proxies',
      ],
    })
  }
  // Every connection goes to the proxy, so a failure to connect is a failure to reach it.
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'].includes(code)) {
    return new ProxyError(`the proxy ${shown} cannot be reached (${code})`, {
      cause: err,
      suggestions: ['check the proxy address (--proxy, HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, or proxy in the host configuration file)'],
    })
  }
  return err
}
