/**
 * Saved reports: where they go, that they round-trip, that they expire, and that a broken or
 * foreign file is ignored with a warning instead of failing a publish.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { DEFAULT_REPORT_TTL_MS, loadReport, reportCacheDir, reportCachePath, saveReport } from '../../src/compat/report-cache.js'
import { syntheticReport } from './helpers.js'

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ocibundle-report-cache-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

const probedAt = Date.parse('2026-01-02T03:04:05.000Z')

/** Options for a test: its own directory, a fixed clock, and a warning collector. */
function options(sub: string, now = probedAt + 1000): { dir: string; now: () => number; warn: (m: string) => void; warnings: string[] } {
  const warnings: string[] = []
  return { dir: join(dir, sub), now: () => now, warn: (m) => warnings.push(m), warnings }
}

describe('report cache location', () => {
  test('XDG_CACHE_HOME, else ~/.cache; the host is encoded into one safe file name', () => {
    assert.equal(reportCacheDir({ env: { XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' } }), '/x/cache/ocibundle/registries')
    assert.equal(reportCacheDir({ env: { HOME: '/home/u' } }), '/home/u/.cache/ocibundle/registries')
    assert.equal(reportCacheDir({ env: { XDG_CACHE_HOME: '', HOME: '/home/u' } }), '/home/u/.cache/ocibundle/registries')
    assert.equal(reportCachePath('localhost:5000', { env: { XDG_CACHE_HOME: '/c' } }), '/c/ocibundle/registries/localhost%3A5000.json')
    assert.equal(reportCachePath('../../etc', { dir: '/c' }), '/c/..%2F..%2Fetc.json')
  })
})

describe('saveReport / loadReport', () => {
  test('round-trips a report, creating the directory, leaving no temporary file', async () => {
    const o = options('roundtrip')
    const report = syntheticReport({ host: 'localhost:5000', unsupported: ['oci-index'] })
    const path = await saveReport(report, o)
    assert.equal(path, join(o.dir, 'localhost%3A5000.json'))
    assert.deepEqual(await loadReport('localhost:5000', o), report)
    assert.deepEqual(await readdir(o.dir), ['localhost%3A5000.json'])
    assert.deepEqual(o.warnings, [])
  })

  test('a second save replaces the first', async () => {
    const o = options('replace')
    await saveReport(syntheticReport({ host: 'h' }), o)
    await saveReport(syntheticReport({ host: 'h', unsupported: ['referrers-tag-schema'] }), o)
    assert.equal((await loadReport('h', o))?.capabilities['referrers-tag-schema'].support, 'unsupported')
  })

  test('no file: undefined, without a warning', async () => {
    const o = options('missing')
    assert.equal(await loadReport('nowhere.example', o), undefined)
    assert.deepEqual(o.warnings, [])
  })

  test('expires after the TTL (default 7 days), silently', async () => {
    const report = syntheticReport({ host: 'h' })
    await saveReport(report, options('ttl'))
    assert.deepEqual(await loadReport('h', options('ttl', probedAt + DEFAULT_REPORT_TTL_MS)), report)
    const late = options('ttl', probedAt + DEFAULT_REPORT_TTL_MS + 1)
    assert.equal(await loadReport('h', late), undefined)
    assert.deepEqual(late.warnings, [])
    assert.equal(await loadReport('h', { ...options('ttl', probedAt + 61_000), ttlMs: 60_000 }), undefined)
  })

  test('broken, foreign, future or oversized files are ignored with a warning naming the file', async () => {
    const o = options('broken')
    await mkdir(o.dir, { recursive: true })
    const good = JSON.stringify(syntheticReport({ host: 'h' }))
    const cases: Array<[string, string | Buffer, RegExp]> = [
      ['not-json', '{"version":1,', /not valid JSON/],
      ['duplicate', good.replace('"version":1', '"version":1,"version":1'), /duplicate key/],
      ['not-report', '{"version":1}', /host: must be a string/],
      ['foreign', JSON.stringify(syntheticReport({ host: 'other.example' })), /report of other\.example/],
      ['future', JSON.stringify({ ...syntheticReport({ host: 'future' }), probedAt: '2030-01-01T00:00:00.000Z' }), /in the future/],
      ['huge', Buffer.alloc(300 * 1024, 0x20), /larger than/],
    ]
    for (const [host, content, message] of cases) {
      await writeFile(reportCachePath(host, o), content)
      o.warnings.length = 0
      assert.equal(await loadReport(host, o), undefined, host)
      assert.equal(o.warnings.length, 1, host)
      assert.match(o.warnings[0]!, message, host)
      assert.ok(o.warnings[0]!.includes(reportCachePath(host, o)), host)
    }
  })
})
