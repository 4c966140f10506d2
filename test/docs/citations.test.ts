/**
 * Citations resolve inside the repository: every registry-quirk evidence id the code, tests and
 * documents cite (`ECR-1`, `QUAY-2`, …) has a row in docs/evidence.md with a public link; no
 * comment points at notes that are not in the repository; and every repository path mentioned
 * in comments and documents exists.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { ROOT } from '../helpers/cli.js'

const EVIDENCE_ID = /\b(?:ECR|GCR|GAR|GHCR|QUAY|NEXUS|ART|HAR|HUB|ACR|ZOT|OTH|D2|D3)-\d+\b/g

async function corpus(): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  for (const dir of ['src', 'test', 'docs', 'scripts', 'bench', 'bin']) {
    for (const e of await readdir(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
      const path = join(e.parentPath, e.name).slice(ROOT.length)
      if (!e.isFile() || !/\.(ts|js|md|sh)$/.test(e.name) || path.startsWith('test/fixtures/') || path.startsWith('docs/api/')) continue
      files.set(path, await readFile(join(ROOT, path), 'utf8'))
    }
  }
  files.set('README.md', await readFile(join(ROOT, 'README.md'), 'utf8'))
  return files
}

describe('citations', () => {
  test('every evidence id cited has a row in docs/evidence.md with a public link', async () => {
    const evidence = await readFile(join(ROOT, 'docs', 'evidence.md'), 'utf8')
    const rows = new Map<string, string>()
    for (const line of evidence.split('\n')) {
      const id = /^\|\s*([A-Z][A-Z0-9]*-\d+)\s*\|/.exec(line)?.[1]
      if (id !== undefined) rows.set(id, line)
    }
    const missing: string[] = []
    for (const [path, text] of await corpus()) {
      if (path === 'docs/evidence.md') continue
      for (const id of new Set(text.match(EVIDENCE_ID) ?? [])) if (!rows.has(id)) missing.push(`${id} (${path})`)
    }
    assert.deepEqual(missing, [])
    const unlinked = [...rows].filter(([, row]) => !/https:\/\/\S+/.test(row)).map(([id]) => id)
    assert.deepEqual(unlinked, [], 'every row links to a public source')
  })

  test('no citation of notes that are not in the repository', async () => {
    const internal =
      /\b(?:cnab-oci|registry-protocol|registry-quirks|distribution-2\.8|design-anchors)\.md\b|\/work\/shared|shared\/reference/
    const found = [...(await corpus())]
      .filter(([path, text]) => path !== 'test/docs/citations.test.ts' && internal.test(text))
      .map(([p]) => p)
    assert.deepEqual(found, [])
  })

  test('every repository path mentioned in comments and documents exists', async () => {
    // Paths relative to the repository root; test/bundle/helpers.ts reads fixtures relative to their folder (`read('bundles/…')`).
    const mentioned = /(?<![\w./-]|read\(')((?:src|test|docs|scripts|bench|bin|schemas|bundles)\/[\w./-]*\.(?:ts|js|md|sh|json))\b/g
    const stale: string[] = []
    for (const [path, text] of await corpus()) {
      // The lint fixtures name files that do not exist on purpose: ESLint lints text as if it were there.
      if (path === 'test/lint/layers.test.ts') continue
      for (const m of text.matchAll(mentioned)) {
        const cited = m[1]!
        if (cited.includes('*') || cited.includes('<')) continue
        if (!existsSync(join(ROOT, cited))) stale.push(`${cited} (in ${path})`)
      }
    }
    assert.deepEqual([...new Set(stale)], [])
  })
})
