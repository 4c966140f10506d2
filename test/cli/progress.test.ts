import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, test } from 'node:test'
import { createProgress, silentProgress } from '../../src/cli/progress.js'

/** A stand-in terminal that records what is drawn. */
function fakeTerminal(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = []
  return Object.assign(Object.create(null), {
    isTTY,
    columns: 100,
    write: (s: string) => void chunks.push(s),
    text: () => chunks.join(''),
  }) as NodeJS.WriteStream & { text: () => string }
}

// eslint-disable-next-line no-control-regex -- terminal escape sequences are what is removed
const plain = (s: string) => s.replace(/\u001B\[[0-9;]*[A-Za-z]/g, '')

describe('progress bars', () => {
  test('are silent when stderr is not a terminal', () => {
    const term = fakeTerminal(false)
    assert.equal(createProgress(true, term), silentProgress)
    assert.equal(createProgress(false, fakeTerminal(true)), silentProgress)
  })

  test('draw one bar per blob in flight and a total, drop finished blobs, and clear at the end', async () => {
    const term = fakeTerminal(true)
    const p = createProgress(true, term)
    p.update('sha256:aaaaaaaaaaaaaaaaaaaaaaaa', 512 * 1024, 1024 * 1024)
    assert.match(plain(term.text()), /\[=+> *\]\s+50% sha256:aaaaaaaaaaaa 512\.0 KiB\/1\.0 MiB/)
    await sleep(120) // redraws are throttled to ten a second
    p.update('sha256:aaaaaaaaaaaaaaaaaaaaaaaa', 1024 * 1024, 1024 * 1024)
    p.done('sha256:bbbbbbbbbbbbbbbbbbbbbbbb', 10, 'skipped')
    await sleep(120)
    p.done('sha256:cccccccccccccccccccccccc', 2048, 'mounted')
    const last = plain(term.text().split('\r').slice(-3).join(''))
    assert.match(last, /3 done \(1 already there\)/)
    const before = term.text().length
    p.finish()
    const cleared = term.text().slice(before)
    // eslint-disable-next-line no-control-regex -- the escape sequences are what is checked
    assert.match(cleared, /^\u001B\[\d+A(\r\u001B\[2K\n)+\u001B\[\d+A$/, 'finish moves up and blanks every drawn line')
    p.finish()
    assert.equal(term.text().length, before + cleared.length, 'a second finish draws nothing')
  })
})
