/**
 * Which token realms we send requests (and credentials) to. A realm comes from the registry's
 * 401 answer, so a hostile or misconfigured registry could point it anywhere; plain HTTP would
 * expose the password or refresh token on the network.
 */
import { isLoopbackRegistry } from '../http/host-config.js'
import { AuthenticationError } from '../http/response-errors.js'

/**
 * Parses and checks a Bearer `realm`: it must be `https:`, or `http:` when the registry itself is
 * reached over plain HTTP (a loopback registry or one the user marked plain HTTP) and the realm
 * is on that same host or on a loopback address. Credentials then travel no less protected than
 * the registry traffic the user already accepted. Throws AuthenticationError otherwise.
 */
export function validateRealm(realm: string, registry: string, registryOrigin: string): URL {
  let url: URL
  try {
    url = new URL(realm)
  } catch {
    throw new AuthenticationError(`${registry} sent a Bearer challenge with an invalid realm URL`)
  }
  if (url.protocol === 'https:') return url
  const origin = new URL(registryOrigin)
  if (url.protocol === 'http:' && origin.protocol === 'http:' && (url.host === origin.host || isLoopbackRegistry(url.host))) return url
  throw new AuthenticationError(
    `refusing to request a token from ${url.protocol}//${url.host}${url.pathname} for ${registry}: ` +
      (url.protocol === 'http:'
        ? 'the token realm must use HTTPS unless the registry itself is reached over plain HTTP on the same host or loopback'
        : `${url.protocol} realms are not supported`),
    { suggestions: ["check the registry's token service configuration (auth.token.realm)"] },
  )
}
