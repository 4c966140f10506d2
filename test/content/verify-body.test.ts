/**
 * Push-body helpers of verify.ts: releasing a body that will not be read, and cancelling a
 * verified read through an AbortSignal.
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
    await assert.rejects(consumeVerified(body, b.desc, () => assert.fail('sink called'), controller.signal), { name: 'AbortError' })
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
})
