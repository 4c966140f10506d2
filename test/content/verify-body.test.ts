/**
 * Push-body helpers of src/content/verify.ts: releasing a body that will not be read, and
 * cancelling a verified read through an AbortSignal.
 */
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { describe, test } from 'node:test'
import { consumeVerified, discardBody } from '../../src/content/verify.js'
import { blob, pattern, patternDescriptor } from '../helpers/content.js'

describe('push body helpers', () => {
  test('discardBody destroys a stream and closes a generator without reading them', async () => {
    const stream = Readable.from([Buffer.from('x')])
    discardBody(stream)
    assert.equal(stream.destroyed, true)
    let read = false
    const gen = (async function* () {
      read = true
      yield Buffer.from('x')
    })()
    discardBody(gen)
    assert.deepEqual(await gen.next(), { done: true, value: undefined }, 'the generator is closed')
    assert.equal(read, false)
  })

  test('consumeVerified with an already aborted signal rejects without reading and releases the body', async () => {
    const b = blob('never read')
    const body = Readable.from([b.bytes])
    const controller = new AbortController()
    controller.abort()
    await assert.rejects(
      consumeVerified(body, b.desc, () => assert.fail('sink called'), controller.signal),
      { name: 'AbortError' },
    )
    assert.equal(body.destroyed, true)
  })

  test('consumeVerified stops with AbortError when the signal aborts midway', async () => {
    const size = 1024 * 1024
    const desc = await patternDescriptor(size)
    const controller = new AbortController()
    let received = 0
    const sink = (chunk: Buffer): void => {
      received += chunk.length
      if (received >= size / 4) controller.abort()
    }
    await assert.rejects(consumeVerified(pattern(size), desc, sink, controller.signal), { name: 'AbortError' })
    assert.ok(received < size)
  })

  test('consumeVerified rejects with the error of a stream that failed before it was consumed', async () => {
    const b = blob('content')
    const failed = new Readable({ read() {} })
    failed.on('error', () => {})
    const cause = new Error('the source broke')
    failed.destroy(cause)
    await new Promise((resolve) => setImmediate(resolve)) // the error event has been emitted
    await assert.rejects(
      consumeVerified(failed, b.desc, () => assert.fail('sink called')),
      (err: unknown) => err === cause,
    )
  })

  test('consumeVerified resolves only after the promise the sink returned for the last chunk, with every chunk in order', async () => {
    const b = blob('one two three')
    const parts = [b.bytes.subarray(0, 4), b.bytes.subarray(4, 8), b.bytes.subarray(8)]
    const stored: Buffer[] = []
    let last = false
    await consumeVerified(Readable.from(parts), b.desc, (chunk) => {
      if (chunk.length === 0) return undefined
      return new Promise<void>((resolve) =>
        setTimeout(() => {
          stored.push(chunk)
          last = Buffer.concat(stored).length === b.bytes.length
          resolve()
        }, 5),
      )
    })
    assert.equal(last, true, 'the last chunk was stored before consumeVerified resolved')
    assert.deepEqual(Buffer.concat(stored), Buffer.from(b.bytes))
  })

  test('consumeVerified rejects with the error the sink throws or rejects with, and destroys the source', async () => {
    const b = blob('content')
    const thrown = new Error('disk full')
    const body = Readable.from([b.bytes])
    await assert.rejects(
      consumeVerified(body, b.desc, () => Promise.reject(thrown)),
      (err: unknown) => err === thrown,
    )
    assert.equal(body.destroyed, true)
  })
})
