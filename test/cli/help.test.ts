/**
 * The help people read: `-h`, `--help` and `help <command>` work for every command, and every
 * help text rendered at 80 columns fits and is wrapped once, by oclif. Descriptions are written
 * as paragraphs; a description hard-wrapped in the source and wrapped again by oclif shows as
 * ragged lines (a short line whose next word would have fitted), which this test catches.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { before, describe, test } from 'node:test'
import { ROOT, runCli } from '../helpers/cli.js'

const WIDTH = 80
const env = { COLUMNS: String(WIDTH), OCLIF_COLUMNS: String(WIDTH) }

async function commandIds(): Promise<string[]> {
  const manifest = JSON.parse(await readFile(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
    commands: Record<string, { hidden?: boolean }>
  }
  return Object.entries(manifest.commands)
    .filter(([, c]) => !c.hidden)
    .map(([id]) => id)
}

/**
 * Lines that break the layout: longer than WIDTH, or ending early although the next line of the
 * same paragraph starts with a word that would have fitted (text wrapped twice). Usage and
 * example command lines are wrapped by oclif's own rules and only checked for length.
 */
function badLines(text: string): string[] {
  const lines = text.split('\n')
  const bad: string[] = []
  let inExamples = false
  lines.forEach((line, i) => {
    const width = [...line].length
    if (width > WIDTH) bad.push(`over ${WIDTH} columns (${width}): ${line}`)
    if (/^[A-Z][A-Z ]+$/.test(line)) {
      inExamples = line === 'EXAMPLES'
      return // a section heading
    }
    const next = lines[i + 1]
    if (inExamples || next === undefined || line.trim() === '' || next.trim() === '') return
    const indent = (s: string): number => s.length - s.trimStart().length
    const continuation =
      indent(next) > 0 &&
      !/^\s*(-|\$|<options:|\[default:)/.test(next) &&
      indent(next) >= indent(line.replace(/^(\s*\S+\s{2,})/, (m) => ' '.repeat(m.length)))
    if (!continuation || /^\s*\$ /.test(line)) return
    const firstWord = next.trim().split(/\s+/)[0]!
    if (width + 1 + [...firstWord].length <= WIDTH) bad.push(`ragged (the next word "${firstWord}" fits): ${line}`)
  })
  return bad
}

describe('help at 80 columns', () => {
  /** `--help` of every command, rendered once for both tests. */
  const helps = new Map<string, string>()
  before(async () => {
    for (const id of await commandIds()) {
      const r = await runCli([...id.split(':'), '--help'], { env })
      assert.equal(r.code, 0, `${id} --help: ${r.stderr}`)
      helps.set(id, r.stdout)
    }
  })

  test('every command has help through --help, -h and help <command>, with the same text', async () => {
    for (const [id, long] of helps) {
      const words = id.split(':')
      assert.match(long, /^USAGE$/m, id)
      const short = await runCli([...words, '-h'], { env })
      assert.equal(short.stdout, long, `${id} -h`)
      const viaHelp = await runCli(['help', ...words], { env })
      assert.equal(viaHelp.stdout, long, `help ${id}`)
    }
  })

  test('no help text, of the program or of any command, has a line over 80 columns or a ragged paragraph', async () => {
    const root = await runCli(['--help'], { env })
    const problems = badLines(root.stdout).map((p) => `ocibundle --help: ${p}`)
    for (const [id, text] of helps) problems.push(...badLines(text).map((p) => `${id}: ${p}`))
    assert.deepEqual(problems, [])
  })

  test('the check sees a description wrapped twice', () => {
    // What `push --help` printed when its description was hard-wrapped at ~96 columns in the source.
    const twice = [
      'DESCRIPTION',
      '  From a bundle.json file: every image is resolved (from --images, then',
      '  registries) and',
      '  copied into the destination repository (mounted when it is in the same',
    ].join('\n')
    assert.equal(badLines(twice).length, 1)
  })
})

describe('shell completion and mistyped commands', () => {
  test('autocomplete prints the setup for bash', async () => {
    const r = await runCli(['autocomplete', 'bash'], { env: { ...env, XDG_CACHE_HOME: join(ROOT, '.tmp', `autocomplete-${process.pid}`) } })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /ocibundle autocomplete/)
  })

  test('a mistyped command exits 2 and names the commands it is close to', async () => {
    const r = await runCli(['pusj', 'bundle.json'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /"pusj" is not an ocibundle command; did you mean "ocibundle push"/)
    const topic = await runCli(['registry', 'chek', 'registry.example.com'])
    assert.equal(topic.code, 2)
    assert.match(topic.stderr, /"registry chek" is not an ocibundle command; did you mean "ocibundle registry check"/)
  })
})
