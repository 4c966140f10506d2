/**
 * Limiter: the bound it keeps, arrival order, release on failure, and waiters leaving on abort.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Limiter } from '../../src/copy/limiter.js'

describe('Limiter', () => {
  test('runs at most `limit` functions at once, in arrival order, and every one of them', async () => {
    const limiter = new Limiter(2)
    let active = 0
    let peak = 0
    const started: number[] = []
    const results = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        limiter.run(async () => {
          started.push(i)
          peak = Math.max(peak, ++active)
          await sleep(5)
          active--
          return i * 10
        }),
      ),
    )
    assert.equal(peak, 2)
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6])
    assert.deepEqual(results, [0, 10, 20, 30, 40, 50, 60])
    assert.equal(limiter.active, 0)
  })

  test('releases the slot of a function that throws', async () => {
    const limiter = new Limiter(1)
    await assert.rejects(
      limiter.run(async () => Promise.reject(new Error('boom'))),
      /boom/,
    )
    assert.equal(await limiter.run(async () => 'next'), 'next')
  })

  test('a waiter whose signal aborts is rejected with the reason and never runs; other waiters still run', async () => {
    const limiter = new Limiter(1)
    const controller = new AbortController()
    let release!: () => void
    const holder = limiter.run(() => new Promise<void>((r) => (release = r)))
    let ran = false
    const aborted = limiter.run(async () => void (ran = true), controller.signal)
    const other = limiter.run(async () => 'other')
    const reason = new Error('cancelled')

    controller.abort(reason)
    await assert.rejects(aborted, (err) => err === reason)
    release()
    await holder
    assert.equal(await other, 'other')
    assert.equal(ran, false)
  })

  test('an already aborted signal rejects without running', async () => {
    let ran = false
    await assert.rejects(
      new Limiter(1).run(async () => void (ran = true), AbortSignal.abort()),
      { name: 'AbortError' },
    )
    assert.equal(ran, false)
  })

  test('refuses a limit that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new Limiter(bad), RangeError)
  })
})
