/**
 * Starts a throwaway registry (distribution 2.8, plain HTTP) behind a quirk proxy and prints its
 * address, so a publish can be rehearsed against a registry that behaves like another:
 *
 *   node --import tsx test/helpers/registry/quirk-proxy-cli.ts <profile> [--create <repository>]...
 *
 * `--create` makes a repository exist for the `ecr` profiles, which refuse repositories that
 * were not created first. Runs until interrupted (Ctrl-C), then removes the registry and its
 * storage.
 */
import { startQuirkProxy, QUIRK_PROFILES, type QuirkProfileName } from './quirk-proxy.js'
import { startRegistry } from './server.js'

function usage(): never {
  process.stderr.write(
    `usage: quirk-proxy-cli.ts <profile> [--create <repository>]...\nprofiles:\n${Object.values(QUIRK_PROFILES)
      .map((p) => `  ${p.name.padEnd(22)} ${p.summary}`)
      .join('\n')}\n`,
  )
  process.exit(2)
}

const [name, ...rest] = process.argv.slice(2)
if (name === undefined || !Object.hasOwn(QUIRK_PROFILES, name)) usage()
const create: string[] = []
for (let i = 0; i < rest.length; i += 2) {
  if (rest[i] !== '--create' || rest[i + 1] === undefined) usage()
  create.push(rest[i + 1]!)
}

const registry = await startRegistry('plain')
const proxy = await startQuirkProxy(registry, name as QuirkProfileName)
for (const repository of create) proxy.createRepository(repository)
process.stdout.write(
  [
    `quirk proxy "${proxy.profile.name}": ${proxy.profile.summary}`,
    `registry:  ${proxy.host}   (plain HTTP; the real registry is ${registry.host})`,
    ...(create.length > 0 ? [`created:   ${create.join(', ')}`] : []),
    `publish to ${proxy.host}/${create[0] ?? '<repository>'}:<tag> to rehearse (loopback: plain HTTP is assumed)`,
    'Ctrl-C to stop.',
    '',
  ].join('\n'),
)
let stopping = false
const stop = async (): Promise<void> => {
  if (stopping) return
  stopping = true
  await proxy.stop()
  await registry.stop()
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
// The proxy's server is unref'd; keep the process alive until a signal arrives.
setInterval(() => {}, 1 << 30)
