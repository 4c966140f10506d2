/**
 * Test harness around the real CNCF distribution registry (Debian `docker-registry` 2.8.2):
 * start one (`startRegistry`), put a fault-injecting proxy in front of it (`startFaultProxy`),
 * seed or inspect it with raw HTTP (`raw-http`), or drive it with skopeo (`skopeo`).
 * System tools come from scripts/install-system-deps.sh.
 */
export { startRegistry, TEST_USERNAME, TOKEN_ISSUER, TOKEN_SERVICE } from './server.js'
export type { RegistryVariant, RunningRegistry, StartRegistryOptions } from './server.js'
export { startFaultProxy, matchRequest } from './fault-proxy.js'
export type {
  Fault,
  FaultAction,
  FaultHandle,
  FaultKind,
  FaultProxy,
  FaultProxyOptions,
  FaultRequest,
  InterceptContext,
  ProxyRequestRecord,
} from './fault-proxy.js'
export { defaultPolicy } from './token-issuer.js'
export type { AccessPolicy, TokenIssuer, TokenRequestRecord } from './token-issuer.js'
export { decodeToken, parseScope } from './jwt.js'
export type { AccessEntry, TokenClaims } from './jwt.js'
export { basicAuth, fetchToken, pushBlob, pushManifest, rawRequest, registryRequest, sha256 } from './raw-http.js'
export type { IncompleteBodyError, RawRequestOptions, RawResponse, RegistryEndpoint } from './raw-http.js'
export { runSkopeo, writeTinyOciLayout } from './skopeo.js'
export type { TinyLayout } from './skopeo.js'
export { INSTALL_HINT, requireBinary } from './bins.js'
