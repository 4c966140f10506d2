/**
 * No file of src/ imports itself back through other files, type-only imports included: the
 * lint's import-cycle rule skips `import type`, so this walks the whole graph with TypeScript's
 * own pre-processor and looks for strongly connected components.
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, normalize, relative } from 'node:path'
import { test } from 'node:test'
import ts from 'typescript'

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => normalize(join(e.parentPath, e.name)))
}

/** Every relative import and re-export of every file, value or type, as file paths. */
async function importGraph(root: string): Promise<Map<string, string[]>> {
  const files = await sourceFiles(root)
  const known = new Set(files)
  const graph = new Map<string, string[]>()
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(await readFile(file, 'utf8'), true, true)
    const targets = importedFiles
      .map((f) => f.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => normalize(join(dirname(file), name.replace(/\.js$/, '.ts'))))
      .filter((path) => known.has(path))
    graph.set(file, [...new Set(targets)])
  }
  return graph
}

/** Tarjan's strongly connected components with more than one file, or a file importing itself. */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string): void => {
    index.set(v, counter)
    low.set(v, counter++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) !== index.get(v)) return
    const component: string[] = []
    let w: string
    do {
      w = stack.pop()!
      onStack.delete(w)
      component.push(w)
    } while (w !== v)
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort())
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return found
}

test('no import circles in src/, type-only imports included', async () => {
  const graph = await importGraph('src')
  assert.ok(graph.size > 100, 'the walk found the sources')
  assert.deepEqual(
    cycles(graph).map((c) => c.map((f) => relative('src', f))),
    [],
  )
})

test('the walk finds a circle when there is one (type-only)', () => {
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['a.ts']],
  ])
  assert.deepEqual(cycles(graph), [['a.ts', 'b.ts', 'c.ts']])
})
