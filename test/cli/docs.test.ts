import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { test } from 'node:test'
import { ROOT } from '../helpers/cli.js'

test('README command reference, exit-code table and docs/validation-rules.md match the code (npm run docs)', async () => {
  const run = promisify(execFile)
  await assert.doesNotReject(run(process.execPath, ['scripts/gen-docs.js', '--check'], { cwd: ROOT }))
})

test('docs/api, the API reference generated from the TSDoc of every export, matches the code (npm run docs)', async () => {
  const run = promisify(execFile)
  await assert.doesNotReject(run(process.execPath, ['scripts/gen-api-docs.js', '--check'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }))
})

test('src/cnab/compiled-schemas.ts, the validators compiled ahead of time from schemas/, matches the schemas', async () => {
  const run = promisify(execFile)
  await assert.doesNotReject(
    run(process.execPath, ['scripts/gen-schema-validators.js', '--check'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }),
  )
})
