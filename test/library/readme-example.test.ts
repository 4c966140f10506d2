/**
 * The README's library example is a program that compiles against the package root as it is
 * built: it is cut out of README.md and type-checked with the project's compiler settings, so a
 * renamed export or option breaks this test instead of the reader's first try.
 */
import assert from 'node:assert/strict'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import ts from 'typescript'
import { ROOT } from '../helpers/cli.js'

test("the README's library example type-checks against the package root", async () => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('### As a library'))
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
  assert.ok(code !== undefined && code.includes("from 'ocibundle'"), 'the section has a ts block importing ocibundle')
  // Inside the package, so that 'ocibundle' resolves to itself through package.json exports.
  const dir = join(ROOT, '.tmp', `readme-example-${process.pid}`)
  await mkdir(dir, { recursive: true })
  const file = join(dir, 'example.mts')
  try {
    await writeFile(file, `${code}\nexport {}\n`)
    const config = ts.readConfigFile(join(ROOT, 'tsconfig.test.json'), ts.sys.readFile)
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT)
    const program = ts.createProgram([file], { ...parsed.options, noEmit: true })
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    assert.deepEqual(problems, [])
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
