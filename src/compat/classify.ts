/**
 * The one place that decides whether a registry's refusal means "this representation is not
 * supported here, try the next one" (a fallback), or a problem no other representation fixes.
 * cnab-to-oci falls back on every error, so a wrong password or a missing repository burns through
 * every variant and the user sees the last, unrelated error
 * (https://github.com/cnabio/cnab-to-oci/blob/v0.6.1/remotes/push.go).
 */
import { OcibundleError } from '../errors.js'
import { AuthenticationError, RegistryResponseError } from '../registry/http/response-errors.js'
import type { Evidence } from './capabilities.js'

/** Why an error is or is not a reason to try another representation. */
export type Classification =
  | { fallback: true; reason: string }
  | {
      fallback: false
      reason: 'auth' | 'repository-missing' | 'rate-limit' | 'server' | 'immutable-tag' | 'content' | 'other'
      detail: string
    }

/** Registry error codes that say "this manifest shape or type is not accepted here". */
const REFUSED_SHAPE_CODES = ['MANIFEST_INVALID', 'UNSUPPORTED', 'MANIFEST_UNKNOWN', 'TAG_INVALID']

/**
 * Classifies an error from pushing a manifest (or index) variant. Falls back on 400 with a
 * manifest-shape code or with no parseable code, 405, and 415; a 404 only when the registry did
 * not say NAME_UNKNOWN (Gitea answers an index PUT with 404, OTH-1). Never
 * falls back on 401/403 (credentials), NAME_UNKNOWN (ECR: create the repository first, ECR-1),
 * 409 and tag-immutability errors, 429, 5xx, or network errors: those belong to the retry layer
 * or to the user.
 */
export function classifyPushError(err: unknown): Classification {
  // Tiers inside a tier (a config variant tried in each layer shape): when every inner one was
  // refused, the outer representation was refused too.
  if (err instanceof NoWorkingTierError) return { fallback: true, reason: 'every variant of this representation was refused' }
  if (err instanceof RepresentationRefusedError) return { fallback: true, reason: err.message }
  if (err instanceof AuthenticationError) return { fallback: false, reason: 'auth', detail: err.message }
  if (!(err instanceof RegistryResponseError))
    return { fallback: false, reason: 'other', detail: err instanceof Error ? err.message : String(err) }
  const { status } = err
  if (status === 401 || status === 403) return { fallback: false, reason: 'auth', detail: err.message }
  if (err.hasCode('NAME_UNKNOWN')) return { fallback: false, reason: 'repository-missing', detail: err.message }
  if (status === 409 || /immutable/i.test(err.message)) return { fallback: false, reason: 'immutable-tag', detail: err.message }
  if (status === 429 || err.hasCode('TOOMANYREQUESTS')) return { fallback: false, reason: 'rate-limit', detail: err.message }
  if (status >= 500) return { fallback: false, reason: 'server', detail: err.message }
  if (err.hasCode('DIGEST_INVALID', 'SIZE_INVALID', 'MANIFEST_BLOB_UNKNOWN', 'BLOB_UNKNOWN')) {
    return { fallback: false, reason: 'content', detail: err.message }
  }
  if (refusesUntaggedPush(err))
    return { fallback: true, reason: `${status}: the registry wants manifests pushed with a tag, not by digest` }
  if (status === 405 || status === 415) return { fallback: true, reason: `${status}: the registry does not accept this kind of manifest` }
  if (status === 400 && (err.errors.length === 0 || err.hasCode(...REFUSED_SHAPE_CODES))) {
    return {
      fallback: true,
      reason: `400 ${err.errors.map((e) => e.code).join(', ') || '(no code)'}: the registry refused this manifest shape`,
    }
  }
  if (status === 404) return { fallback: true, reason: '404 without NAME_UNKNOWN: the registry does not take this kind of manifest' }
  return { fallback: false, reason: 'other', detail: err.message }
}

/**
 * Every tier of a firstWorkingTier run (strategies.ts) was skipped or refused its representation;
 * `attempts` says why each one. Defined here because classifyPushError must recognise it.
 */
export class NoWorkingTierError extends OcibundleError {
  override readonly code: string = 'ERR_NO_WORKING_TIER'
  constructor(
    /** Every tier, skipped or refused, in order. */
    readonly attempts: readonly TierAttempt[],
    cause: unknown,
  ) {
    super(
      `the registry accepts none of ${attempts.map((a) => a.id).join(', ')}: ${attempts.map((a) => `${a.id}: ${a.reason ?? a.outcome}`).join('; ')}`,
      {
        ...(cause !== undefined && { cause }),
        suggestions: ['run `ocibundle registry check` against this registry to see what it accepts'],
      },
    )
  }
}

/**
 * The registry took a representation but does not serve it back the way readers need it: a
 * manifest pushed by digest that a HEAD by digest then cannot find (GitHub Packages served
 * manifests by tag only, porter#695). Always a reason to try the next representation.
 */
export class RepresentationRefusedError extends OcibundleError {
  override readonly code: string = 'ERR_REPRESENTATION_REFUSED'
}

/** One representation offered during a firstWorkingTier run (strategies.ts), and what became of it. */
export interface TierAttempt {
  /** The tier's id (TierSpec `id`). */
  id: string
  /**
   * `used`: it worked; `skipped`: a capability it needs is known to be unsupported; `refused`: a
   * representation refusal, the next tier was tried; `failed`: an error no tier fixes, thrown.
   */
  outcome: 'used' | 'skipped' | 'refused' | 'failed'
  /** Why it was skipped, refused or failed. */
  reason?: string
  /** How the error was classified, for `refused` and `failed`. */
  classification?: Classification
}

/** Shorthand: true when the next representation is worth trying. */
export function isFallbackable(err: unknown): boolean {
  return classifyPushError(err).fallback
}

/**
 * Quay's allow-list of config media types (QUAY-1), as its refusal states it:
 * `'<type>' is not one of [<allowed>]`. Undefined for any other error.
 */
export function refusedConfigType(err: unknown): { type: string; allowed: string } | undefined {
  if (!(err instanceof RegistryResponseError)) return undefined
  const text = [err.message, ...err.errors.map((e) => JSON.stringify(e.detail ?? ''))].join(' ')
  const match = /'([^']+)' is not one of \[([^\]]*)\]/.exec(text)
  return match !== null ? { type: match[1]!, allowed: match[2]! } : undefined
}

/** Error codes registries answer a refused untagged manifest push with, beside 405 (see refusesUntaggedPush). */
const UNTAGGED_REFUSAL_CODES = ['TAG_INVALID', 'MANIFEST_INVALID', 'UNSUPPORTED']

/**
 * The registry wants manifests pushed by tag: it refused a manifest PUT by digest (no tag in the
 * URL) with
 *  - 405 Method Not Allowed (ECR in 2019: the reports record only the status, docker/app#563,
 *    carvel-dev/kbld#2, whose maintainer summed it up as "uploading of manifests must use tags
 *    instead of digest"), or
 *  - 400 `TAG_INVALID`: a code that only speaks of the tag, and there is none in the URL, so it is
 *    the digest the registry would not take as one (distribution defines TAG_INVALID for manifest
 *    PUTs whose tag it refuses: registry/api/v2/errors.go), or
 *  - 400 `MANIFEST_INVALID` or `UNSUPPORTED` whose message or detail speaks of a tag (for
 *    example "manifest must be pushed with a tag"): those codes also refuse the manifest itself
 *    (a config type, an index format), so only the message tells them apart.
 * The one classification of this refusal: every manifest a publish writes goes through it
 * (PublishSession's manifest-refs decision, ManifestRefTarget), the images copied during fixup
 * included.
 */
export function refusesUntaggedPush(err: unknown): boolean {
  if (!(err instanceof RegistryResponseError) || err.method !== 'PUT' || !/\/manifests\/sha(256|512):[0-9a-f]+$/.test(err.url)) return false
  if (err.status === 405) return true
  if (err.status !== 400 || !err.hasCode(...UNTAGGED_REFUSAL_CODES) || /immutable/i.test(err.message)) return false
  if (err.hasCode('TAG_INVALID')) return true
  return err.errors.some((e) => /\btag/i.test([e.message ?? '', detailText(e.detail) ?? ''].join(' ')))
}

/**
 * A refusal of pushing manifests by digest, not of the manifest itself: the untagged PUT was
 * refused (refusesUntaggedPush), or the registry took it but does not serve it back by digest
 * (GitHub Packages, porter#695: RepresentationRefusedError). Such a refusal moves on to pushing
 * under tags.
 */
export function refusesDigestReferences(err: unknown): boolean {
  return err instanceof RepresentationRefusedError || refusesUntaggedPush(err)
}

/**
 * The repository does not exist and the registry does not create repositories on push: a
 * NAME_UNKNOWN answer from a URL of `repository` (ECR-1).
 */
export function isMissingRepository(err: unknown, repository: string): boolean {
  return err instanceof RegistryResponseError && err.hasCode('NAME_UNKNOWN') && err.url.includes(`/v2/${repository}/`)
}

/**
 * The evidence an error gives about a capability: the request (path only: hosts and upload
 * state tokens stay out of reports), the status and the registry's error codes; the message for
 * anything that is not a registry answer.
 */
export function evidenceOf(err: unknown): Evidence {
  if (err instanceof RegistryResponseError) {
    const codes = err.errors.map((e) => e.code)
    const said = err.errors
      .map((e) => [e.message, detailText(e.detail)].filter((t) => t !== undefined && t !== '').join(': '))
      .filter((t) => t !== '')
    const message = said.length > 0 ? said.join('; ') : err.rawBody.trim().slice(0, 200)
    return {
      request: `${err.method} ${pathOf(err.url)}`,
      status: err.status,
      ...(codes.length > 0 && { codes }),
      ...(message !== '' && { note: message }),
    }
  }
  return { note: err instanceof Error ? err.message : String(err) }
}

/** An error detail worth showing: a string, or the `message` of an object (Quay puts its allow-list there, QUAY-1). */
function detailText(detail: unknown): string | undefined {
  if (typeof detail === 'string') return detail
  const message = (detail as { message?: unknown } | null | undefined)?.message
  return typeof message === 'string' ? message : undefined
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname
  } catch {
    return url
  }
}
