/**
 * Registry access: `RegistryRepository` (one repository as a GraphTarget with every optional
 * capability), the options every call that reaches registries takes, Docker-compatible
 * credentials and logins, and the HTTP client pieces they are built on.
 */
export { RegistryRepository, type PushedManifest, type RegistryRepositoryOptions } from './repository.js'
export { BodyNotReplayableError, MAX_CHUNK_BYTES, type UploadMode, type UploadOptions } from './upload.js'
export { referrersTag, type ReferrerRecord, type ReferrersMode, type ReferrersSupport } from './referrers.js'
export {
  anonymous,
  headerValue,
  RegistryClient,
  sameOriginUrl,
  type AuthContext,
  type Authenticator,
  type HttpMethod,
  type RegistryClientOptions,
  type RegistryRequest,
  type RegistryResponse,
  type RequestBody,
} from './http/client.js'
export { AuthenticationError, RegistryResponseError, type RegistryErrorDetail } from './http/response-errors.js'
export { NetworkError } from './http/transport-errors.js'
export { DEFAULT_TIMEOUTS, type Stall, type Timeouts } from './http/timeouts.js'
export { NotARegistryError } from './http/response-errors.js'
export { bypassesProxy, proxyEnvironment, proxyFor, ProxyError, redactUrl, type ProxyEnvironment } from './http/proxy.js'
export { isLoopbackRegistry, registryOrigin, type HostConfig } from './http/host-config.js'
export {
  backoffPolicy,
  defaultRetryPolicy,
  noRetry,
  parseRetryAfter,
  retryOutcomeOf,
  type BackoffOptions,
  type RetryOutcome,
  type RetryPolicy,
} from './http/retry.js'
export { createRegistryClient, credentialLookup, resolveRegistryHosts } from './config/create-registry-client.js'
export type { RegistryOptions } from './config/registry-options.js'
export type {
  Credential,
  CredentialLookup,
  IdentityTokenCredential,
  PasswordCredential,
  RegistryTokenCredential,
} from './auth/credential.js'
export { dockerCredentials, resolveCredential, type DockerCredentialOptions } from './credentials/resolve-credential.js'
export { removeCredentials, saveCredentials, type CredentialLocation } from './credentials/save-credentials.js'
export { verifyCredentials } from './credentials/verify-credentials.js'
export { login, logout, parseRegistryHost, type LoginResult, type LogoutResult } from './credentials/login.js'
export { CredentialHelperError } from './credentials/credential-helper.js'
