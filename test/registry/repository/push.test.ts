/**
 * Pushing to a real registry: existing blobs are skipped after a HEAD, new ones go up as POST +
 * monolithic PUT or in chunks of at most 4 MiB (or the registry's minimum), a refused
 * monolithic PUT falls back to chunks when the content can be read again, wrong content is
 * refused and its upload cancelled, and manifests are PUT byte for byte with their media type.
 */
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { describe, test } from 'node:test'
import { DigestMismatchError, InvalidContentError, SizeMismatchError } from '../../../src/errors.js'
import { descriptorFromBytes } from '../../../src/oci/descriptor.js'
import { digestStream } from '../../../src/oci/digest.js'
import { MediaTypes } from '../../../src/oci/media-types.js'
import { BodyNotReplayableError } from '../../../src/registry/upload.js'
import { blob, image, patternDescriptor, patternStream, readAll } from '../../helpers/content.js'
import { matchRequest } from '../../helpers/registry/fault-proxy.js'
import { forwardChanged, freshRepository, logged, pushAll, requestLines, useRegistry } from './helpers.js'

const env = useRegistry()
const MiB = 1024 * 1024

/** `PUT …?digest=` of a blob upload (not a manifest PUT). */
const blobPut = matchRequest('PUT', /\/blobs\/uploads\/.*[?&]digest=/)

describe('RegistryRepository: push', () => {
  test('a blob already present is not uploaded again: one HEAD, and a stream body is released unread', async () => {
    const name = freshRepository('push')
    const layer = blob('present')
    await env.direct(name).push(layer.desc, layer.bytes)
    const body = Readable.from([layer.bytes])
    const records = await logged(env.proxy, () => env.proxied(name).push(layer.desc, body))
    assert.deepEqual(requestLines(records), [`HEAD /v2/${name}/blobs/${layer.desc.digest}`])
    assert.equal(records[0]?.status, 200)
    assert.equal(body.destroyed, true)
  })

  test('a new blob goes up as POST then one PUT ?digest= with Content-Length, from bytes and from a stream', async () => {
    const name = freshRepository('push')
    const repo = env.proxied(name)
    for (const [label, makeBody] of [
      ['bytes', (b: Buffer) => b],
      ['stream', (b: Buffer) => Readable.from([b.subarray(0, 3), b.subarray(3)])],
    ] as const) {
      const layer = blob(`monolithic from ${label}`)
      const records = await logged(env.proxy, () => repo.push(layer.desc, makeBody(layer.bytes)))
      assert.deepEqual(requestLines(records), [
        `HEAD /v2/${name}/blobs/${layer.desc.digest}`,
        `POST /v2/${name}/blobs/uploads/`,
        `PUT /v2/${name}/blobs/uploads/${records[2]?.path.split('/').pop()?.replace(/\?.*$/, '')}`,
      ])
      const put = records[2]!
      assert.equal(new URL(put.path, 'http://x').searchParams.get('digest'), layer.desc.digest)
      assert.equal(put.requestHeaders['content-length'], String(layer.desc.size))
      assert.equal(put.requestHeaders['content-type'], 'application/octet-stream')
      assert.equal(put.status, 201)
      assert.deepEqual(await readAll(await repo.fetch(layer.desc)), layer.bytes)
    }
  })

  test("uploadMode 'chunked' PATCHes chunks of at most 4 MiB with contiguous Content-Range, then PUTs ?digest= without a body", async () => {
    const name = freshRepository('push')
    const size = 9 * MiB + 123
    const desc = await patternDescriptor(size, { seed: 21 })
    const repo = env.proxied(name, { uploadMode: 'chunked' })
    const records = await logged(env.proxy, () => repo.push(desc, patternStream(size, { seed: 21 })))
    const patches = records.filter((r) => r.method === 'PATCH')
    assert.deepEqual(
      patches.map((p) => [
        p.requestHeaders['content-range'],
        p.requestHeaders['content-length'],
        p.requestHeaders['content-type'],
        p.status,
      ]),
      [
        [`0-${4 * MiB - 1}`, String(4 * MiB), 'application/octet-stream', 202],
        [`${4 * MiB}-${8 * MiB - 1}`, String(4 * MiB), 'application/octet-stream', 202],
        [`${8 * MiB}-${size - 1}`, String(size - 8 * MiB), 'application/octet-stream', 202],
      ],
    )
    // Each PATCH goes to the Location the previous answer gave (distribution's _state changes).
    for (let i = 1; i < patches.length; i++) {
      const previous = records[records.indexOf(patches[i]!) - 1]!
      assert.equal(
        new URL(String(previous.responseHeaders.location)).pathname + new URL(String(previous.responseHeaders.location)).search,
        patches[i]!.path,
      )
    }
    const close = records.at(-1)!
    assert.equal(close.method, 'PUT')
    assert.equal(close.requestHeaders['content-length'], '0')
    assert.equal(close.status, 201)
    assert.deepEqual(await digestStream(await repo.fetch(desc)), { digest: desc.digest, size })
  })

  test('chunks are at least the OCI-Chunk-Min-Length the registry asks for, even above 4 MiB', async () => {
    const name = freshRepository('push')
    env.intercept = async (req, ctx) => {
      if (req.method !== 'POST' || !req.url?.endsWith('/blobs/uploads/')) return false
      await forwardChanged(req, ctx, { response: (a) => ({ ...a, headers: { ...a.headers, 'oci-chunk-min-length': String(5 * MiB) } }) })
      return true
    }
    const size = 11 * MiB
    const desc = await patternDescriptor(size, { seed: 5 })
    const records = await logged(env.proxy, () => env.proxied(name, { uploadMode: 'chunked' }).push(desc, patternStream(size, { seed: 5 })))
    assert.deepEqual(
      records.filter((r) => r.method === 'PATCH').map((p) => p.requestHeaders['content-length']),
      [String(5 * MiB), String(5 * MiB), String(MiB)],
    )
    assert.equal(await env.direct(name).exists(desc), true)
  })

  test('ECR-style PATCH answers (201, and a Range that stops advancing) still complete the upload (ECR-3, ECR-4)', async () => {
    const name = freshRepository('push')
    env.intercept = async (req, ctx) => {
      if (req.method !== 'PATCH') return false
      await forwardChanged(req, ctx, { response: (a) => ({ ...a, status: 201, headers: { ...a.headers, range: `0-${MiB - 1}` } }) })
      return true
    }
    const size = 3 * MiB + 5
    const desc = await patternDescriptor(size, { seed: 9 })
    await env.proxied(name, { uploadMode: 'chunked', chunkSize: MiB }).push(desc, patternStream(size, { seed: 9 }))
    assert.deepEqual(await digestStream(await env.direct(name).fetch(desc)), { digest: desc.digest, size })
  })

  test('a monolithic PUT refused with 413 is cancelled and the content sent again in chunks in a new session', async () => {
    const name = freshRepository('push')
    env.proxy.addFault({ match: blobPut, action: { status: 413, body: '<html>413 Request Entity Too Large</html>' } })
    const layer = blob('refused monolithic')
    const repo = env.proxied(name)
    const records = await logged(env.proxy, () => repo.push(layer.desc, layer.bytes))
    assert.deepEqual(
      records.map((r) => `${r.method} ${r.status}`),
      ['HEAD 404', 'POST 202', 'PUT 413', 'DELETE 204', 'POST 202', 'PATCH 202', 'PUT 201'],
    )
    assert.deepEqual(await readAll(await repo.fetch(layer.desc)), layer.bytes)
  })

  test('after a refused monolithic PUT a one-shot stream cannot be sent again (BodyNotReplayableError); pushBlob with a re-opener can', async () => {
    const name = freshRepository('push')
    const layer = blob('one-shot stream')
    const repo = env.proxied(name)
    env.proxy.addFault({ match: blobPut, action: { status: 405 } })
    const records = await logged(env.proxy, () =>
      assert.rejects(repo.push(layer.desc, Readable.from([layer.bytes])), BodyNotReplayableError),
    )
    assert.deepEqual(
      records.map((r) => `${r.method} ${r.status}`),
      ['HEAD 404', 'POST 202', 'PUT 405', 'DELETE 204'],
    )
    env.proxy.addFault({ match: blobPut, action: { status: 405 } })
    let opened = 0
    await repo.pushBlob(layer.desc, async () => {
      opened++
      return Readable.from([layer.bytes])
    })
    assert.equal(opened, 2)
    assert.deepEqual(await readAll(await repo.fetch(layer.desc)), layer.bytes)
  })

  test('a stream that does not match the descriptor is refused, its upload cancelled with DELETE, and nothing stored', async () => {
    const name = freshRepository('push')
    const promised = blob('the promised bytes')
    const delivered = Buffer.from('the other bytes!!!')
    for (const uploadMode of ['auto', 'chunked'] as const) {
      const repo = env.proxied(name, { uploadMode })
      const records = await logged(env.proxy, () =>
        assert.rejects(repo.push(promised.desc, Readable.from([delivered])), DigestMismatchError),
      )
      const cancel = records.find((r) => r.method === 'DELETE')
      assert.ok(cancel, `${uploadMode}: the upload was cancelled`)
      assert.match(cancel.path, new RegExp(`^/v2/${name}/blobs/uploads/`))
      assert.equal(cancel.status, 204)
      assert.equal(records.filter((r) => r.method === 'PUT' && r.status === 201).length, 0)
      assert.equal(await env.direct(name).exists(promised.desc), false)
      assert.equal(await env.direct(name).exists(descriptorFromBytes(MediaTypes.OciLayer, delivered)), false)
    }
    // Bytes in memory are checked before any upload starts.
    const records = await logged(env.proxy, () =>
      assert.rejects(env.proxied(name).push(promised.desc, Buffer.from('short')), SizeMismatchError),
    )
    assert.deepEqual(requestLines(records), [`HEAD /v2/${name}/blobs/${promised.desc.digest}`])
  })

  test('a manifest is PUT by digest, byte for byte, with Content-Type = its media type; pushReference PUTs it under the tag', async () => {
    const name = freshRepository('push')
    const img = image('manifest put')
    const repo = env.proxied(name)
    await pushAll(repo, img.config, img.layer)
    const records = await logged(env.proxy, async () => {
      await repo.push(img.manifest.desc, img.manifest.bytes)
      await repo.pushReference(img.manifest.desc, Readable.from([img.manifest.bytes]), 'v1')
    })
    assert.deepEqual(requestLines(records), [`PUT /v2/${name}/manifests/${img.manifest.desc.digest}`, `PUT /v2/${name}/manifests/v1`])
    for (const r of records) assert.equal(r.requestHeaders['content-type'], MediaTypes.OciManifest)
    assert.deepEqual(await readAll((await env.direct(name).fetchReference('v1')).body), img.manifest.bytes)
  })

  test('a manifest PUT answered with another Docker-Content-Digest throws DigestMismatchError', async () => {
    const name = freshRepository('push')
    const img = image('lying registry')
    const repo = env.proxied(name)
    await pushAll(repo, img.config, img.layer)
    env.proxy.addFault({
      match: matchRequest('PUT', '/manifests/'),
      action: { status: 201, headers: { 'docker-content-digest': blob('other').desc.digest }, body: '' },
    })
    await assert.rejects(repo.push(img.manifest.desc, img.manifest.bytes), DigestMismatchError)
  })

  test('an invalid manifest is refused before any request', async () => {
    const name = freshRepository('push')
    const bad = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.OciManifest, layers: [] }))
    const records = await logged(env.proxy, () =>
      assert.rejects(env.proxied(name).push(descriptorFromBytes(MediaTypes.OciManifest, bad), bad), InvalidContentError),
    )
    assert.deepEqual(records, [])
  })
})
