/**
 * What a registry login is made of, in the three forms Docker's config knows
 * (https://github.com/docker/cli/blob/master/cli/config/types/authconfig.go): a user name and
 * password; an identity token, which is an OAuth2 refresh token (`identitytoken`, written by
 * `az acr login` and by helpers answering the `<token>` user name); or a registry token, a
 * ready-made bearer token (`registrytoken`).
 */

/** A user name and password (or a personal access token used as one). */
export interface PasswordCredential {
  /** The account name. */
  username: string
  /** The password or access token; a secret. */
  password: string
}

/**
 * An OAuth2 refresh token, exchanged for access tokens at the realm
 * (https://github.com/distribution/distribution/blob/v2.8.2/docs/spec/auth/oauth.md).
 */
export interface IdentityTokenCredential {
  /** The refresh token; a secret. */
  identityToken: string
  /** The account the token belongs to, when known (Docker keeps it next to the token). */
  username?: string
}

/** A bearer token sent to the registry as it is. */
export interface RegistryTokenCredential {
  /** The bearer token; a secret. */
  registryToken: string
}

/** A registry login in one of its three forms, told apart by which secret field it has. */
export type Credential = PasswordCredential | IdentityTokenCredential | RegistryTokenCredential

/**
 * Finds the credential for a registry as written in references (`docker.io`, `localhost:5000`),
 * or undefined for anonymous access. See src/registry/credentials for the Docker-compatible one.
 */
export type CredentialLookup = (registry: string) => Promise<Credential | undefined>

/** Type guards for the three credential forms. */
export function isPasswordCredential(c: Credential | undefined): c is PasswordCredential {
  return c !== undefined && 'password' in c
}

export function isIdentityTokenCredential(c: Credential | undefined): c is IdentityTokenCredential {
  return c !== undefined && 'identityToken' in c
}

export function isRegistryTokenCredential(c: Credential | undefined): c is RegistryTokenCredential {
  return c !== undefined && 'registryToken' in c
}

/** `Basic base64(user:password)` (RFC 7617). */
export function basicAuthorization(c: PasswordCredential): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`
}

/** The secret strings of a credential, for {@link redact}. */
export function secretsOf(c: Credential | undefined): string[] {
  if (c === undefined) return []
  if (isPasswordCredential(c)) return [c.password, basicAuthorization(c).slice('Basic '.length)]
  if (isIdentityTokenCredential(c)) return [c.identityToken]
  return [c.registryToken]
}

/**
 * Replaces every occurrence of the secrets in text that came from elsewhere (a token server's
 * error body, a credential helper's output) before it goes into an error message. Secrets shorter
 * than 4 characters are left alone: replacing them would mangle the text and hide nothing.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***')
  return out
}
