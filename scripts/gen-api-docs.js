#!/usr/bin/env node
// Regenerates the API reference in docs/api/ from the TSDoc of the package root (src/index.ts),
// with typedoc and typedoc-plugin-markdown (typedoc.json). Every export must be documented:
// typedoc's warnings are errors. `--check` writes into a temporary directory and exits 1 when
// docs/api/ differs from it, so the test suite keeps the reference current.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const docs = join(root, 'docs', 'api')
const check = process.argv.includes('--check')
const out = check ? mkdtempSync(join(tmpdir(), 'ocibundle-api-')) : docs

const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc')
execFileSync(process.execPath, [typedoc, '--options', join(root, 'typedoc.json'), '--out', out], { cwd: root, stdio: 'inherit' })

if (check) {
  const files = (dir) =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)))
      .sort()
  const want = files(out)
  let have = []
  try {
    have = files(docs)
  } catch {
    // no docs/api yet: everything is stale
  }
  const stale = [...new Set([...want, ...have])].filter(
    (f) => !want.includes(f) || !have.includes(f) || !readFileSync(join(out, f)).equals(readFileSync(join(docs, f))),
  )
  rmSync(out, { recursive: true, force: true })
  if (stale.length > 0) {
    console.error(`docs/api is out of date (${stale.slice(0, 10).join(', ')}${stale.length > 10 ? ', …' : ''}): run npm run docs`)
    process.exit(1)
  }
}
