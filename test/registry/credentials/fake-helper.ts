/**
 * A fake docker-credential-<name> helper for tests: a small Node script put on PATH in a temp
 * directory. It speaks the helper protocol against a JSON file (FAKE_HELPER_STORE), logs every
 * call with its exact stdin (FAKE_HELPER_LOG), and misbehaves on demand (FAKE_HELPER_MODE=hang
 * never answers; =fail echoes its input to stdout and stderr and exits 1).
 */
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const SCRIPT = `#!/usr/bin/env node
const fs = require('fs')
const store = process.env.FAKE_HELPER_STORE
const action = process.argv[2]
let input = ''
process.stdin.on('data', (c) => (input += c)).on('end', () => {
  if (process.env.FAKE_HELPER_LOG) fs.appendFileSync(process.env.FAKE_HELPER_LOG, JSON.stringify({ helper: __filename.replace(/.*docker-credential-/, ''), action, input }) + '\\n')
  const mode = process.env.FAKE_HELPER_MODE
  if (mode === 'hang') return setInterval(() => {}, 1000)
  if (mode === 'fail') {
    process.stdout.write('helper exploded on: ' + input)
    process.stderr.write('stderr noise: ' + input)
    process.exit(1)
  }
  const db = fs.existsSync(store) ? JSON.parse(fs.readFileSync(store, 'utf8')) : {}
  const notFound = () => {
    process.stdout.write('credentials not found in native keychain\\n')
    process.exit(1)
  }
  if (action === 'get') {
    const e = db[input]
    if (!e) return notFound()
    process.stdout.write(JSON.stringify({ ServerURL: input, Username: e.Username, Secret: e.Secret }))
  } else if (action === 'store') {
    const d = JSON.parse(input)
    db[d.ServerURL] = d
    fs.writeFileSync(store, JSON.stringify(db))
  } else if (action === 'erase') {
    if (!db[input]) return notFound()
    delete db[input]
    fs.writeFileSync(store, JSON.stringify(db))
  } else {
    process.stdout.write('unknown action ' + action)
    process.exit(1)
  }
})
`

export interface HelperCall {
  helper: string
  action: string
  input: string
}

/** Writes executable docker-credential-<name> scripts into `binDir`. */
export async function installFakeHelpers(binDir: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const path = join(binDir, `docker-credential-${name}`)
    await writeFile(path, SCRIPT)
    await chmod(path, 0o755)
  }
}

/** Seeds the helpers' shared store: server URL → {Username, Secret}. */
export async function seedHelperStore(path: string, entries: Record<string, { Username: string; Secret: string }>): Promise<void> {
  await writeFile(path, JSON.stringify(Object.fromEntries(Object.entries(entries).map(([url, e]) => [url, { ServerURL: url, ...e }]))))
}

export async function readHelperStore(path: string): Promise<Record<string, { ServerURL: string; Username: string; Secret: string }>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, { ServerURL: string; Username: string; Secret: string }>
  } catch {
    return {}
  }
}

export async function readHelperLog(path: string): Promise<HelperCall[]> {
  try {
    return (await readFile(path, 'utf8'))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as HelperCall)
  } catch {
    return []
  }
}
