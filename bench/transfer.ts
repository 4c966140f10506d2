/**
 * Transfer benchmark: ocibundle against skopeo on the same local registry, in the same run,
 * interleaved round by round so that both see the same machine state.
 *
 *   (a) one image with 4 × 64 MiB incompressible layers
 *   (b) one image with 200 × 4 KiB layers
 *
 * For each case and direction (push: OCI layout → registry, pull: registry → OCI layout) it
 * prints the median of every tool and the ocibundle/skopeo time ratio (below 1 = ocibundle is
 * faster), then ocibundle's peak RSS while copying one 1 GiB blob.
 *
 *   npm run bench                   # 5 rounds
 *   npm run bench -- --rounds 3 --json
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { OciLayoutStore } from '../src/layout/layout-store.js'
import { descriptorFromBytes, type Descriptor } from '../src/oci/descriptor.js'
import { Digester } from '../src/oci/digest.js'
import { MediaTypes } from '../src/oci/media-types.js'
import { startRegistry } from '../test/helpers/registry/server.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'bin', 'run.js')
const RSS_PROBE = join(ROOT, 'bench', 'report-max-rss.js')
const MiB = 1024 * 1024

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } } })
const rounds = Number(args.rounds)

interface Case {
  name: string
  layers: number
  layerSize: number
}
const CASES: Case[] = [
  { name: '(a) 4 × 64 MiB', layers: 4, layerSize: 64 * MiB },
  { name: '(b) 200 × 4 KiB', layers: 200, layerSize: 4 * 1024 },
]

/**
 * Writes an image with incompressible layers into a layout, tagged `bench`. Random bytes do not
 * compress, so no tool can win by compressing. Each layer goes through a scratch file, so the
 * benchmark process never holds a whole layer in memory.
 */
async function makeImage(dir: string, c: Case): Promise<void> {
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

async function main(): Promise<void> {
  const registry = await startRegistry('plain')
  const work = await mkdtemp(join(tmpdir(), 'ocibundle-bench-'))
  const results: Array<{ case: string; direction: string; ocibundleMs: number; skopeoMs: number; ratio: number }> = []
  try {
    for (const c of CASES) {
      const src = join(work, `src-${c.layers}`)
      await makeImage(src, c)
      const times = {
        push: { ocibundle: [] as number[], skopeo: [] as number[] },
        pull: { ocibundle: [] as number[], skopeo: [] as number[] },
      }
      for (let r = 0; r < rounds; r++) {
        // Fresh repositories each round, so nothing is skipped as already present.
        const ours = `${registry.host}/bench/ocibundle-${c.layers}-${r}:v`
        const theirs = `${registry.host}/bench/skopeo-${c.layers}-${r}:v`
        const order = r % 2 === 0 ? ['ocibundle', 'skopeo'] : ['skopeo', 'ocibundle']
        for (const tool of order) {
          if (tool === 'ocibundle') times.push.ocibundle.push(await timed(process.execPath, [CLI, 'copy', `ocidir://${src}:bench`, ours]))
          else
            times.push.skopeo.push(
              await timed(
                'skopeo',
                ['copy', '-q', '--preserve-digests', '--dest-tls-verify=false', `oci:${src}:bench`, `docker://${theirs}`],
                await freshHome(work),
              ),
            )
        }
        for (const tool of order) {
          const out = join(work, `pull-${tool}-${c.layers}-${r}`)
          if (tool === 'ocibundle') times.pull.ocibundle.push(await timed(process.execPath, [CLI, 'copy', ours, `ocidir://${out}:v`]))
          else
            times.pull.skopeo.push(
              await timed(
                'skopeo',
                ['copy', '-q', '--preserve-digests', '--src-tls-verify=false', `docker://${theirs}`, `oci:${out}:v`],
                await freshHome(work),
              ),
            )
          await rm(out, { recursive: true, force: true })
        }
      }
      for (const direction of ['push', 'pull'] as const) {
        const o = median(times[direction].ocibundle)
        const s = median(times[direction].skopeo)
        results.push({ case: c.name, direction, ocibundleMs: Math.round(o), skopeoMs: Math.round(s), ratio: Number((o / s).toFixed(2)) })
      }
      await rm(src, { recursive: true, force: true })
    }
    const rss = await peakRssFor1GiB(work, registry.host)
    if (args.json) {
      console.log(JSON.stringify({ rounds, results, peakRssMiB1GiBBlob: rss }, null, 2))
    } else {
      console.log(`rounds: ${rounds} (medians; ratio = ocibundle / skopeo, below 1 means ocibundle is faster)\n`)
      console.log('case               direction  ocibundle   skopeo   ratio')
      for (const x of results)
        console.log(
          `${x.case.padEnd(18)} ${x.direction.padEnd(9)} ${`${x.ocibundleMs} ms`.padStart(10)} ${`${x.skopeoMs} ms`.padStart(9)}   ${x.ratio.toFixed(2)}`,
        )
      console.log(`\nocibundle peak RSS copying one 1 GiB blob (layout → registry): ${rss} MiB`)
    }
  } finally {
    await registry.stop()
    await rm(work, { recursive: true, force: true })
  }
}

/** Copies a one-layer image with a 1 GiB layer and reports the CLI process's peak RSS. */
async function peakRssFor1GiB(work: string, host: string): Promise<number> {
  const src = join(work, 'src-1g')
  await makeImage(src, { name: '1 GiB', layers: 1, layerSize: 1024 * MiB })
  const { stderr } = await run(process.execPath, ['--import', RSS_PROBE, CLI, 'copy', `ocidir://${src}:bench`, `${host}/bench/one-gib:v`], {
    maxBuffer: 16 * MiB,
  })
  await rm(src, { recursive: true, force: true })
  const m = /max-rss-kib=(\d+)/.exec(stderr)
  if (!m) throw new Error(`the RSS probe printed nothing: ${stderr}`)
  return Math.round(Number(m[1]) / 1024)
}

await main()
