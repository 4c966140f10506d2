/**
 * Faults injected by the proxy between the client and a real registry: retried statuses,
 * Retry-After, downloads that break off (reset, truncated) and resume with Range, registries
 * that ignore Range, corrupted bodies, and which upload requests can be retried.
 */
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { describe, test } from 'node:test'
import { DigestMismatchError, OcibundleError } from '../../../src/errors.js'
import { digestStream } from '../../../src/oci/digest.js'
import { RegistryResponseError } from '../../../src/registry/http/response-errors.js'
import { backoffPolicy } from '../../../src/registry/http/retry.js'
import { blob, image, patternDescriptor, patternStream, readAll } from '../../helpers/content.js'
import { matchRequest } from '../../helpers/registry/fault-proxy.js'
import { forwardChanged, freshRepository, logged, pushAll, useRegistry } from './helpers.js'

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

  test('a corrupted body fails with DigestMismatchError: a blob stream never ends successfully, a manifest is never returned', async () => {
    const { name, desc } = await withBlob(5)
    env.proxy.addFault({ match: matchRequest('GET', `/blobs/${desc.digest}`), action: { corruptBody: true } })
    const stream = await env.proxied(name).fetch(desc)
    let ended = false
    stream.on('end', () => (ended = true))
    await assert.rejects(readAll(stream), DigestMismatchError)
    assert.equal(ended, false)

    const img = image('corrupted manifest')
    await pushAll(env.direct(name), img.config, img.layer, img.manifest)
    await env.direct(name).tag(img.manifest.desc, 'v1')
    env.proxy.addFault({ match: matchRequest('GET', '/manifests/'), times: 3, action: { corruptBody: true } })
    const repo = env.proxied(name)
    await assert.rejects(repo.fetch(img.manifest.desc), DigestMismatchError)
    await assert.rejects(repo.fetchReference(img.manifest.desc.digest), DigestMismatchError)
    await assert.rejects(repo.fetchReference('v1'), DigestMismatchError)
  })

  test('a 503 on a chunk PATCH is retried (the chunk is held in memory) and the upload completes', async () => {
    const name = freshRepository('faults')
    const layer = blob('retried chunk')
    env.proxy.addFault({ match: matchRequest('PATCH', '/blobs/uploads/'), action: { status: 503 } })
    const records = await logged(env.proxy, () =>
      env.proxied(name, { uploadMode: 'chunked' }).push(layer.desc, Readable.from([layer.bytes])),
    )
    assert.deepEqual(
      records.map((r) => `${r.method} ${r.status}`),
      ['HEAD 404', 'POST 202', 'PATCH 503', 'PATCH 202', 'PUT 201'],
    )
    assert.deepEqual(await readAll(await env.direct(name).fetch(layer.desc)), layer.bytes)
  })

  test('a monolithic PUT answered 503 is retried from bytes, but not from a one-shot stream (whose upload is cancelled)', async () => {
    const name = freshRepository('faults')
    const blobPut = matchRequest('PUT', /\/blobs\/uploads\/.*[?&]digest=/)
    const fromBytes = blob('bytes retried')
    env.proxy.addFault({ match: blobPut, action: { status: 503 } })
    const retried = await logged(env.proxy, () => env.proxied(name).push(fromBytes.desc, fromBytes.bytes))
    assert.deepEqual(
      retried.map((r) => `${r.method} ${r.status}`),
      ['HEAD 404', 'POST 202', 'PUT 503', 'PUT 201'],
    )
    const fromStream = blob('stream not retried')
    env.proxy.addFault({ match: blobPut, action: { status: 503 } })
    const failed = await logged(env.proxy, () =>
      assert.rejects(
        env.proxied(name).push(fromStream.desc, Readable.from([fromStream.bytes])),
        (err: unknown) => err instanceof RegistryResponseError && err.status === 503,
      ),
    )
    assert.deepEqual(
      failed.map((r) => `${r.method} ${r.status}`),
      ['HEAD 404', 'POST 202', 'PUT 503', 'DELETE 204'],
    )
    assert.equal(await env.direct(name).exists(fromStream.desc), false)
  })
})
