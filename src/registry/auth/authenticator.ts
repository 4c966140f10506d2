/**
 * The Authenticator RegistryClient uses for real registries: Basic, Docker token (Bearer) and
 * OAuth2 refresh-token flows, driven by the registry's 401 challenges.
 *
 * Per registry it remembers which scheme the registry asked for, so later requests carry
 * credentials up front instead of paying a 401 round trip each: Basic for Basic registries, and
 * for Bearer registries a token for the request's exact scopes (cached, or fetched from the
 * remembered realm, as oras-go's auth.Client does). That also lets requests with a body that
 * cannot be replayed (streams) succeed without a challenge.
 *
 * References:
 *  - https://github.com/distribution/distribution/blob/main/docs/content/spec/auth/token.md
 *  - https://github.com/distribution/distribution/blob/main/docs/content/spec/auth/oauth.md
 *  - https://github.com/oras-project/oras-go/blob/main/registry/remote/auth/client.go
 */
import type { AuthContext, Authenticator } from '../http/client.js'
import { AuthenticationError } from '../http/response-errors.js'
import { defaultRetryPolicy, type RetryPolicy } from '../http/retry.js'
import { parseWwwAuthenticate } from './challenge.js'
import {
  basicAuthorization,
  isPasswordCredential,
  isRegistryTokenCredential,
  type Credential,
  type CredentialLookup,
} from './credential.js'
import { validateRealm } from './realm.js'
import { normalizeScopes } from './scope.js'
import { TokenCache, tokenCacheKey } from './token-cache.js'
import { fetchBearerToken } from './token-request.js'

export interface RegistryAuthenticatorOptions {
  /** Retries token requests on 408/429/5xx and network errors. Default: defaultRetryPolicy. */
  retry?: RetryPolicy
  /** User-Agent of token requests. Default `ocibundle`. */
  userAgent?: string
  /** Clock in epoch ms, for token expiry. Default Date.now. */
  now?: () => number
}

/** What a registry's challenges told us about how it authenticates. */
type HostScheme =
  | { kind: 'basic' }
  | { kind: 'bearer'; realm: URL; service?: string }
  /** The credential is a ready-made bearer token (`registrytoken`): sent as is, never exchanged. */
  | { kind: 'registry-token' }

export class RegistryAuthenticator implements Authenticator {
  private readonly schemes = new Map<string, HostScheme>()
  private readonly credentials = new Map<string, Promise<Credential | undefined>>()
  /**
   * The header `header()` returned for each request context. RegistryClient passes the same
   * context object to `header()` and `challenge()`, so a challenge can tell whether the cached
   * token was the one refused (fetch a new one) or was refreshed meanwhile by a concurrent request
   * (use it: no extra token request).
   */
  private readonly sent = new WeakMap<AuthContext, string | undefined>()
  private readonly tokens: TokenCache
  private readonly retry: RetryPolicy
  private readonly userAgent: string
  private readonly now: () => number

  /** `lookup` finds the credential for a registry; it is called at most once per registry (unless it throws). */
  constructor(
    private readonly lookup: CredentialLookup = async () => undefined,
    options: RegistryAuthenticatorOptions = {},
  ) {
    this.retry = options.retry ?? defaultRetryPolicy
    this.userAgent = options.userAgent ?? 'ocibundle'
    this.now = options.now ?? Date.now
    this.tokens = new TokenCache(this.now)
  }

  /**
   * The Authorization header to send before any challenge: Basic for a registry known to use it,
   * the stored registry token, or a bearer token for exactly `ctx.scopes` (cached, or fetched
   * from the realm the registry named before). Undefined when nothing is known about the registry
   * yet. Throws AuthenticationError when a token request is refused.
   */
  async header(ctx: AuthContext): Promise<string | undefined> {
    const scheme = this.schemes.get(ctx.registry)
    let header: string | undefined
    if (scheme?.kind === 'basic') {
      const credential = await this.credential(ctx.registry)
      header = isPasswordCredential(credential) ? basicAuthorization(credential) : undefined
    } else if (scheme?.kind === 'registry-token') {
      const credential = await this.credential(ctx.registry)
      header = isRegistryTokenCredential(credential) ? `Bearer ${credential.registryToken}` : undefined
    } else if (scheme?.kind === 'bearer') {
      const key = tokenCacheKey(ctx.registry, normalizeScopes(ctx.scopes))
      const cached = this.tokens.get(key)
      header = `Bearer ${cached ?? (await this.fetchToken(ctx, scheme, key, []))}`
    }
    this.sent.set(ctx, header)
    return header
  }

  /**
   * Answers a 401: a Bearer challenge gets a token for the request's scopes plus any the
   * challenge names (fetched anonymously without credentials, with Basic credentials on the GET,
   * or through the OAuth2 refresh-token POST for an identity token); a Basic challenge gets the
   * user name and password. Returns undefined when we have nothing better than what was refused.
   * Throws AuthenticationError for a realm we must not use or a token request that is refused.
   */
  async challenge(ctx: AuthContext, wwwAuthenticate: string): Promise<string | undefined> {
    const challenges = parseWwwAuthenticate(wwwAuthenticate)
    const bearer = challenges.find((c) => c.scheme === 'bearer')
    const basic = challenges.find((c) => c.scheme === 'basic')
    const sent = this.sent.get(ctx)
    if (bearer !== undefined) {
      const credential = await this.credential(ctx.registry)
      if (isRegistryTokenCredential(credential)) {
        this.schemes.set(ctx.registry, { kind: 'registry-token' })
        const header = `Bearer ${credential.registryToken}`
        return header === sent ? undefined : header
      }
      const realm = bearer.params.realm
      if (realm === undefined || realm === '') throw new AuthenticationError(`${ctx.registry} sent a Bearer challenge without a realm`)
      const scheme: HostScheme = {
        kind: 'bearer',
        realm: validateRealm(realm, ctx.registry, ctx.origin),
        ...(bearer.params.service !== undefined && { service: bearer.params.service }),
      }
      this.schemes.set(ctx.registry, scheme)
      const key = tokenCacheKey(ctx.registry, normalizeScopes(ctx.scopes))
      const cached = this.tokens.get(key)
      if (cached !== undefined && `Bearer ${cached}` !== sent) return `Bearer ${cached}`
      // distribution joins several scopes in the challenge with spaces (accesscontroller.go).
      const hinted = bearer.params.scope?.split(/\s+/) ?? []
      return `Bearer ${await this.fetchToken(ctx, scheme, key, hinted)}`
    }
    if (basic !== undefined) {
      const credential = await this.credential(ctx.registry)
      if (!isPasswordCredential(credential)) return undefined
      this.schemes.set(ctx.registry, { kind: 'basic' })
      const header = basicAuthorization(credential)
      return header === sent ? undefined : header
    }
    return undefined
  }

  /** Fetches (or joins the fetch of) the token cached under `key`, covering the request's and the hinted scopes. */
  private async fetchToken(
    ctx: AuthContext,
    scheme: Extract<HostScheme, { kind: 'bearer' }>,
    key: string,
    hinted: readonly string[],
  ): Promise<string> {
    const credential = await this.credential(ctx.registry)
    return this.tokens.fetch(
      key,
      () =>
        fetchBearerToken({
          registry: ctx.registry,
          realm: scheme.realm,
          ...(scheme.service !== undefined && { service: scheme.service }),
          scopes: normalizeScopes([...ctx.scopes, ...hinted]),
          ...(credential !== undefined && !isRegistryTokenCredential(credential) && { credential }),
          ...(ctx.dispatcher && { dispatcher: ctx.dispatcher }),
          retry: this.retry,
          userAgent: this.userAgent,
          now: this.now,
        }),
      ctx.signal,
    )
  }

  /** The credential for `registry`, looked up once (a helper may spawn a process each time). */
  private credential(registry: string): Promise<Credential | undefined> {
    let found = this.credentials.get(registry)
    if (found === undefined) {
      found = this.lookup(registry)
      this.credentials.set(registry, found)
      // A failed lookup (helper timed out, …) is not remembered: the next request tries again.
      found.catch(() => this.credentials.delete(registry))
    }
    return found
  }
}
