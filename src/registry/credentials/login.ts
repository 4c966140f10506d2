/**
 * `login` and `logout` as library calls: check a credential against the registry, then store it
 * the way `docker login` does (src/registry/credentials/save-credentials.ts), or remove it.
 */
import { UsageError } from '../../errors.js'
import type { IdentityTokenCredential, PasswordCredential } from '../auth/credential.js'
import { environmentOf, type RegistryOptions } from '../config/registry-options.js'
import { resolveRegistryHosts } from '../config/create-registry-client.js'
import { proxyEnvironment } from '../http/proxy.js'
import { removeCredentials, saveCredentials, type CredentialLocation } from './save-credentials.js'
import { canonicalRegistryHost } from './server-address.js'
import { verifyCredentials } from './verify-credentials.js'

/** What login checked and where it stored the credential. */
export interface LoginResult {
  /** The registry as references name it (`docker.io` for Docker Hub). */
  registry: string
  /** The credential's user name, when it has one. */
  username?: string
  /** The credential helper or the config.json file the credential went to. */
  storedIn: CredentialLocation
}

/** What logout removed. */
export interface LogoutResult {
  /** The registry as references name it (`docker.io` for Docker Hub). */
  registry: string
  /** False when nothing was stored for the registry. */
  removed: boolean
}

/**
 * Checks `credential` against `registry` (`GET /v2/` through whatever flow the registry asks
 * for) and stores it in Docker's configuration: the credential helper configured for the
 * registry, else `auths` of config.json (mode 0600). `registry` is `host[:port]`, optionally
 * with `https://`. Throws UsageError for something that is not a registry host,
 * AuthenticationError when the registry refuses the credential, and the client's errors
 * (network, TLS) otherwise; nothing is stored then.
 */
export async function login(
  registry: string,
  credential: PasswordCredential | IdentityTokenCredential,
  options: RegistryOptions = {},
): Promise<LoginResult> {
  const host = parseRegistryHost(registry)
  if (credential.username?.includes(':'))
    throw new UsageError('a user name must not contain ":" (it separates user and password in the stored "auth")')
  const hosts = await resolveRegistryHosts(options, [host])
  await verifyCredentials(
    {
      hosts,
      proxies: proxyEnvironment(environmentOf(options)),
      ...(options.retry && { retry: options.retry }),
      ...(options.dispatcher && { dispatcher: options.dispatcher }),
      ...(options.userAgent !== undefined && { userAgent: options.userAgent }),
    },
    host,
    credential,
  )
  const storedIn = await saveCredentials(host, credential, credentialStoreOptions(options))
  return { registry: host, ...(credential.username !== undefined && { username: credential.username }), storedIn }
}

/** Removes the stored credential of `registry` from its credential helper and from config.json, as `docker logout` does. */
export async function logout(registry: string, options: RegistryOptions = {}): Promise<LogoutResult> {
  const host = parseRegistryHost(registry)
  return { registry: host, removed: await removeCredentials(host, credentialStoreOptions(options)) }
}

/**
 * A registry as users write it for login: `host[:port]`, optionally with `http(s)://` and a
 * trailing slash; returned as references name it (lower case, Docker Hub as `docker.io`).
 * Throws UsageError for anything with a path, a tag, white space or a malformed port.
 */
export function parseRegistryHost(input: string): string {
  const host = input.replace(/^https?:\/\//i, '').replace(/\/+$/, '')
  if (host.length === 0 || /[/@\s]/.test(host) || (host.includes(':') && !/^(\[[^\]]+\]|[^:]+):\d+$/.test(host))) {
    throw new UsageError(`"${input}" is not a registry host; give host[:port], e.g. registry.example.com or localhost:5000`)
  }
  return canonicalRegistryHost(host)
}

function credentialStoreOptions(options: RegistryOptions): { env: NodeJS.ProcessEnv; helperTimeoutMs?: number } {
  return { env: environmentOf(options), ...(options.helperTimeoutMs !== undefined && { helperTimeoutMs: options.helperTimeoutMs }) }
}
