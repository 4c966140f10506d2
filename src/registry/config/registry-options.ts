/**
 * How a library call reaches registries: the options every operation that may talk to a
 * registry takes (openTarget, publish, pull, copy, login, …). They cover what the CLI's
 * transport flags, the environment and Docker's configuration cover, and default to what the
 * CLI does: HTTPS with the system CAs, plain HTTP for loopback registries, the host
 * configuration file, and Docker's credentials.
 */
import type { Dispatcher } from 'undici'
import { canonicalRegistryHost } from '../credentials/server-address.js'
import type { Credential, CredentialLookup } from '../auth/credential.js'
import type { HostConfig } from '../http/host-config.js'
import type { RetryPolicy } from '../http/retry.js'
import type { HostConfigFlags, ResolveHostConfigsOptions } from './resolve-host-configs.js'

/**
 * How a call reaches registries: transport settings, credentials, environment, retries. Every
 * field is optional; the defaults are what the CLI does.
 */
export interface RegistryOptions {
  /**
   * Talk plain HTTP to the registries the operation names (`--plain-http`). Undefined → as the
   * environment and the host configuration file say, else automatic: plain HTTP only for
   * localhost, 127.0.0.0/8 and ::1 (unless they turn out to speak TLS).
   */
  plainHttp?: boolean
  /** Skip TLS certificate verification for the registries the operation names (`--insecure`). Never the default. */
  insecure?: boolean
  /** PEM file of extra certificate authorities for the registries the operation names (`--ca-file`). */
  caFile?: string
  /** PEM file of the client certificate to present to the registries the operation names (`--cert-file`; mutual TLS). */
  certFile?: string
  /** PEM file of the private key of `certFile` (`--key-file`). Undefined → the key is in `certFile`. */
  keyFile?: string
  /**
   * The proxy for the registries the operation names (`--proxy`): `http://[user:password@]host:port`
   * or `https://…`, or false to connect directly. It replaces the environment's
   * (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY), which applies otherwise.
   */
  proxy?: string | false
  /**
   * Time limit for opening a connection, in ms, for every host (`--connect-timeout`). Undefined →
   * the host configuration, else 30 000. Like the other limits, a stall is retried as a network error.
   */
  connectTimeoutMs?: number
  /** Time limit from the end of a request to its response headers, in ms, for every host (`--headers-timeout`). Undefined → the host configuration, else 60 000. */
  headersTimeoutMs?: number
  /** Time limit between two chunks of a response body, in ms, for every host (`--idle-timeout`). Undefined → the host configuration, else 60 000. */
  idleTimeoutMs?: number
  /**
   * Transport settings per registry (`host[:port]`, or `*` for every registry), as the host
   * configuration file writes them. They win over the environment and the file, and lose to
   * `plainHttp`, `insecure`, `caFile`, `certFile`, `keyFile` and `proxy`.
   */
  hosts?: Readonly<Record<string, HostConfig>>
  /** The host configuration file. Undefined → `$OCIBUNDLE_CONFIG`, else `${XDG_CONFIG_HOME:-~/.config}/ocibundle/config.json`. */
  configFile?: string
  /** The directory holding Docker's `config.json` (what `$DOCKER_CONFIG` names). Undefined → `$DOCKER_CONFIG`, else `~/.docker`. */
  dockerConfig?: string
  /**
   * Where credentials come from: a lookup, or a map from registry (`ghcr.io`, `localhost:5000`,
   * `docker.io`) to credential used instead of Docker's configuration (a registry not in the map
   * is accessed anonymously). Undefined → Docker's: credential helpers, then `auths` of
   * config.json, then the containers auth files.
   */
  credentials?: CredentialLookup | Readonly<Record<string, Credential>>
  /** Where environment settings come from (OCIBUNDLE_*, DOCKER_CONFIG, HOME, XDG_*, the proxy variables). Undefined → process.env. */
  env?: NodeJS.ProcessEnv
  /** Kills a Docker credential helper that has not answered after this long. Undefined → 60 s. */
  helperTimeoutMs?: number
  /** How requests are retried. Undefined → 408/429/5xx and network errors, with backoff and Retry-After (defaultRetryPolicy). */
  retry?: RetryPolicy
  /** User-Agent header of registry and token requests. Undefined → `ocibundle`. */
  userAgent?: string
  /** Replaces the network (tests: an undici MockAgent). */
  dispatcher?: Dispatcher
}

/** The options' transport settings as the flag layer of resolveHostConfigs, for `registries` (the ones an operation names). */
export function hostConfigLayers(options: RegistryOptions, registries: readonly string[] | undefined): ResolveHostConfigsOptions {
  const flags: HostConfigFlags = {
    ...(options.plainHttp !== undefined && { plainHttp: options.plainHttp }),
    ...(options.insecure !== undefined && { insecure: options.insecure }),
    ...(options.caFile !== undefined && { caFile: options.caFile }),
    ...(options.connectTimeoutMs !== undefined && { connectTimeoutMs: options.connectTimeoutMs }),
    ...(options.headersTimeoutMs !== undefined && { headersTimeoutMs: options.headersTimeoutMs }),
    ...(options.idleTimeoutMs !== undefined && { idleTimeoutMs: options.idleTimeoutMs }),
    ...(options.certFile !== undefined && { certFile: options.certFile }),
    ...(options.keyFile !== undefined && { keyFile: options.keyFile }),
    ...(options.proxy !== undefined && { proxy: options.proxy }),
    ...(registries !== undefined && { registries }),
  }
  return {
    flags,
    ...(options.hosts !== undefined && { hosts: options.hosts }),
    ...(options.configFile !== undefined && { file: options.configFile }),
    env: environmentOf(options),
  }
}

/** The environment with `dockerConfig` in place of `$DOCKER_CONFIG`. */
export function environmentOf(options: RegistryOptions): NodeJS.ProcessEnv {
  const env = options.env ?? process.env
  return options.dockerConfig !== undefined ? { ...env, DOCKER_CONFIG: options.dockerConfig } : env
}

/** A credential map as a lookup; registries are compared in the form references give them (`docker.io`, lower case). */
export function credentialMap(map: Readonly<Record<string, Credential>>): CredentialLookup {
  const byHost = new Map(Object.entries(map).map(([host, credential]) => [canonicalRegistryHost(host), credential]))
  return async (registry) => byHost.get(canonicalRegistryHost(registry))
}
