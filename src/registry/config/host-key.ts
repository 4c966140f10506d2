/**
 * Registry names used as keys of host settings. RegistryClient looks settings up by the registry
 * as parsed from references (lower-case host, Docker Hub as `docker.io`), so keys from files,
 * environment variables and flags are brought to that form.
 */
import { InputError } from '../../errors.js'
import { canonicalRegistryHost } from '../credentials/server-address.js'

/** Settings under this key apply to every registry without its own entry. */
export const ALL_HOSTS = '*'

/**
 * `host[:port]` lower-cased, Docker Hub's host names mapped to `docker.io`; `*` as is. Throws
 * InputError (mentioning `where`) for a URL or a path: settings are per registry host.
 */
export function normalizeHostKey(key: string, where: string): string {
  const trimmed = key.trim()
  if (trimmed === ALL_HOSTS) return ALL_HOSTS
  if (trimmed === '' || /[/\s]/.test(trimmed) || trimmed.includes('://')) {
    throw new InputError(`${where}: "${key}" is not a registry host; write host[:port], e.g. localhost:5000`)
  }
  return canonicalRegistryHost(trimmed)
}
