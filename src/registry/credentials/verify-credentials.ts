/**
 * Checking a login before it is saved, as `docker login` does: the API version check
 * (`GET /v2/`) with the credential, through whatever flow the registry asks for (Basic, token
 * GET with Basic credentials, OAuth2 refresh token).
 * Reference: https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#determining-support
 */
import { RegistryAuthenticator } from '../auth/authenticator.js'
import type { Credential } from '../auth/credential.js'
import { RegistryClient, releaseBody, type RegistryClientOptions } from '../http/client.js'
import { AuthenticationError } from '../http/response-errors.js'

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
  } catch (err) {
    if (!(err instanceof AuthenticationError)) throw err
    // Not chained as the cause: its advice is to log in, which is what is being done.
    const username = 'username' in credential ? credential.username : undefined
    const who = username !== undefined ? `the user ${username}` : 'the token'
    throw new AuthenticationError(`${registry} refused the credentials of ${who}: ${err.message}`, {
      suggestions: [
        'check the user name and the password or token (ECR takes the user AWS, GCR and Artifact Registry oauth2accesstoken)',
        'nothing was stored',
      ],
    })
  } finally {
    await client.close()
  }
}
