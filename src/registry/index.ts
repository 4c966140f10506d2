/**
 * Registry access: `RegistryRepository` (one repository as a GraphTarget with every optional
 * capability) and the HTTP client pieces it is built on.
 */
export { RegistryRepository, type RegistryRepositoryOptions } from './repository.js'
export { BodyNotReplayableError, MAX_CHUNK_BYTES, type UploadMode, type UploadOptions } from './upload.js'
export { referrersTag, type ReferrersSupport } from './referrers.js'
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
export { isLoopbackRegistry, registryOrigin, type HostConfig } from './http/host-config.js'
export {
  backoffPolicy,
  defaultRetryPolicy,
  noRetry,
  parseRetryAfter,
  type BackoffOptions,
  type RetryOutcome,
  type RetryPolicy,
} from './http/retry.js'
