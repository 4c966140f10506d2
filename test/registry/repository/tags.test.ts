/**
 * Tag listing: distribution 2.8 answers every tag unsorted in one page and ignores `n` and `last`
 * (D2-2; https://github.com/distribution/distribution/blob/v2.8.2/registry/handlers/tags.go), so
 * order and `last` are enforced by the client; a registry that pages with `Link` is emulated on top
 * of it through the proxy.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { NotFoundError, OcibundleError } from '../../../src/errors.js'
import type { RegistryRepository } from '../../../src/registry/repository.js'
import { image } from '../../helpers/content.js'
import { forwardChanged, freshRepository, logged, pushAll, useRegistry } from './helpers.js'

const env = useRegistry()

async function collect(tags: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = []
  for await (const t of tags) out.push(t)
  return out
}

/** A repository with one image tagged with each of `tags`. */
async function tagged(name: string, tags: readonly string[]): Promise<RegistryRepository> {
  const repo = env.direct(name)
  const img = image(name)
  await pushAll(repo, img.config, img.layer, img.manifest)
  for (const t of tags) await repo.tag(img.manifest.desc, t)
  return repo
}

/**
 * Answers tags/list as a paging registry would: the upstream's full list, sorted, cut after
 * `last` and to `n` entries, with a relative `Link` to the next page (or `link` when given).
 */
function pagingRegistry(link?: (next: URL) => string): void {
  env.intercept = async (req, ctx) => {
    if (req.method !== 'GET' || !req.url?.includes('/tags/list')) return false
    const url = new URL(req.url, ctx.proxyUrl)
    await forwardChanged(req, ctx, {
      response: (answer) => {
        const doc = JSON.parse(answer.body.toString()) as { name: string; tags: string[] }
        const last = url.searchParams.get('last')
        const n = Number(url.searchParams.get('n') ?? Infinity)
        const after = doc.tags.sort().filter((t) => last === null || t > last)
        const page = after.slice(0, n)
        const headers = { ...answer.headers }
        if (page.length < after.length) {
          const next = new URL(url.pathname, ctx.proxyUrl)
          next.searchParams.set('n', String(n))
          next.searchParams.set('last', page.at(-1)!)
          headers.link = link ? link(next) : `<${next.pathname}${next.search}>; rel="next"`
        }
        return { ...answer, headers, body: Buffer.from(JSON.stringify({ name: doc.name, tags: page })) }
      },
    })
    return true
  }
}

describe('RegistryRepository: tags', () => {
  test('every tag is listed in code-unit order, and only those after `last` when given', async () => {
    const name = freshRepository('tags')
    await tagged(name, ['b', 'latest', 'a', 'V1', 'c'])
    const repo = env.proxied(name)
    assert.deepEqual(await collect(repo.listTags()), ['V1', 'a', 'b', 'c', 'latest'])
    assert.deepEqual(await collect(repo.listTags({ last: 'b' })), ['c', 'latest'])
  })

  test('pages are followed through Link rel="next" (n=2 over 5 tags, relative links)', async () => {
    const name = freshRepository('tags')
    await tagged(name, ['t1', 't2', 't3', 't4', 't5'])
    pagingRegistry()
    const repo = env.proxied(name, { tagPageSize: 2 })
    let tags: string[] = []
    const records = await logged(env.proxy, async () => {
      tags = await collect(repo.listTags())
    })
    assert.deepEqual(tags, ['t1', 't2', 't3', 't4', 't5'])
    assert.deepEqual(
      records.map((r) => r.path),
      [`/v2/${name}/tags/list?n=2`, `/v2/${name}/tags/list?n=2&last=t2`, `/v2/${name}/tags/list?n=2&last=t4`],
    )
  })

  test('a Link to another origin is not followed', async () => {
    const name = freshRepository('tags')
    await tagged(name, ['t1', 't2', 't3'])
    pagingRegistry((next) => `<http://elsewhere.example${next.pathname}${next.search}>; rel="next"`)
    const seen: string[] = []
    await assert.rejects(
      (async () => {
        for await (const t of env.proxied(name, { tagPageSize: 2 }).listTags()) seen.push(t)
      })(),
      (err: unknown) => err instanceof OcibundleError && /another origin/.test(err.message),
    )
    assert.deepEqual(seen, ['t1', 't2'])
  })

  test('a repository that does not exist, or (distribution) holds only untagged manifests, is a NotFoundError: 404 NAME_UNKNOWN', async () => {
    const name = freshRepository('tags')
    const img = image('untagged')
    await pushAll(env.direct(name), img.config, img.layer, img.manifest)
    for (const repository of [name, freshRepository('tags')]) {
      await assert.rejects(collect(env.proxied(repository).listTags()), (err: unknown) => {
        assert.ok(err instanceof NotFoundError)
        assert.match(err.message, new RegExp(`the repository ${repository} does not exist on .*NAME_UNKNOWN`))
        return true
      })
    }
  })
})
