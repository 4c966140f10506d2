#!/usr/bin/env node
// Regenerates the generated parts of the documentation from the built code (dist/): the command
// reference and exit-code table in README.md (from oclif metadata) and docs/validation-rules.md
// (from the rules registry). `--check` exits 1 when a file is out of date, so the test suite
// keeps the documentation honest.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Config } from '@oclif/core'

const root = fileURLToPath(new URL('..', import.meta.url))
const readmePath = new URL('../README.md', import.meta.url)
const rulesPath = new URL('../docs/validation-rules.md', import.meta.url)
const { EXIT_CODES } = await import(new URL('../dist/cli/exit-codes.js', import.meta.url).href)
const { listRules } = await import(new URL('../dist/cnab/index.js', import.meta.url).href)

const config = await Config.load(root)
const commands = [...config.commands].filter((c) => !c.hidden).sort((a, b) => a.id.localeCompare(b.id))

const render = (text, id) => text.replaceAll('<%= config.bin %>', config.bin).replaceAll('<%= command.id %>', id.replaceAll(':', ' '))

function flagLine(name, f) {
  const short = f.char ? `-${f.char}, ` : ''
  const value = f.type === 'option' ? ` <${f.helpValue ?? (f.options ? f.options.join('|') : 'value')}>` : ''
  const dflt = f.default !== undefined && typeof f.default !== 'function' && f.default !== false ? ` (default: ${f.default})` : ''
  return `| \`${short}--${name}${value}\` | ${(f.summary ?? f.description ?? '').replaceAll('|', '\\|')}${dflt} |`
}

function commandSection(c) {
  const id = c.id.replaceAll(':', ' ')
  const args = Object.entries(c.args ?? {})
  const usage = `${config.bin} ${id}${args.map(([n, a]) => (a.required ? ` <${n}>` : ` [${n}]`)).join('')}${c.strict === false ? '...' : ''} [flags]`
  const lines = [`### \`${config.bin} ${id}\``, '', c.summary ?? '', '']
  if (c.description) lines.push(c.description.trim(), '')
  lines.push('```', usage, '```', '')
  if (args.length > 0) {
    lines.push('| argument | meaning |', '|---|---|')
    for (const [n, a] of args) lines.push(`| \`${n}\` | ${a.description ?? ''} |`)
    lines.push('')
  }
  const flags = Object.entries(c.flags ?? {}).filter(([, f]) => !f.hidden)
  if (flags.length > 0) {
    lines.push('| flag | meaning |', '|---|---|')
    for (const [n, f] of flags) lines.push(flagLine(n, f))
    lines.push('')
  }
  const examples = (c.examples ?? []).map((e) => (typeof e === 'string' ? { command: e } : e))
  if (examples.length > 0) {
    lines.push('Examples:', '', '```')
    for (const e of examples) {
      if (e.description) lines.push(`# ${render(e.description, c.id)}`)
      lines.push(render(e.command, c.id))
    }
    lines.push('```', '')
  }
  return lines.join('\n')
}

const commandDocs = commands.map(commandSection).join('\n')
const exitTable = ['| code | name | meaning |', '|---|---|---|', ...EXIT_CODES.map((e) => `| ${e.code} | ${e.name} | ${e.meaning} |`)].join(
  '\n',
)

function replaceBetween(text, marker, body) {
  const start = `<!-- ${marker} -->`
  const end = `<!-- ${marker}-end -->`
  const i = text.indexOf(start)
  const j = text.indexOf(end)
  if (i === -1 || j === -1) throw new Error(`README.md lacks the ${start} … ${end} markers`)
  return `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`
}

const severities = (list) => (list.length === 0 ? '—' : list.join(' or '))
const rulesDoc = [
  '# Validation rules',
  '',
  'Generated from `src/cnab/rules/registry.ts` by `npm run docs`. Every issue `ocibundle validate` reports',
  'carries one of these rule ids. "lint" is the default mode; "publish" (`--mode publish`) is what',
  '`push` will require. The checklist numbers refer to the CNAB validation checklist the rules implement.',
  '',
  '| rule id | stage | checklist | lint | publish | what it checks |',
  '|---|---|---|---|---|---|',
  ...listRules().map(
    (r) =>
      `| \`${r.id}\` | ${r.stage} | ${r.checklist ?? ''} | ${severities(r.lint)} | ${severities(r.publish)} | ${r.description.replaceAll('|', '\\|')} |`,
  ),
  '',
].join('\n')

const outputs = [
  [readmePath, replaceBetween(replaceBetween(readFileSync(readmePath, 'utf8'), 'commands', commandDocs), 'exit-codes', exitTable)],
  [rulesPath, rulesDoc],
]
const current = (url) => {
  try {
    return readFileSync(url, 'utf8')
  } catch {
    return undefined
  }
}
const stale = outputs.filter(([url, text]) => current(url) !== text)
if (process.argv.includes('--check')) {
  if (stale.length > 0) {
    console.error(
      `out of date: ${stale.map(([url]) => fileURLToPath(url).slice(root.length)).join(', ')}; run \`npm run build && npm run docs\``,
    )
    process.exit(1)
  }
} else {
  for (const [url, text] of stale) writeFileSync(url, text)
}
