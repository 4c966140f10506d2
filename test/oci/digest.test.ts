import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { describe, test } from 'node:test'
import { DigestMismatchError, InvalidDigestError, SizeMismatchError } from '../../src/errors.js'
import { digestOf, digestStream, isDigest, parseDigest, VerifyingStream, verifyBytes } from '../../src/oci/digest.js'
import { Writable } from 'node:stream'

const hello = Buffer.from('hello world')
const helloSha256 = 'sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9'

describe('digests', () => {
  test('parseDigest accepts sha256 and sha512 with lowercase hex of the right length', () => {
    assert.equal(parseDigest(helloSha256), helloSha256)
    const s512 = `sha512:${createHash('sha512').update(hello).digest('hex')}`
    assert.equal(parseDigest(s512), s512)
  })
  const bad: Array<[string, RegExp]> = [
    ['sha256', /expected <algorithm>:<hex>/],
    ['sha256:', /expected <algorithm>:<hex>/],
    [`SHA256:${'a'.repeat(64)}`, /expected <algorithm>:<hex>/],
    [`sha256:${'a'.repeat(63)}`, /64 lowercase hex/],
    [`sha256:${'a'.repeat(65)}`, /64 lowercase hex/],
    [`sha256:${'A'.repeat(64)}`, /64 lowercase hex/],
    [`sha256:${'g'.repeat(64)}`, /64 lowercase hex/],
    [`sha512:${'a'.repeat(64)}`, /128 lowercase hex/],
    [`md5:${'a'.repeat(32)}`, /unsupported digest algorithm "md5"/],
  ]
  for (const [value, why] of bad) {
    test(`parseDigest rejects ${value.slice(0, 20)}… (${why.source})`, () => {
      assert.throws(
        () => parseDigest(value),
        (e: unknown) => e instanceof InvalidDigestError && why.test(e.message),
      )
      assert.equal(isDigest(value), false)
    })
  }
  test('digestOf and digestStream agree with sha256sum', async () => {
    assert.equal(digestOf(hello), helloSha256)
    const chunks = [Buffer.from('hel'), Buffer.from('lo '), Buffer.from('world')]
    assert.deepEqual(await digestStream(Readable.from(chunks)), { digest: helloSha256, size: 11 })
  })
  test('verifyBytes throws size then digest mismatches', () => {
    verifyBytes(hello, parseDigest(helloSha256), 11)
    assert.throws(() => verifyBytes(hello, parseDigest(helloSha256), 10), SizeMismatchError)
    assert.throws(() => verifyBytes(Buffer.from('hello worle'), parseDigest(helloSha256), 11), DigestMismatchError)
  })
})

async function drain(source: Readable, v: VerifyingStream): Promise<number> {
  let n = 0
  await pipeline(
    source,
    v,
    new Writable({
      write(c, _e, cb) {
        n += c.length
        cb()
      },
    }),
  )
  return n
}

describe('VerifyingStream fails the stream on mismatch', () => {
  test('passes matching content through unchanged', async () => {
    assert.equal(await drain(Readable.from([hello]), new VerifyingStream(parseDigest(helloSha256), 11)), 11)
  })
  test('errors as soon as more bytes than the expected size arrive', async () => {
    const endless = Readable.from(
      (function* () {
        for (;;) yield Buffer.alloc(65536)
      })(),
    )
    await assert.rejects(drain(endless, new VerifyingStream(parseDigest(helloSha256), 11)), SizeMismatchError)
  })
  test('errors at the end when fewer bytes arrived', async () => {
    await assert.rejects(drain(Readable.from([Buffer.from('hello')]), new VerifyingStream(parseDigest(helloSha256), 11)), SizeMismatchError)
  })
  test('errors at the end when the digest differs', async () => {
    await assert.rejects(
      drain(Readable.from([Buffer.from('HELLO WORLD')]), new VerifyingStream(parseDigest(helloSha256), 11)),
      DigestMismatchError,
    )
  })
})
