/**
 * Faults injected by the proxy between the client and a real registry: retried statuses,
 * Retry-After, downloads that break off (reset, truncated) and resume with Range, registries
 * that ignore Range, corrupted bodies, and which upload requests can be retried.
 */
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { describe, test } from 'node:test'
import { DigestMismatchError, OcibundleError } from '../../../src/errors.js'
import { BodyNotReplayableError } from '../../../src/registry/upload.js'
import { digestStream } from '../../../src/oci/digest.js'
import { RegistryResponseError } from '../../../src/registry/http/response-errors.js'
import { backoffPolicy } from '../../../src/registry/http/retry.js'
import { blob, image, patternDescriptor, patternStream, readAll } from '../../helpers/content.js'
import { matchRequest } from '../../helpers/registry/fault-proxy.js'
import { forwardChanged, freshRepository, logged, proxiedImage, pushAll, useRegistry } from './helpers.js'

const env = useRegistry()
const SIZE = 2 * 1024 * 1024 + 17

/** A repository holding a 2 MiB blob; returns its name and descriptor. */
async function withBlob(seed: number) {
  const name = freshRepository('faults')
  const desc = await patternDescriptor(SIZE, { seed })
  await env.direct(name).push(desc, patternStream(SIZE, { seed }))
  return { name, desc }
}

describe('RegistryRepository: faults', () => {
  test('a 503 is retried and the answer after it used', async () => {
    const { name, desc } = await withBlob(1)
    env.proxy.addFault({ match: matchRequest('GET', `/blobs/${desc.digest}`), action: { status: 503 } })
    const records = await logged(env.proxy, async () =>
      assert.deepEqual(await digestStream(await env.proxied(name).fetch(desc)), { digest: desc.digest, size: SIZE }),
    )
    assert.deepEqual(
      records.map((r) => `${r.method} ${r.status}`),
      ['GET 503', 'GET 200'],
    )
  })

  test('a 429 with Retry-After: 1 waits about a second before the retry', async () => {
    const name = freshRepository('faults')
    const img = image('rate limited')
    await pushAll(env.direct(name), img.config, img.layer, img.manifest)
    env.proxy.addFault({ match: matchRequest('HEAD', '/manifests/'), action: { status: 429, headers: { 'retry-after': '1' } } })
    const repo = env.proxied(name, {}, backoffPolicy({ baseMs: 1, maxDelayMs: 5000 }))
    const started = performance.now()
    const records = await logged(env.proxy, async () => assert.deepEqual(await repo.resolve(img.manifest.desc.digest), img.manifest.desc))
    assert.ok(performance.now() - started >= 950, `waited ${performance.now() - started} ms`)
    assert.deepEqual(
      records.map((r) => `${r.method} ${r.status}`),
      ['HEAD 429', 'HEAD 200'],
    )
  })

  for (const [what, kind, action] of [
    ['reset', 'reset', { resetAfterBytes: 700_000 }],
    ['truncated (clean close before Content-Length)', 'truncate', { truncateAfterBytes: 700_000 }],
  ] as const) {
    test(`a blob download ${what} mid-body resumes with Range and the bytes verify`, async () => {
      const { name, desc } = await withBlob(2)
      env.proxy.addFault({ match: matchRequest('GET', `/blobs/${desc.digest}`), action })
      const records = await logged(env.proxy, async () =>
        assert.deepEqual(await digestStream(await env.proxied(name).fetch(desc)), { digest: desc.digest, size: SIZE }),
      )
      assert.equal(records.length, 2)
      assert.equal(records[0]!.fault, kind)
      const range = String(records[1]!.requestHeaders.range)
      const start = Number(/^bytes=(\d+)-$/.exec(range)?.[1])
      assert.ok(start > 0 && start <= 700_000, range)
      assert.equal(records[1]!.status, 206)
    })
  }

  test('a registry that answers a Range request with the whole blob (200): the part already delivered is skipped', async () => {
    const { name, desc } = await withBlob(3)
    env.proxy.addFault({ match: matchRequest('GET', `/blobs/${desc.digest}`), action: { resetAfterBytes: 500_000 } })
    env.intercept = async (req, ctx) => {
      if (req.headers.range === undefined) return false
      await forwardChanged(req, ctx, { requestHeaders: { range: undefined } })
      return true
    }
    const records = await logged(env.proxy, async () =>
      assert.deepEqual(await digestStream(await env.proxied(name).fetch(desc)), { digest: desc.digest, size: SIZE }),
    )
    assert.deepEqual(
      records.map((r) => [r.status, r.requestHeaders.range !== undefined]),
      [
        [200, false],
        [200, true],
      ],
    )
  })

  test('a download that keeps breaking off fails after maxResumes Range requests', async () => {
    const { name, desc } = await withBlob(4)
    env.proxy.addFault({ match: matchRequest('GET', `/blobs/${desc.digest}`), times: 3, action: { resetAfterBytes: 100_000 } })
    const stream = await env.proxied(name, { maxResumes: 2 }).fetch(desc)
    await assert.rejects(readAll(stream), (err: unknown) => err instanceof OcibundleError && /broke off .* \(2 resumes\)/.test(err.message))
  })

  test('a corrupted blob body fails its stream with DigestMismatchError naming the blob and the source', async () => {
    const { name, desc } = await withBlob(5)
    env.proxy.addFault({ match: matchRequest('GET', `/blobs/${desc.digest}`), action: { corruptBody: true } })
    const stream = await env.proxied(name).fetch(desc)
    let ended = false
    stream.on('end', () => (ended = true))
    await assert.rejects(
      readAll(stream),
      (err: unknown) => err instanceof DigestMismatchError && err.message.includes(`blob ${desc.digest} of ${env.proxy.host}/${name}`),
    )
    assert.equal(ended, false)
  })

  test('a corrupted manifest is fetched once more: one corruption is recovered, a second one fails with DigestMismatchError', async () => {
    const name = freshRepository('faults')
    const img = image('corrupted manifest')
    await pushAll(env.direct(name), img.config, img.layer, img.manifest)
    await env.direct(name).tag(img.manifest.desc, 'v1')
    const repo = env.proxied(name)
    const manifestGet = matchRequest('GET', '/manifests/')
    env.proxy.addFault({ match: manifestGet, action: { corruptBody: true } })
    const recovered = await logged(env.proxy, async () =>
      assert.deepEqual(await readAll(await repo.fetch(img.manifest.desc)), img.manifest.bytes),
    )
    assert.deepEqual(
      recovered.map((r) => `${r.method} ${r.status} ${r.fault ?? ''}`),
      ['GET 200 corrupt', 'GET 200 '],
    )
    env.proxy.addFault({ match: manifestGet, times: Infinity, action: { corruptBody: true } })
    for (const read of [
      () => repo.fetch(img.manifest.desc),
      () => repo.fetchReference(img.manifest.desc.digest),
      () => repo.fetchReference('v1'),
    ]) {
      const records = await logged(env.proxy, () => assert.rejects(read(), DigestMismatchError))
      assert.equal(records.length, 2)
    }
  })

  test('a manifest body that breaks off is requested again and verified', async () => {
    const { repo, img } = await proxiedImage(env, 'faults', 'manifest broke off', 'v1')
    env.proxy.addFault({ match: matchRequest('GET', '/manifests/v1'), action: { truncateAfterBytes: 10 } })
    const records = await logged(env.proxy, async () => {
      const { desc, body } = await repo.fetchReference('v1')
      assert.deepEqual(desc, img.manifest.desc)
      assert.deepEqual(await readAll(body), img.manifest.bytes)
    })
    assert.deepEqual(
      records.map((r) => `${r.method} ${r.fault ?? ''}`),
      ['GET truncate', 'GET '],
    )
  })

  test('a 503 on a chunk PATCH: the registry is asked what it holds, and the chunk is sent again in the same session', async () => {
    const name = freshRepository('faults')
    const layer = blob('retried chunk')
    env.proxy.addFault({ match: matchRequest('PATCH', '/blobs/uploads/'), action: { status: 503 } })
    const records = await logged(env.proxy, () =>
      env.proxied(name, { uploadMode: 'chunked' }).push(layer.desc, Readable.from([layer.bytes])),
    )
    assert.deepEqual(
      records.map((r) => `${r.method} ${r.status}`),
      ['HEAD 404', 'POST 202', 'PATCH 503', 'GET 204', 'PATCH 202', 'PUT 201'],
    )
    assert.deepEqual(await readAll(await env.direct(name).fetch(layer.desc)), layer.bytes)
  })

  test('a PATCH whose answer is lost after the registry stored it: the session cannot be trusted, the upload starts over', async () => {
    const name = freshRepository('faults')
    const layer = blob('patch answer lost')
    env.proxy.addFault({ match: matchRequest('PATCH', '/blobs/uploads/'), action: { reset: 'after-upstream' } })
    let opened = 0
    const records = await logged(env.proxy, () =>
      env.proxied(name, { uploadMode: 'chunked' }).pushBlob(layer.desc, async () => {
        opened++
        return Readable.from([layer.bytes])
      }),
    )
    assert.deepEqual(
      records.map((r) => `${r.method} ${r.fault ?? r.status}`),
      ['HEAD 404', 'POST 202', 'PATCH reset', 'GET 404', 'DELETE 404', 'HEAD 404', 'POST 202', 'PATCH 202', 'PUT 201'],
    )
    assert.equal(opened, 2)
    assert.deepEqual(await readAll(await env.direct(name).fetch(layer.desc)), layer.bytes)
  })

  for (const [what, action] of [
    ['answered 503', { status: 503 }],
    ['reset before it reached the registry', { reset: 'before-upstream' }],
  ] as const) {
    test(`a closing blob PUT ${what} starts over in a new session from bytes and from a re-opener`, async () => {
      const name = freshRepository('faults')
      const blobPut = matchRequest('PUT', /\/blobs\/uploads\/.*[?&]digest=/)
      const fromBytes = blob(`bytes retried ${what}`)
      env.proxy.addFault({ match: blobPut, action })
      const retried = await logged(env.proxy, () => env.proxied(name).push(fromBytes.desc, fromBytes.bytes))
      assert.deepEqual(
        retried.map((r) => r.method),
        ['HEAD', 'POST', 'PUT', 'DELETE', 'HEAD', 'POST', 'PUT'],
      )
      const fromFile = blob(`re-opened ${what}`)
      env.proxy.addFault({ match: blobPut, action })
      let opened = 0
      await env.proxied(name).pushBlob(fromFile.desc, async () => {
        opened++
        return Readable.from([fromFile.bytes])
      })
      assert.equal(opened, 2)
      for (const c of [fromBytes, fromFile]) assert.deepEqual(await readAll(await env.direct(name).fetch(c.desc)), c.bytes)
    })
  }

  test('a closing PUT whose answer is lost after the registry stored the blob: the HEAD before a new session finds it', async () => {
    const name = freshRepository('faults')
    const layer = blob('put answer lost')
    env.proxy.addFault({ match: matchRequest('PUT', /\/blobs\/uploads\/.*[?&]digest=/), action: { reset: 'after-upstream' } })
    const records = await logged(env.proxy, () => env.proxied(name).push(layer.desc, layer.bytes))
    assert.deepEqual(
      records.map((r) => `${r.method} ${r.fault ?? r.status}`),
      ['HEAD 404', 'POST 202', 'PUT reset', 'DELETE 404', 'HEAD 200'],
    )
  })

  test('a one-shot stream cannot start over: a 503 on its PUT fails with BodyNotReplayableError saying so, the session cancelled', async () => {
    const name = freshRepository('faults')
    const fromStream = blob('stream not retried')
    env.proxy.addFault({ match: matchRequest('PUT', /\/blobs\/uploads\/.*[?&]digest=/), action: { status: 503 } })
    const failed = await logged(env.proxy, () =>
      assert.rejects(
        env.proxied(name).push(fromStream.desc, Readable.from([fromStream.bytes])),
        (err: unknown) =>
          err instanceof BodyNotReplayableError && /can be read only once/.test(err.message) && err.cause instanceof RegistryResponseError,
      ),
    )
    assert.deepEqual(
      failed.map((r) => `${r.method} ${r.status}`),
      ['HEAD 404', 'POST 202', 'PUT 503', 'DELETE 204'],
    )
    assert.equal(await env.direct(name).exists(fromStream.desc), false)
  })
})
