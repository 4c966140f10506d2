/**
 * Tag listing: GET `/v2/<name>/tags/list`, page after page by following `Link: <…>; rel="next"`
 * (the spec asks clients to prefer it over building `last` themselves, and Quay's and
 * Artifactory's links carry their own opaque parameters: QUAY-5, ART-4).
 * Reference: https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#listing-tags
 */
import { readBounded } from '../util/streams.js'
import { InvalidContentError, NotFoundError } from '../errors.js'
import type { RepositoryContext } from './context.js'
import { hasStatus, header } from './responses.js'
import { nextLink, tagsPath } from './urls.js'

/** A tag list page is at most 128-character tags; 16 MiB holds well over 100 000 of them. */
const MAX_PAGE_BYTES = 16 * 1024 * 1024

export interface TagListOptions {
  /** Tags after this one only (exclusive). */
  last?: string | undefined
  /** Page size asked for with `n`; undefined → the registry's default. */
  pageSize?: number | undefined
  signal?: AbortSignal | undefined
}

/**
 * Yields the repository's tags page by page, each page in code-unit order and only tags after
 * `last`. Both are also enforced here because registries do not always: distribution 2.8
 * ignores `n` and `last` and answers unsorted (D2-2; its tags handler:
 * https://github.com/distribution/distribution/blob/v2.8.2/registry/handlers/tags.go).
 * A repository that does not exist answers 404 NAME_UNKNOWN (distribution also answers so for one
 * that holds only untagged manifests, the same handler): NotFoundError, so that a mistyped name
 * is not taken for an empty repository. Throws RegistryResponseError for other refusals, and
 * InvalidContentError for a page that is not a tag list.
 */
export async function* listTags(ctx: RepositoryContext, o: TagListOptions = {}): AsyncGenerator<string> {
  const { last } = o
  let path = tagsPath(ctx.repository)
  let query: Record<string, string | undefined> | undefined = {
    n: o.pageSize === undefined ? undefined : String(o.pageSize),
    last,
  }
  // A Link that leads back to a page already read would page forever.
  const visited = new Set<string>()
  for (;;) {
    let page: { next: string | undefined; tags: string[] }
    try {
      page = await ctx.sendAndRead(
        { method: 'GET', path, ...(query && { query }), scopes: ctx.pullScopes, ...(o.signal && { signal: o.signal }) },
        async (res) => {
          visited.add(res.url)
          const next = nextLink(header(res, 'link'), res.url)
          return { next, tags: parsePage(await readBounded(res.body, MAX_PAGE_BYTES, `tag list of ${ctx.repository}`)) }
        },
      )
    } catch (err) {
      if (hasStatus(err, 404) && err.hasCode('NAME_UNKNOWN')) {
        throw new NotFoundError(
          `the repository ${ctx.repository} does not exist on ${ctx.registry}, or holds no tagged content (NAME_UNKNOWN)`,
          {
            cause: err,
            suggestions: ["check the repository name (list what is there with your registry's UI or catalog)"],
          },
        )
      }
      throw err
    }
    for (const tag of page.tags.sort(byCodeUnit)) if (last === undefined || tag > last) yield tag
    if (page.next === undefined || visited.has(page.next)) return
    // The link carries every parameter of the next page; ours would be duplicates.
    path = ctx.sameOrigin(page.next)
    query = undefined
  }
}

function parsePage(bytes: Buffer): string[] {
  let doc: unknown
  try {
    doc = JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    throw new InvalidContentError(`tag list is not JSON: ${(err as Error).message}`)
  }
  // `tags` may be null for a repository without tags (GCR, older distribution).
  const tags = (doc as { tags?: unknown } | null)?.tags ?? []
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) {
    throw new InvalidContentError('tag list has no "tags" array of strings')
  }
  return tags as string[]
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
