/**
 * The per-registry transport settings RegistryClient takes (`hosts`), merged from every place a
 * user can give them. Precedence, highest first:
 *  1. flags (`--plain-http`, `--insecure`, `--ca-file`), for the registries of the command line;
 *     for a library call, its `plainHttp`, `insecure` and `caFile` options;
 *  2. per-host settings given in code (the `hosts` option of a library call);
 *  3. environment, for CI: `OCIBUNDLE_PLAIN_HTTP=host1,host2`, `OCIBUNDLE_INSECURE=host,…`
 *     (`*` for every host), `OCIBUNDLE_CA_FILE=path` (every host);
 *  4. the host configuration file (see host-config-file.ts);
 *  5. automatic: HTTPS with system CAs, plain HTTP for loopback registries (registryOrigin).
 * Each setting is resolved on its own, so `OCIBUNDLE_CA_FILE` and a file's `plainHttp` for one
 * host combine. Within a source, a host's own entry beats its `*` entry.
 * TLS settings given for a host by name (`caFile`, `insecure: true`) mean it speaks HTTPS, so they
 * turn off the automatic plain HTTP of loopback hosts for it (a TLS test registry on localhost
 * needs no `--plain-http=false`); settings for `*` do not, so a CI-wide CA leaves local plain
 * registries alone.
 */
import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import { resolve } from 'node:path'
import { InputError, messageOf, NotFoundError } from '../../errors.js'
import { describeSystemError, hasErrorCode } from '../../util/files.js'
import type { HostConfig } from '../http/host-config.js'
import { hostConfigFilePath, loadHostConfigFile } from './host-config-file.js'
import { ALL_HOSTS, normalizeHostKey } from './host-key.js'

export interface HostConfigFlags {
  plainHttp?: boolean
  insecure?: boolean
  /** PEM file of extra CAs (relative to the working directory). */
  caFile?: string
  /** The registries the command works with; the flags apply to them. Undefined → every registry. */
  registries?: readonly string[]
}

export interface ResolveHostConfigsOptions {
  /** The host configuration file. Default: `$OCIBUNDLE_CONFIG` (must exist), else the XDG path (may be absent). */
  file?: string
  /** Default process.env. */
  env?: NodeJS.ProcessEnv
  flags?: HostConfigFlags
  /** Per-host settings from code, keyed like the file's `hosts` (`*` for every host); relative CA paths are relative to the working directory. */
  hosts?: Readonly<Record<string, HostConfig>>
}

type Layer = { source: string; hosts: Record<string, HostConfig> }

const FIELDS = ['plainHttp', 'insecure', 'caFile'] as const

/**
 * Merges flags, settings given in code, environment and the host configuration file into the `hosts` record of
 * RegistryClientOptions: one entry per registry named anywhere (with the `*` settings folded in,
 * since RegistryClient does not merge them itself), plus `*`. Throws InputError for a malformed
 * file or variable and for a CA file that cannot be read (naming where it was set).
 */
export async function resolveHostConfigs(options: ResolveHostConfigsOptions = {}): Promise<Record<string, HostConfig>> {
  const env = options.env ?? process.env
  const file = options.file !== undefined ? { path: options.file, explicit: true } : hostConfigFilePath(env)
  const layers: Layer[] = [
    { source: 'flags', hosts: flagLayer(options.flags ?? {}) },
    { source: 'hosts option', hosts: codeLayer(options.hosts ?? {}) },
    { source: 'environment', hosts: envLayer(env) },
    { source: file.path, hosts: await loadHostConfigFile(file.path, { required: file.explicit }) },
  ]
  const result: Record<string, HostConfig> = {}
  const keys = new Set(layers.flatMap((l) => Object.keys(l.hosts)))
  for (const host of keys) {
    const merged: HostConfig = {}
    let tlsNamedForHost = false
    for (const field of FIELDS) {
      for (const layer of layers) {
        const own = layer.hosts[host]?.[field]
        const value = own ?? layer.hosts[ALL_HOSTS]?.[field]
        if (value === undefined) continue
        ;(merged as Record<string, unknown>)[field] = value
        if (field === 'caFile') await checkReadable(value as string, layer.source)
        if (host !== ALL_HOSTS && own !== undefined && field !== 'plainHttp' && own !== false) tlsNamedForHost = true
        break
      }
    }
    if (tlsNamedForHost && merged.plainHttp === undefined) merged.plainHttp = false
    result[host] = merged
  }
  return result
}

function flagLayer(flags: HostConfigFlags): Record<string, HostConfig> {
  const settings: HostConfig = {
    ...(flags.plainHttp !== undefined && { plainHttp: flags.plainHttp }),
    ...(flags.insecure !== undefined && { insecure: flags.insecure }),
    ...(flags.caFile !== undefined && { caFile: resolve(flags.caFile) }),
  }
  if (Object.keys(settings).length === 0) return {}
  const hosts = flags.registries ?? [ALL_HOSTS]
  return Object.fromEntries(hosts.map((h) => [normalizeHostKey(h, 'registry'), settings]))
}

function codeLayer(hosts: Readonly<Record<string, HostConfig>>): Record<string, HostConfig> {
  return Object.fromEntries(
    Object.entries(hosts).map(([host, settings]) => [
      normalizeHostKey(host, 'hosts option'),
      { ...settings, ...(settings.caFile !== undefined && { caFile: resolve(settings.caFile) }) },
    ]),
  )
}

function envLayer(env: NodeJS.ProcessEnv): Record<string, HostConfig> {
  const hosts: Record<string, HostConfig> = {}
  const set = (host: string, settings: HostConfig): void => {
    hosts[host] = { ...hosts[host], ...settings }
  }
  for (const h of hostList(env.OCIBUNDLE_PLAIN_HTTP, 'OCIBUNDLE_PLAIN_HTTP')) set(h, { plainHttp: true })
  for (const h of hostList(env.OCIBUNDLE_INSECURE, 'OCIBUNDLE_INSECURE')) set(h, { insecure: true })
  if (env.OCIBUNDLE_CA_FILE) set(ALL_HOSTS, { caFile: resolve(env.OCIBUNDLE_CA_FILE) })
  return hosts
}

/** A comma-separated list of hosts (`*` = all); blanks are ignored. */
function hostList(value: string | undefined, name: string): string[] {
  if (value === undefined) return []
  return value
    .split(',')
    .filter((h) => h.trim() !== '')
    .map((h) => normalizeHostKey(h, name))
}

async function checkReadable(path: string, source: string): Promise<void> {
  try {
    await access(path, constants.R_OK)
  } catch (err) {
    const origin =
      source === 'flags'
        ? '--ca-file'
        : source === 'environment'
          ? 'OCIBUNDLE_CA_FILE'
          : source === 'hosts option'
            ? 'the hosts option'
            : `caFile in ${source}`
    const message = `the CA file ${path} (from ${origin}) cannot be read: ${describeSystemError(err, path) ?? messageOf(err)}`
    if (hasErrorCode(err, 'ENOENT')) throw new NotFoundError(message)
    throw new InputError(message)
  }
}
