/**
 * The one place a ready-to-use RegistryClient is assembled: host settings from flags,
 * environment and the host configuration file; Docker's credentials (config.json, credential
 * helpers, containers auth files); the authenticator that runs Basic, token and OAuth2 flows.
 * Commands and the repository layer call this instead of wiring the parts themselves.
 */
import type { Dispatcher } from 'undici'
import { RegistryAuthenticator } from '../auth/authenticator.js'
import type { CredentialLookup } from '../auth/credential.js'
import { dockerCredentials } from '../credentials/resolve-credential.js'
import { RegistryClient } from '../http/client.js'
import type { RetryPolicy } from '../http/retry.js'
import { resolveHostConfigs, type HostConfigFlags } from './resolve-host-configs.js'

export interface CreateRegistryClientOptions {
  /** Default process.env (host settings, Docker config location, credential helpers' PATH). */
  env?: NodeJS.ProcessEnv
  /** Host configuration file. Default: `$OCIBUNDLE_CONFIG`, else `${XDG_CONFIG_HOME:-~/.config}/ocibundle/config.json`. */
  configFile?: string
  /** `--plain-http`, `--insecure`, `--ca-file` and the registries they apply to. */
  flags?: HostConfigFlags
  /** Where credentials come from. Default: Docker's (dockerCredentials). */
  credentials?: CredentialLookup
  /** Kills a credential helper after this long (default 60 s); only for the default credentials. */
  helperTimeoutMs?: number
  /** Replaces the network (tests: undici MockAgent). */
  dispatcher?: Dispatcher
  retry?: RetryPolicy
  userAgent?: string
}

/**
 * Builds a RegistryClient with host settings resolved and Docker-compatible authentication.
 * Throws InputError for a malformed host configuration file or variable, or an unreadable CA
 * file. Close the client when done (`client.close()`).
 */
export async function createRegistryClient(options: CreateRegistryClientOptions = {}): Promise<RegistryClient> {
  const env = options.env ?? process.env
  const hosts = await resolveHostConfigs({
    env,
    ...(options.configFile !== undefined && { file: options.configFile }),
    ...(options.flags && { flags: options.flags }),
  })
  const credentials =
    options.credentials ??
    dockerCredentials({ env, ...(options.helperTimeoutMs !== undefined && { helperTimeoutMs: options.helperTimeoutMs }) })
  const auth = new RegistryAuthenticator(credentials, {
    ...(options.retry && { retry: options.retry }),
    ...(options.userAgent !== undefined && { userAgent: options.userAgent }),
  })
  return new RegistryClient({
    hosts,
    auth,
    ...(options.retry && { retry: options.retry }),
    ...(options.dispatcher && { dispatcher: options.dispatcher }),
    ...(options.userAgent !== undefined && { userAgent: options.userAgent }),
  })
}
