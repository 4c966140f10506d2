/**
 * Reading from a real registry: manifests, indexes and blobs round-trip with their digests, the
 * Accept header lists every manifest type, resolve uses HEAD and falls back to GET and hashing
 * when HEAD is refused or incomplete, and manifests are verified and bounded at 4 MiB.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DigestMismatchError, NotFoundError, SizeLimitError, SizeMismatchError } from '../../../src/errors.js'
import { digestOf } from '../../../src/oci/digest.js'
import { MANIFEST_ACCEPT, MediaTypes } from '../../../src/oci/media-types.js'
import { blob, image, index, readAll } from '../../helpers/content.js'
import { matchRequest } from '../../helpers/registry/fault-proxy.js'
import { forwardChanged, freshRepository, logged, proxiedImage, pushAll, requestLines, useRegistry } from './helpers.js'

const env = useRegistry()

describe('RegistryRepository: pull', () => {
  test('manifests, an index and blobs pushed to the registry fetch back with the same digests', async () => {
    const name = freshRepository('pull')
    const a = image('amd64')
    const b = image('arm64')
    const idx = index([a.manifest, b.manifest])
    await pushAll(env.direct(name), a.config, a.layer, a.manifest, b.config, b.layer, b.manifest, idx)
    const repo = env.proxied(name)
    for (const c of [a.config, a.layer, a.manifest, b.manifest, idx]) {
      const got = await readAll(await repo.fetch(c.desc))
      assert.equal(digestOf(got), c.desc.digest)
      assert.deepEqual(got, c.bytes)
    }
    await repo.tag(idx.desc, 'multi')
    const { desc, body } = await repo.fetchReference('multi')
    assert.deepEqual(desc, { mediaType: MediaTypes.OciIndex, digest: idx.desc.digest, size: idx.desc.size })
    assert.deepEqual(await readAll(body), idx.bytes)
  })

  test('every manifest request sends Accept with the OCI index, OCI manifest, Docker list and Docker manifest types', async () => {
    const name = freshRepository('pull')
    const img = image('accept')
    await pushAll(env.direct(name), img.config, img.layer, img.manifest)
    const repo = env.proxied(name)
    const records = await logged(env.proxy, async () => {
      await repo.tag(img.manifest.desc, 'v1')
      await repo.resolve('v1')
      await repo.exists(img.manifest.desc)
      await readAll(await repo.fetch(img.manifest.desc))
      await repo.fetchReference('v1')
    })
    const manifestReads = records.filter((r) => /\/manifests\//.test(r.path) && (r.method === 'GET' || r.method === 'HEAD'))
    assert.ok(manifestReads.length >= 5)
    for (const r of manifestReads) {
      const accept = String(r.requestHeaders.accept)
        .split(',')
        .map((s) => s.trim())
      assert.deepEqual(accept, [...MANIFEST_ACCEPT], `${r.method} ${r.path}`)
    }
  })

  test('resolve by tag and by digest is one HEAD each and describes the manifest', async () => {
    const { name, img, repo } = await proxiedImage(env, 'pull', 'resolve', 'v1')
    const records = await logged(env.proxy, async () => {
      assert.deepEqual(await repo.resolve('v1'), img.manifest.desc)
      assert.deepEqual(await repo.resolve(img.manifest.desc.digest), img.manifest.desc)
    })
    assert.deepEqual(requestLines(records), [`HEAD /v2/${name}/manifests/v1`, `HEAD /v2/${name}/manifests/${img.manifest.desc.digest}`])
  })

  test('resolve falls back to GET and hashes the body when HEAD has no Docker-Content-Digest (registry.redhat.io, OTH-4)', async () => {
    const name = freshRepository('pull')
    const img = image('no digest header')
    await pushAll(env.direct(name), img.config, img.layer, img.manifest)
    await env.direct(name).tag(img.manifest.desc, 'v1')
    env.intercept = async (req, ctx) => {
      if (req.method !== 'HEAD' || !req.url?.includes('/manifests/')) return false
      await forwardChanged(req, ctx, {
        response: (answer) => {
          delete answer.headers['docker-content-digest']
          return answer
        },
      })
      return true
    }
    const repo = env.proxied(name)
    const records = await logged(env.proxy, async () => assert.deepEqual(await repo.resolve('v1'), img.manifest.desc))
    assert.deepEqual(requestLines(records), [`HEAD /v2/${name}/manifests/v1`, `GET /v2/${name}/manifests/v1`])
    assert.equal(records[1]?.status, 200)
  })

  test('resolve falls back to GET when HEAD is refused with 405', async () => {
    const name = freshRepository('pull')
    const img = image('head refused')
    await pushAll(env.direct(name), img.config, img.layer, img.manifest)
    await env.direct(name).tag(img.manifest.desc, 'v1')
    env.proxy.addFault({ match: matchRequest('HEAD', '/manifests/'), action: { status: 405 } })
    const repo = env.proxied(name)
    const records = await logged(env.proxy, async () => assert.deepEqual(await repo.resolve('v1'), img.manifest.desc))
    assert.deepEqual(
      records.map((r) => `${r.method} ${r.status}`),
      ['HEAD 405', 'GET 200'],
    )
  })

  test('a manifest whose Docker-Content-Digest disagrees with its bytes is refused', async () => {
    const name = freshRepository('pull')
    const img = image('lying header')
    await pushAll(env.direct(name), img.config, img.layer, img.manifest)
    await env.direct(name).tag(img.manifest.desc, 'v1')
    env.intercept = async (req, ctx) => {
      if (req.method !== 'GET' || !req.url?.includes('/manifests/')) return false
      await forwardChanged(req, ctx, {
        response: (answer) => ({ ...answer, headers: { ...answer.headers, 'docker-content-digest': blob('other').desc.digest } }),
      })
      return true
    }
    await assert.rejects(env.proxied(name).fetchReference('v1'), DigestMismatchError)
  })

  test('a manifest read checks the bytes against the descriptor', async () => {
    const name = freshRepository('pull')
    const img = image('descriptor check')
    await pushAll(env.direct(name), img.config, img.layer, img.manifest)
    await assert.rejects(env.proxied(name).fetch({ ...img.manifest.desc, size: img.manifest.desc.size + 1 }), SizeMismatchError)
  })

  test('a manifest larger than 4 MiB is refused from its Content-Length before it is read', async () => {
    const name = freshRepository('pull')
    const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20)
    const answer = { status: 200, headers: { 'content-type': MediaTypes.OciManifest }, body: big }
    env.proxy.addFault({ match: matchRequest('GET', '/manifests/big'), action: answer })
    env.proxy.addFault({ match: matchRequest('HEAD', '/manifests/big'), action: answer })
    const repo = env.proxied(name)
    await assert.rejects(repo.fetchReference('big'), SizeLimitError)
    await assert.rejects(repo.resolve('big'), SizeLimitError)
    // A descriptor that says so is refused without a request.
    const records = await logged(env.proxy, () =>
      assert.rejects(repo.fetch({ mediaType: MediaTypes.OciManifest, digest: digestOf(big), size: big.length }), SizeLimitError),
    )
    assert.deepEqual(records, [])
  })

  test('exists answers for manifests and blobs by HEAD; absent content is false and fetch throws NotFoundError', async () => {
    const { img, repo } = await proxiedImage(env, 'pull', 'exists')
    const records = await logged(env.proxy, async () => {
      assert.equal(await repo.exists(img.manifest.desc), true)
      assert.equal(await repo.exists(img.layer.desc), true)
      assert.equal(await repo.exists(blob('absent').desc), false)
      assert.equal(await repo.exists(image('absent').manifest.desc), false)
    })
    assert.deepEqual(
      records.map((r) => r.method),
      ['HEAD', 'HEAD', 'HEAD', 'HEAD'],
    )
    await assert.rejects(repo.fetch(blob('absent').desc), NotFoundError)
    await assert.rejects(repo.fetchReference('absent'), NotFoundError)
  })
})
