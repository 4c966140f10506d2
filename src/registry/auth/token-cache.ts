/**
 * Bearer tokens by (registry, scopes), with single-flight fetching: when a copy starts dozens of
 * blob requests at once, they share one token request instead of each asking the token server
 * (oras-go auth.Cache does the same per host and scope set).
 */
import type { BearerToken } from './token-request.js'

/**
 * A token is not used in its last seconds: a request sent just before expiry would reach the
 * registry after it, and a slow upload would be refused half-way (Docker refreshes early too).
 */
export const TOKEN_EXPIRY_MARGIN_MS = 10_000

/** The cache key: registry plus the normalised scope list (see normalizeScopes). */
export function tokenCacheKey(registry: string, normalizedScopes: readonly string[]): string {
  return `${registry}\n${normalizedScopes.join(' ')}`
}

export class TokenCache {
  private readonly tokens = new Map<string, BearerToken>()
  private readonly inflight = new Map<string, Promise<BearerToken>>()

  constructor(private readonly now: () => number = Date.now) {}

  /** The cached token for `key`, unless it expires within the safety margin. */
  get(key: string): string | undefined {
    const entry = this.tokens.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt - TOKEN_EXPIRY_MARGIN_MS > this.now()) return entry.token
    this.tokens.delete(key)
    return undefined
  }

  /**
   * Runs `fetch` and caches its token, or joins the fetch already running for `key`. The shared
   * fetch is not tied to any one caller's signal (one caller giving up must not fail the others);
   * each caller stops waiting when its own `signal` aborts. Throws what `fetch` throws.
   */
  async fetch(key: string, fetch: () => Promise<BearerToken>, signal?: AbortSignal): Promise<string> {
    let running = this.inflight.get(key)
    if (running === undefined) {
      running = fetch()
        .then((token) => {
          this.prune()
          this.tokens.set(key, token)
          return token
        })
        .finally(() => this.inflight.delete(key))
      this.inflight.set(key, running)
    }
    return (await abortable(running, signal)).token
  }

  /** Drops expired tokens so a long session with many repositories does not grow without bound. */
  private prune(): void {
    const now = this.now()
    for (const [key, entry] of this.tokens) if (entry.expiresAt <= now) this.tokens.delete(key)
  }
}

/** `promise`, or a rejection with the signal's reason as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e as Error)
      },
    )
  })
}
