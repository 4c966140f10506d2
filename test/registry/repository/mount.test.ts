/**
 * Cross-repository mount on a real registry: 201 when the blob is in the source repository,
 * and the 202 fallback (an ordinary upload session) continued with the caller's content or
 * cancelled. The token scopes each request asks for are recorded through the Authenticator hook.
 */
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { describe, test } from 'node:test'
import { InvalidReferenceError, UnsupportedError } from '../../../src/errors.js'
import { RegistryClient, type AuthContext } from '../../../src/registry/http/client.js'
import { RegistryRepository } from '../../../src/registry/repository.js'
import { blob, image, readAll } from '../../helpers/content.js'
import { fastRetry, freshRepository, logged, useRegistry } from './helpers.js'

const env = useRegistry()

/** A client through the proxy whose authenticator only records the scopes of every request. */
function recordingScopes(): { client: RegistryClient; scopes: string[][] } {
  const scopes: string[][] = []
  const client = new RegistryClient({
    retry: fastRetry(),
    auth: {
      header: async (ctx: AuthContext) => void scopes.push([...ctx.scopes]),
      challenge: async () => undefined,
    },
  })
  return { client, scopes }
}

describe('RegistryRepository: mount', () => {
  test('a blob in the source repository mounts with one POST ?mount=&from= (201), asking pull,push here and pull there', async () => {
    const from = freshRepository('mount')
    const to = freshRepository('mount')
    const layer = blob('mounted layer')
    await env.direct(from).push(layer.desc, layer.bytes)
    const { client, scopes } = recordingScopes()
    try {
      const repo = new RegistryRepository({ registry: env.proxy.host, repository: to }, client)
      const records = await logged(env.proxy, () => repo.mount(layer.desc, from))
      assert.equal(records.length, 1)
      const post = records[0]!
      assert.equal(post.method, 'POST')
      assert.equal(post.status, 201)
      const url = new URL(post.path, 'http://x')
      assert.equal(url.pathname, `/v2/${to}/blobs/uploads/`)
      assert.equal(url.searchParams.get('mount'), layer.desc.digest)
      assert.equal(url.searchParams.get('from'), from)
      assert.deepEqual(scopes, [[`repository:${to}:pull,push`, `repository:${from}:pull`]])
      assert.deepEqual(await readAll(await env.direct(to).fetch(layer.desc)), layer.bytes)
    } finally {
      await client.close()
    }
  })

  test('when the registry opens an upload instead (202), the content from getContent is PUT into that session', async () => {
    const from = freshRepository('mount')
    const to = freshRepository('mount')
    const layer = blob('not in the source repository')
    let opened = 0
    const getContent = async () => {
      opened++
      return Readable.from([layer.bytes])
    }
    const records = await logged(env.proxy, () => env.proxied(to).mount(layer.desc, from, getContent))
    assert.deepEqual(
      records.map((r) => `${r.method} ${r.status}`),
      ['POST 202', 'PUT 201'],
    )
    assert.equal(opened, 1)
    assert.match(records[1]!.path, new RegExp(`^/v2/${to}/blobs/uploads/.*[?&]digest=`))
    assert.deepEqual(await readAll(await env.direct(to).fetch(layer.desc)), layer.bytes)
  })

  test('a 202 without getContent cancels the opened upload and throws UnsupportedError', async () => {
    const from = freshRepository('mount')
    const to = freshRepository('mount')
    const layer = blob('nowhere')
    const records = await logged(env.proxy, () => assert.rejects(env.proxied(to).mount(layer.desc, from), UnsupportedError))
    assert.deepEqual(
      records.map((r) => `${r.method} ${r.status}`),
      ['POST 202', 'DELETE 204'],
    )
    assert.equal(await env.direct(to).exists(layer.desc), false)
  })

  test('mounting a manifest, or from a malformed repository name, is refused before any request', async () => {
    const repo = env.proxied(freshRepository('mount'))
    const records = await logged(env.proxy, async () => {
      await assert.rejects(repo.mount(image('m').manifest.desc, 'other/repo'), UnsupportedError)
      await assert.rejects(repo.mount(blob('b').desc, 'Other/Repo'), InvalidReferenceError)
      await assert.rejects(repo.mount(blob('b').desc, 'other/repo:tag'), InvalidReferenceError)
    })
    assert.deepEqual(records, [])
  })
})
