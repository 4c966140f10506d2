/**
 * Benchmark: ocibundle against skopeo on the same local registry, in the same run, interleaved
 * round by round so that every tool sees the same machine state.
 *
 * Transfers, each through the CLI (a whole `ocibundle copy` process, start-up included) and
 * through the library (`copyReference` from the package root, in this process: start-up
 * excluded), both against skopeo's whole run:
 *   (a) one image with 4 × 64 MiB incompressible layers
 *   (b) one image with 200 × 4 KiB layers
 * in both directions (push: OCI layout → registry, pull: registry → OCI layout), in fresh
 * repositories each round. Then:
 *   - start-up: `ocibundle validate` of one bundle and `ocibundle resolve` of a tag on the local
 *     registry, against a bare `node -e 0`;
 *   - requests: how many HTTP requests a first publish of the example `shop` bundle makes, and a
 *     re-publish of the same bundle (counted by a proxy in front of the registry);
 *   - ocibundle's peak RSS while copying one 1 GiB blob, and while archiving a bundle whose
 *     image has a 1 GiB layer (`ocibundle archive`, streamed into the .tgz).
 * Medians of every measure; ratio = ocibundle / reference (below 1: ocibundle is faster).
 *
 *   npm run bench                    # 5 rounds, a table
 *   npm run bench -- --rounds 7 --json
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { copyReference, descriptorFromBytes, Digester, MediaTypes, OciLayoutStore, publish, type Descriptor } from 'ocibundle'
import { makeExampleImages } from '../scripts/make-example-images.js'
import { startFaultProxy } from '../test/helpers/registry/fault-proxy.js'
import { startRegistry, type RunningRegistry } from '../test/helpers/registry/server.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'bin', 'run.js')
const RSS_PROBE = join(ROOT, 'bench', 'report-max-rss.js')
const MiB = 1024 * 1024

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } } })
const rounds = Number(args.rounds)
if (!Number.isSafeInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number of at least 1, not ${args.rounds}`)

interface Case {
  id: 'a' | 'b'
  name: string
  layers: number
  layerSize: number
}
const CASES: Case[] = [
  { id: 'a', name: '(a) 4 × 64 MiB', layers: 4, layerSize: 64 * MiB },
  { id: 'b', name: '(b) 200 × 4 KiB', layers: 200, layerSize: 4 * 1024 },
]

type Mode = 'cli' | 'library'
type Direction = 'push' | 'pull'

/** One line of the result document (`--json`), the format the README's performance table is made from. */
interface CaseResult {
  mode: Mode
  direction: Direction
  case: Case['id']
  ocibundleMs: number
  skopeoMs: number
  ratio: number
}

interface StartupResult {
  command: string
  ocibundleMs: number
  nodeMs: number
  ratio: number
}

/**
 * Writes an image with incompressible layers into a layout, tagged `bench`. Random bytes do not
 * compress, so no tool can win by compressing. Each layer goes through a scratch file, so the
 * benchmark process never holds a whole layer in memory.
 */
async function makeImage(dir: string, c: Pick<Case, 'layers' | 'layerSize'>): Promise<void> {
  const store = await OciLayoutStore.open(dir, { create: true })
  const scratch = join(dir, '..', `scratch-${process.pid}`)
  const layers: Descriptor[] = []
  for (let i = 0; i < c.layers; i++) {
    const digester = new Digester()
    const out = createWriteStream(scratch)
    for (let left = c.layerSize; left > 0; left -= MiB) {
      const chunk = randomBytes(Math.min(MiB, left))
      digester.update(chunk)
      if (!out.write(chunk)) await once(out, 'drain')
    }
    out.end()
    await once(out, 'close')
    const desc: Descriptor = { mediaType: MediaTypes.OciLayer, digest: digester.digest(), size: c.layerSize }
    await store.push(desc, createReadStream(scratch))
    layers.push(desc)
  }
  await rm(scratch, { force: true })
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }),
  )
  const configDesc = descriptorFromBytes(MediaTypes.OciConfig, config)
  await store.push(configDesc, config)
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.OciManifest, config: configDesc, layers }))
  const manifestDesc = descriptorFromBytes(MediaTypes.OciManifest, manifest)
  await store.push(manifestDesc, manifest)
  await store.tag(manifestDesc, 'bench')
}

async function timed(file: string, argv: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  const start = process.hrtime.bigint()
  await run(file, argv, { maxBuffer: 16 * MiB, ...(env && { env: { ...process.env, ...env } }) })
  return Number(process.hrtime.bigint() - start) / 1e6
}

async function timedCall(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - start) / 1e6
}

/**
 * A cold start for one skopeo run. skopeo keeps a blob-info cache (in /var/lib/containers/cache
 * as root, else under XDG_DATA_HOME) and uses it to mount blobs it has seen in other
 * repositories of the same registry, so its later rounds would upload nothing. ocibundle keeps
 * no such state between runs; both tools start cold.
 */
async function freshHome(work: string): Promise<NodeJS.ProcessEnv> {
  for (const name of ['blob-info-cache-v1.boltdb', 'blob-info-cache-v1.sqlite'])
    await rm(join('/var/lib/containers/cache', name), { force: true })
  const home = await mkdtemp(join(work, 'skopeo-home-'))
  const dirs = { XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config'), XDG_RUNTIME_DIR: join(home, 'run') }
  await Promise.all(Object.values(dirs).map((d) => mkdir(d, { mode: 0o700 })))
  return { HOME: home, ...dirs }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}
const ratio = (a: number, b: number): number => Number((a / b).toFixed(2))

/** The transfers of one case: every round runs the three tools in a rotating order, push then pull. */
async function transfers(registry: RunningRegistry, work: string, c: Case): Promise<CaseResult[]> {
  const src = join(work, `src-${c.layers}`)
  await makeImage(src, c)
  const times: Record<Direction, Record<'cli' | 'library' | 'skopeo', number[]>> = {
    push: { cli: [], library: [], skopeo: [] },
    pull: { cli: [], library: [], skopeo: [] },
  }
  const tools = ['cli', 'library', 'skopeo'] as const
  for (let r = 0; r < rounds; r++) {
    const order = tools.map((_, i) => tools[(i + r) % tools.length]!)
    // Fresh repositories each round and tool, so nothing is skipped as already present.
    const repo = (tool: string) => `${registry.host}/bench/${tool}-${c.layers}-${r}:v`
    for (const tool of order) {
      const dst = repo(tool)
      if (tool === 'cli') times.push.cli.push(await timed(process.execPath, [CLI, 'copy', `ocidir://${src}:bench`, dst]))
      else if (tool === 'library') times.push.library.push(await timedCall(() => copyReference(`ocidir://${src}:bench`, dst)))
      else {
        const argv = ['copy', '-q', '--preserve-digests', '--dest-tls-verify=false', `oci:${src}:bench`, `docker://${dst}`]
        times.push.skopeo.push(await timed('skopeo', argv, await freshHome(work)))
      }
    }
    for (const tool of order) {
      const out = join(work, `pull-${tool}-${c.layers}-${r}`)
      const from = repo(tool)
      if (tool === 'cli') times.pull.cli.push(await timed(process.execPath, [CLI, 'copy', from, `ocidir://${out}:v`]))
      else if (tool === 'library') times.pull.library.push(await timedCall(() => copyReference(from, `ocidir://${out}:v`)))
      else {
        const argv = ['copy', '-q', '--preserve-digests', '--src-tls-verify=false', `docker://${from}`, `oci:${out}:v`]
        times.pull.skopeo.push(await timed('skopeo', argv, await freshHome(work)))
      }
      await rm(out, { recursive: true, force: true })
    }
  }
  await rm(src, { recursive: true, force: true })
  const results: CaseResult[] = []
  for (const mode of ['cli', 'library'] as const) {
    for (const direction of ['push', 'pull'] as const) {
      const o = median(times[direction][mode])
      const s = median(times[direction].skopeo)
      results.push({ mode, direction, case: c.id, ocibundleMs: Math.round(o), skopeoMs: Math.round(s), ratio: ratio(o, s) })
    }
  }
  return results
}

/** Start-up: a small command against a bare `node -e 0`, interleaved, medians. */
async function startup(registry: RunningRegistry): Promise<StartupResult[]> {
  const tagged = `${registry.host}/bench/cli-200-0:v`
  const commands: Array<[string, string[]]> = [
    ['validate', [CLI, 'validate', join(ROOT, 'bundles', 'hello-world', 'bundle.json')]],
    ['resolve', [CLI, 'resolve', tagged]],
  ]
  const node: number[] = []
  const ours = new Map(commands.map(([name]) => [name, [] as number[]]))
  const samples = Math.max(7, rounds * 2)
  for (let i = 0; i < samples; i++) {
    node.push(await timed(process.execPath, ['-e', '0']))
    for (const [name, argv] of commands) ours.get(name)!.push(await timed(process.execPath, argv))
  }
  const n = median(node)
  return commands.map(([name]) => {
    const o = median(ours.get(name)!)
    return { command: name, ocibundleMs: Math.round(o), nodeMs: Math.round(n), ratio: ratio(o, n) }
  })
}

/** Requests of a first publish of the example shop bundle, and of publishing it again, through a counting proxy. */
async function publishRequests(registry: RunningRegistry, work: string): Promise<{ publish: number; republish: number }> {
  const images = join(work, 'example-images')
  await makeExampleImages(images)
  const proxy = await startFaultProxy({ url: registry.url })
  try {
    const options = { images: `ocidir://${images}`, autoUpdate: true, reportCache: false } as const
    const bundle = join(ROOT, 'bundles', 'shop', 'bundle.json')
    await publish(bundle, `${proxy.host}/bench/shop`, options)
    const first = proxy.requests.length
    proxy.requests.length = 0
    await publish(bundle, `${proxy.host}/bench/shop`, options)
    return { publish: first, republish: proxy.requests.length }
  } finally {
    await proxy.stop()
  }
}

/** Copies a one-layer image with a 1 GiB layer through the CLI and reports the process's peak RSS. */
async function peakRssFor1GiB(work: string, host: string): Promise<number> {
  const src = join(work, 'src-1g')
  await makeImage(src, { layers: 1, layerSize: 1024 * MiB })
  const { stderr } = await run(process.execPath, ['--import', RSS_PROBE, CLI, 'copy', `ocidir://${src}:bench`, `${host}/bench/one-gib:v`], {
    maxBuffer: 16 * MiB,
  })
  await rm(src, { recursive: true, force: true })
  const m = /max-rss-kib=(\d+)/.exec(stderr)
  if (!m) throw new Error(`the RSS probe printed nothing: ${stderr}`)
  return Math.round(Number(m[1]) / 1024)
}

/**
 * Archives a bundle whose invocation image has one 1 GiB layer (`ocibundle archive` of a built
 * layout, default compression) and reports the process's peak RSS: each blob streams from the
 * layout into the gzip tar, so it must not grow with the image.
 */
async function peakRssArchiving1GiB(work: string): Promise<number> {
  const layout = join(work, 'bundle-1g')
  await makeImage(layout, { layers: 1, layerSize: 1024 * MiB })
  const store = await OciLayoutStore.open(layout)
  await store.tag(await store.resolve('bench'), 'bench.example/one-gib:v1')
  const bundle = join(work, 'bundle.json')
  await writeFile(
    bundle,
    JSON.stringify({
      schemaVersion: 'v1.2.0',
      name: 'one-gib',
      version: '1.0.0',
      invocationImages: [{ imageType: 'oci', image: 'bench.example/one-gib:v1' }],
    }),
  )
  await run(process.execPath, [CLI, 'build', bundle, '--images', `ocidir://${layout}`, '--auto-update', '--output', `ocidir://${layout}`])
  const archive = join(work, 'one-gib.tgz')
  const { stderr } = await run(process.execPath, ['--import', RSS_PROBE, CLI, 'archive', `ocidir://${layout}:v1.0.0`, archive], {
    maxBuffer: 16 * MiB,
  })
  await rm(layout, { recursive: true, force: true })
  await rm(archive, { force: true })
  const m = /max-rss-kib=(\d+)/.exec(stderr)
  if (!m) throw new Error(`the RSS probe printed nothing: ${stderr}`)
  return Math.round(Number(m[1]) / 1024)
}

async function main(): Promise<void> {
  const registry = await startRegistry('plain')
  const work = await mkdtemp(join(tmpdir(), 'ocibundle-bench-'))
  try {
    const cases: CaseResult[] = []
    for (const c of CASES) cases.push(...(await transfers(registry, work, c)))
    const started = await startup(registry)
    const requests = await publishRequests(registry, work)
    const rssMiB = await peakRssFor1GiB(work, registry.host)
    const archiveRssMiB = await peakRssArchiving1GiB(work)
    if (args.json) {
      console.log(JSON.stringify({ rounds, cases, startup: started, rssMiB, archiveRssMiB, requests }, null, 2))
      return
    }
    console.log(`rounds: ${rounds} (medians; ratio = ocibundle / skopeo, below 1 means ocibundle is faster)\n`)
    console.log('mode     case             direction  ocibundle     skopeo   ratio')
    for (const x of cases) {
      const name = CASES.find((c) => c.id === x.case)!.name
      console.log(
        `${x.mode.padEnd(8)} ${name.padEnd(16)} ${x.direction.padEnd(9)} ${`${x.ocibundleMs} ms`.padStart(10)} ${`${x.skopeoMs} ms`.padStart(10)}   ${x.ratio.toFixed(2)}`,
      )
    }
    console.log('\nstart-up (ratio = ocibundle / node -e 0)')
    for (const s of started) console.log(`  ${s.command.padEnd(9)} ${s.ocibundleMs} ms vs ${s.nodeMs} ms   ${s.ratio.toFixed(2)}`)
    console.log(`\nrequests: first publish of the shop bundle ${requests.publish}, publishing it again ${requests.republish}`)
    console.log(`ocibundle peak RSS copying one 1 GiB blob (layout → registry): ${rssMiB} MiB`)
    console.log(`ocibundle peak RSS archiving a bundle with a 1 GiB image (layout → .tgz): ${archiveRssMiB} MiB`)
  } finally {
    await registry.stop()
    await rm(work, { recursive: true, force: true })
  }
}

await main()
