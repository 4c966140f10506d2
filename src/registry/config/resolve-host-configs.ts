/**
 * The per-registry transport settings RegistryClient takes (`hosts`), merged from every place a
 * user can give them. Precedence, highest first:
 *  1. flags (`--plain-http`, `--insecure`, `--ca-file`, `--cert-file`/`--key-file`, `--proxy`),
 *     for the registries of the command line; for a library call, its `plainHttp`, `insecure`,
 *     `caFile`, `certFile`/`keyFile` and `proxy` options;
 *  2. per-host settings given in code (the `hosts` option of a library call);
 *  3. environment, for CI: `OCIBUNDLE_PLAIN_HTTP=host1,host2`, `OCIBUNDLE_INSECURE=host,…`
 *     (`*` for every host), `OCIBUNDLE_CA_FILE=path` (every host);
 *  4. the host configuration file (see host-config-file.ts);
 *  5. automatic: HTTPS with system CAs, plain HTTP for loopback registries (registryOrigin), and
 *     the proxies of HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY (src/registry/http/proxy.ts),
 *     which a `proxy` given in any of the places above replaces.
 * Each setting is resolved on its own, so `OCIBUNDLE_CA_FILE` and a file's `plainHttp` for one
 * host combine; a client certificate and its key come together from the first place that names
 * the certificate. Within a source, a host's own entry beats its `*` entry.
 * TLS settings given for a host by name (`caFile`, `certFile`, `insecure: true`) mean it speaks
 * HTTPS, so they turn off the automatic plain HTTP of loopback hosts for it (a TLS test registry
 * on localhost needs no `--plain-http=false`); settings for `*` do not, so a CI-wide CA leaves
 * local plain registries alone.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { constants } from 'node:fs'
import { access, readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { InputError, messageOf, NotFoundError } from '../../errors.js'
import { describeSystemError, hasErrorCode } from '../../util/files.js'
import type { HostConfig } from '../http/host-config.js'
import { parseProxyUrl } from '../http/proxy.js'
import { hostConfigFilePath, isTimeLimit, loadHostConfigFile, MAX_TIME_LIMIT_MS } from './host-config-file.js'
import { ALL_HOSTS, normalizeHostKey } from './host-key.js'

export interface HostConfigFlags {
  plainHttp?: boolean
  insecure?: boolean
  /** PEM file of extra CAs (relative to the working directory). */
  caFile?: string
  /** PEM file of the client certificate (relative to the working directory). */
  certFile?: string
  /** PEM file of its private key. */
  keyFile?: string
  /** Proxy URL, or false for a direct connection. */
  proxy?: string | false
  /** Time limits; unlike the settings above they apply to every host (token servers, redirects). */
  connectTimeoutMs?: number
  headersTimeoutMs?: number
  idleTimeoutMs?: number
  /** The registries the command works with; the flags apply to them. Undefined → every registry. */
  registries?: readonly string[]
}

export interface ResolveHostConfigsOptions {
  /** The host configuration file. Default: `$OCIBUNDLE_CONFIG` (must exist), else the XDG path (may be absent). */
  file?: string
  /** Default process.env. */
  env?: NodeJS.ProcessEnv
  flags?: HostConfigFlags
  /** Per-host settings from code, keyed like the file's `hosts` (`*` for every host); relative paths are relative to the working directory. */
  hosts?: Readonly<Record<string, HostConfig>>
}

type Layer = { source: string; hosts: Record<string, HostConfig> }

/** Resolved one by one; `certFile` brings its `keyFile` along. */
const FIELDS = ['plainHttp', 'insecure', 'caFile', 'certFile', 'proxy', 'connectTimeoutMs', 'headersTimeoutMs', 'idleTimeoutMs'] as const
const TIME_LIMITS = ['connectTimeoutMs', 'headersTimeoutMs', 'idleTimeoutMs'] as const
/** Settings that say a host speaks TLS (see the module comment). */
const TLS_FIELDS: ReadonlySet<string> = new Set(['insecure', 'caFile', 'certFile'])

/**
 * Merges flags, settings given in code, environment and the host configuration file into the `hosts` record of
 * RegistryClientOptions: one entry per registry named anywhere (with the `*` settings folded in,
 * since RegistryClient does not merge them itself), plus `*`. Throws InputError for a malformed
 * file, variable or proxy URL, for a CA file, client certificate or key that cannot be read or
 * parsed, and for a key that does not belong to its certificate (naming where each was set);
 * NotFoundError for such a file that does not exist.
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
  for (const layer of layers) {
    for (const [key, entry] of Object.entries(layer.hosts)) {
      if (entry.keyFile !== undefined && entry.certFile === undefined)
        throw new InputError(`a client key is given without its certificate (${origin(layer.source, 'certFile')} is missing for ${key})`)
    }
  }
  const result: Record<string, HostConfig> = {}
  const keys = new Set(layers.flatMap((l) => Object.keys(l.hosts)))
  for (const host of keys) {
    const merged: HostConfig = {}
    let tlsNamedForHost = false
    for (const field of FIELDS) {
      for (const layer of layers) {
        const entry = layer.hosts[host]?.[field] !== undefined ? layer.hosts[host]! : layer.hosts[ALL_HOSTS]
        const value = entry?.[field]
        if (value === undefined) continue
        ;(merged as Record<string, unknown>)[field] = value
        if (field === 'caFile') await checkReadable(value as string, layer.source, 'caFile')
        if (field === 'certFile') {
          if (entry!.keyFile !== undefined) merged.keyFile = entry!.keyFile
          await checkClientCertificate(merged.certFile!, merged.keyFile, layer.source)
        }
        if (host !== ALL_HOSTS && entry === layer.hosts[host] && TLS_FIELDS.has(field) && value !== false) tlsNamedForHost = true
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
    ...(flags.certFile !== undefined && { certFile: resolve(flags.certFile) }),
    ...(flags.keyFile !== undefined && { keyFile: resolve(flags.keyFile) }),
    ...(flags.proxy !== undefined && { proxy: flags.proxy === false ? false : parseProxyUrl(flags.proxy, '--proxy').href }),
  }
  const limits: HostConfig = {}
  for (const field of TIME_LIMITS) {
    const value = flags[field]
    if (value === undefined) continue
    if (!isTimeLimit(value))
      throw new InputError(`the ${field} setting must be a whole number of milliseconds from 1 to ${MAX_TIME_LIMIT_MS}`)
    limits[field] = value
  }
  const layer: Record<string, HostConfig> = {}
  if (Object.keys(settings).length > 0) {
    for (const h of flags.registries ?? [ALL_HOSTS]) layer[normalizeHostKey(h, 'registry')] = settings
  }
  if (Object.keys(limits).length > 0) layer[ALL_HOSTS] = { ...layer[ALL_HOSTS], ...limits }
  return layer
}

function codeLayer(hosts: Readonly<Record<string, HostConfig>>): Record<string, HostConfig> {
  return Object.fromEntries(
    Object.entries(hosts).map(([host, settings]) => [
      normalizeHostKey(host, 'hosts option'),
      {
        ...settings,
        ...(settings.caFile !== undefined && { caFile: resolve(settings.caFile) }),
        ...(settings.certFile !== undefined && { certFile: resolve(settings.certFile) }),
        ...(settings.keyFile !== undefined && { keyFile: resolve(settings.keyFile) }),
        ...(typeof settings.proxy === 'string' && { proxy: parseProxyUrl(settings.proxy, `the hosts option for ${host}`).href }),
      },
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

/** Where a setting of `field` came from, in the words the user wrote it. */
function origin(source: string, field: 'caFile' | 'certFile' | 'keyFile'): string {
  const flag = { caFile: '--ca-file', certFile: '--cert-file', keyFile: '--key-file' }[field]
  if (source === 'flags') return flag
  if (source === 'environment') return 'OCIBUNDLE_CA_FILE'
  if (source === 'hosts option') return `${field} of the hosts option`
  return `${field} in ${source}`
}

async function checkReadable(path: string, source: string, field: 'caFile' | 'certFile' | 'keyFile'): Promise<void> {
  try {
    await access(path, constants.R_OK)
  } catch (err) {
    const what = { caFile: 'the CA file', certFile: 'the client certificate', keyFile: 'the client key' }[field]
    const message = `${what} ${path} (from ${origin(source, field)}) cannot be read: ${describeSystemError(err, path) ?? messageOf(err)}`
    if (hasErrorCode(err, 'ENOENT')) throw new NotFoundError(message)
    throw new InputError(message)
  }
}

/**
 * Checks a client certificate and its key before any connection, so that a wrong file is
 * reported by name and not as an OpenSSL error in the middle of a handshake: both are PEM,
 * the key may be in the certificate's file, and the key belongs to the certificate.
 */
async function checkClientCertificate(certFile: string, keyFile: string | undefined, source: string): Promise<void> {
  await checkReadable(certFile, source, 'certFile')
  if (keyFile !== undefined) await checkReadable(keyFile, source, 'keyFile')
  const certPem = await readFile(certFile, 'utf8')
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certPem)
  } catch {
    throw new InputError(`the client certificate ${certFile} (from ${origin(source, 'certFile')}) holds no PEM certificate`)
  }
  const keyPem = keyFile !== undefined ? await readFile(keyFile, 'utf8') : certPem
  if (keyFile === undefined && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(certPem)) {
    throw new InputError(`the client certificate ${certFile} (from ${origin(source, 'certFile')}) needs its private key`, {
      suggestions: ['give the key with --key-file (keyFile in the host configuration file), or put it in the certificate file'],
    })
  }
  let key: KeyObject
  try {
    key = createPrivateKey(keyPem)
  } catch {
    const where = keyFile !== undefined ? `${keyFile} (from ${origin(source, 'keyFile')})` : certFile
    throw new InputError(`the client key ${where} is not an unencrypted PEM private key`)
  }
  if (!cert.checkPrivateKey(key)) {
    throw new InputError(`the client key ${keyFile ?? certFile} does not belong to the certificate ${certFile}`, {
      suggestions: ['give the key the certificate was issued for'],
    })
  }
}
