/**
 * The one place a ready-to-use RegistryClient is assembled from RegistryOptions: host settings
 * from the options, the environment and the host configuration file; credentials from the
 * options or Docker's configuration (config.json, credential helpers, containers auth files);
 * the authenticator that runs Basic, token and OAuth2 flows. Every operation that talks to
 * registries goes through this instead of wiring the parts itself.
 */
import { RegistryAuthenticator } from '../auth/authenticator.js'
import type { CredentialLookup } from '../auth/credential.js'
import { dockerCredentials } from '../credentials/resolve-credential.js'
import { RegistryClient } from '../http/client.js'
import { proxyEnvironment } from '../http/proxy.js'
import type { HostConfig } from '../http/host-config.js'
import { credentialMap, environmentOf, hostConfigLayers, type RegistryOptions } from './registry-options.js'
import { resolveHostConfigs } from './resolve-host-configs.js'

/**
 * Builds a RegistryClient. `plainHttp`, `insecure`, `caFile`, `certFile`, `keyFile` and
 * `proxy` apply to `registries` (the ones the operation names), or to every registry when
 * undefined; the environment's proxies to the others. Throws InputError for a malformed host
 * configuration file, variable or proxy URL, an unreadable CA file, or an unusable client
 * certificate. Close the client when done (`client.close()`).
 */
export async function createRegistryClient(options: RegistryOptions = {}, registries?: readonly string[]): Promise<RegistryClient> {
  const hosts = await resolveRegistryHosts(options, registries)
  const auth = new RegistryAuthenticator(credentialLookup(options), {
    ...(options.retry && { retry: options.retry }),
    ...(options.userAgent !== undefined && { userAgent: options.userAgent }),
  })
  return new RegistryClient({
    hosts,
    auth,
    proxies: proxyEnvironment(environmentOf(options)),
    ...(options.retry && { retry: options.retry }),
    ...(options.dispatcher && { dispatcher: options.dispatcher }),
    ...(options.userAgent !== undefined && { userAgent: options.userAgent }),
  })
}

/** The transport settings of every registry the options, the environment and the host configuration file name. */
export function resolveRegistryHosts(options: RegistryOptions, registries?: readonly string[]): Promise<Record<string, HostConfig>> {
  return resolveHostConfigs(hostConfigLayers(options, registries))
}

/** Where the credentials of `options` come from: the given lookup or map, else Docker's configuration. */
export function credentialLookup(options: RegistryOptions): CredentialLookup {
  if (typeof options.credentials === 'function') return options.credentials
  if (options.credentials !== undefined) return credentialMap(options.credentials)
  return dockerCredentials({
    env: environmentOf(options),
    ...(options.helperTimeoutMs !== undefined && { helperTimeoutMs: options.helperTimeoutMs }),
  })
}
