/**
 * How to reach a registry host: scheme and TLS settings. HTTPS is the default; plain HTTP is
 * chosen automatically only for loopback hosts, the way Docker and regclient treat localhost.
 */
import { isIP } from 'node:net'
import { DOCKER_HUB, DOCKER_HUB_API_HOST } from '../../oci/reference.js'

/** How to reach one registry host: scheme, TLS settings, client certificate and proxy. */
export interface HostConfig {
  /** Talk plain HTTP. Undefined → automatic: only for localhost, 127.0.0.0/8 and ::1. */
  plainHttp?: boolean
  /** Skip TLS certificate verification (never the default). */
  insecure?: boolean
  /** PEM file of extra certificate authorities to trust for this host. */
  caFile?: string
  /** Time limit for opening a connection, in ms. Undefined → 30 000 (src/registry/http/timeouts.ts). */
  connectTimeoutMs?: number
  /** Time limit from the end of a request to its complete response headers, in ms. Undefined → 60 000. */
  headersTimeoutMs?: number
  /** Time limit between two chunks of a response body, in ms. Undefined → 60 000. */
  idleTimeoutMs?: number
  /** PEM file of the client certificate to present (mutual TLS); its key is `keyFile`, or in the same file. */
  certFile?: string
  /** PEM file of the private key of `certFile`. */
  keyFile?: string
  /**
   * The proxy for this registry's requests (`http://[user:password@]host:port`, or `https://…`),
   * or false to connect directly. Undefined → the environment's (HTTPS_PROXY,
   * HTTP_PROXY, ALL_PROXY, NO_PROXY; src/registry/http/proxy.ts).
   */
  proxy?: string | false
}

/** Splits `host[:port]`, keeping IPv6 brackets off the host name. */
export function splitHostPort(registry: string): { hostname: string; port?: string } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(registry) ?? /^([^:]+)(?::(\d+))?$/.exec(registry)
  if (!m) return { hostname: registry }
  return m[2] === undefined ? { hostname: m[1]! } : { hostname: m[1]!, port: m[2] }
}

/** localhost, 127.0.0.0/8 and ::1: registries that are on this machine. */
export function isLoopbackRegistry(registry: string): boolean {
  const { hostname } = splitHostPort(registry)
  const h = hostname.toLowerCase()
  if (h === 'localhost' || h.endsWith('.localhost')) return true
  if (isIP(h) === 4) return h.startsWith('127.')
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1'
  return false
}

/** The origin API requests go to: scheme plus host, Docker Hub mapped to its API host. */
export function registryOrigin(registry: string, config: HostConfig = {}): string {
  const host = registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry
  const plain = config.plainHttp ?? isLoopbackRegistry(registry)
  return `${plain ? 'http' : 'https'}://${host}`
}
