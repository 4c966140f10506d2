/**
 * The one place that decides whether a registry's refusal means "this representation is not
 * supported here, try the next one" (a fallback), or a problem no other representation fixes.
 * cnab-to-oci falls back on every error, so a wrong password or a missing repository burns
 * through every variant and the user sees the last, unrelated error (cnab-oci.md §3.4, §7.2).
 */
import { AuthenticationError, RegistryResponseError } from '../registry/http/errors.js'

/** Why an error is or is not a reason to try another representation. */
export type Classification =
  | { fallback: true; reason: string }
  | { fallback: false; reason: 'auth' | 'repository-missing' | 'rate-limit' | 'server' | 'immutable-tag' | 'content' | 'other'; detail: string }

/** Registry error codes that say "this manifest shape or type is not accepted here". */
const REFUSED_SHAPE_CODES = ['MANIFEST_INVALID', 'UNSUPPORTED', 'MANIFEST_UNKNOWN', 'TAG_INVALID']

/**
 * Classifies an error from pushing a manifest (or index) variant. Falls back on 400 with a
 * manifest-shape code or with no parseable code, 405, and 415; a 404 only when the registry did
 * not say NAME_UNKNOWN (Gitea answers an index PUT with 404, registry-quirks.md OTH-1). Never
 * falls back on 401/403 (credentials), NAME_UNKNOWN (ECR: create the repository first, ECR-1),
 * 409 and tag-immutability errors, 429, 5xx, or network errors: those belong to the retry layer
 * or to the user.
 */
export function classifyPushError(err: unknown): Classification {
  if (err instanceof AuthenticationError) return { fallback: false, reason: 'auth', detail: err.message }
  if (!(err instanceof RegistryResponseError)) return { fallback: false, reason: 'other', detail: err instanceof Error ? err.message : String(err) }
  const { status } = err
  if (status === 401 || status === 403) return { fallback: false, reason: 'auth', detail: err.message }
  if (err.hasCode('NAME_UNKNOWN')) return { fallback: false, reason: 'repository-missing', detail: err.message }
  if (status === 409 || /immutable/i.test(err.message)) return { fallback: false, reason: 'immutable-tag', detail: err.message }
  if (status === 429 || err.hasCode('TOOMANYREQUESTS')) return { fallback: false, reason: 'rate-limit', detail: err.message }
  if (status >= 500) return { fallback: false, reason: 'server', detail: err.message }
  if (err.hasCode('DIGEST_INVALID', 'SIZE_INVALID', 'MANIFEST_BLOB_UNKNOWN', 'BLOB_UNKNOWN')) {
    return { fallback: false, reason: 'content', detail: err.message }
  }
  if (status === 405 || status === 415) return { fallback: true, reason: `${status}: the registry does not accept this kind of manifest` }
  if (status === 400 && (err.errors.length === 0 || err.hasCode(...REFUSED_SHAPE_CODES))) {
    return { fallback: true, reason: `400 ${err.errors.map((e) => e.code).join(', ') || '(no code)'}: the registry refused this manifest shape` }
  }
  if (status === 404) return { fallback: true, reason: '404 without NAME_UNKNOWN: the registry does not take this kind of manifest' }
  return { fallback: false, reason: 'other', detail: err.message }
}

/** Shorthand: true when the next representation is worth trying. */
export function isFallbackable(err: unknown): boolean {
  return classifyPushError(err).fallback
}
