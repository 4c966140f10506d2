/**
 * Checking a login before it is saved, as `docker login` does: the API version check
 * (`GET /v2/`) with the credential, through whatever flow the registry asks for (Basic, token
 * GET with Basic credentials, OAuth2 refresh token).
 * Reference: https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#determining-support
 */
import { RegistryAuthenticator } from '../auth/authenticator.js'
import type { Credential } from '../auth/credential.js'
import { RegistryClient, releaseBody, type RegistryClientOptions } from '../http/client.js'

/**
 * Sends `GET /v2/` to `registry` with `credential` and resolves when the registry accepts it.
 * A registry that answers without asking for credentials accepts any (there is nothing to check).
 * Throws AuthenticationError when the credential is refused (by the registry or its token
 * server), and the client's errors for other failures (network, TLS, 5xx).
 */
export async function verifyCredentials(
  options: Omit<RegistryClientOptions, 'auth'>,
  registry: string,
  credential: Credential,
): Promise<void> {
  const client = new RegistryClient({
    ...options,
    auth: new RegistryAuthenticator(async () => credential, {
      ...(options.retry && { retry: options.retry }),
      ...(options.userAgent !== undefined && { userAgent: options.userAgent }),
    }),
  })
  try {
    const res = await client.request({ method: 'GET', registry, path: '/v2/', scopes: [] })
    releaseBody(res.body)
  } finally {
    await client.close()
  }
}
