/**
 * Every `/v2/…` path of the distribution spec in one place (after oras-go registry/remote/url.go),
 * plus `Link` header parsing for paginated answers.
 * Names need no escaping: repository names, tags and digests are validated to URL-safe grammars
 * before they get here (src/oci/reference.ts, src/oci/digest.ts).
 * Reference: https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#endpoints
 */

import { InvalidContentError } from '../errors.js'

/** end-3, end-7, end-9: `/v2/<name>/manifests/<tag|digest>`. */
export function manifestPath(repository: string, reference: string): string {
  return `/v2/${repository}/manifests/${reference}`
}

/** end-2, end-10: `/v2/<name>/blobs/<digest>`. */
export function blobPath(repository: string, digest: string): string {
  return `/v2/${repository}/blobs/${digest}`
}

/** end-4a, end-11: `/v2/<name>/blobs/uploads/` (the trailing slash is part of the route). */
export function uploadsPath(repository: string): string {
  return `/v2/${repository}/blobs/uploads/`
}

/** end-8: `/v2/<name>/tags/list`. */
export function tagsPath(repository: string): string {
  return `/v2/${repository}/tags/list`
}

/** end-12: `/v2/<name>/referrers/<digest>`. */
export function referrersPath(repository: string, digest: string): string {
  return `/v2/${repository}/referrers/${digest}`
}

/**
 * The target of the `rel="next"` link of an RFC 8288 `Link` header, resolved against the URL
 * that answered (registries send relative links, distribution's `_catalog` for one), or
 * undefined when there is no next page. The caller checks the origin.
 */
export function nextLink(link: string | undefined, base: string): string | undefined {
  if (link === undefined) return undefined
  for (const m of link.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]*)*)/g)) {
    const params = m[2] ?? ''
    if (!/;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(params)) continue
    try {
      return new URL(m[1] ?? '', base).toString()
    } catch {
      throw new InvalidContentError(
        `the registry's Link header names a next page that is not a URL: ${JSON.stringify((m[1] ?? '').slice(0, 100))}`,
      )
    }
  }
  return undefined
}
