/**
 * The host configuration file: per-registry transport settings that would otherwise have to be
 * repeated as flags.
 *
 * ```json
 * { "hosts": { "registry.local:5000": { "plainHttp": true },
 *              "registry.corp":       { "caFile": "corp-ca.pem", "certFile": "me.pem", "keyFile": "me.key" },
 *              "mirror.corp":         { "proxy": false },
 *              "*":                   { "proxy": "http://proxy.corp:3128" } } }
 * ```
 *
 * Location: `$OCIBUNDLE_CONFIG`, else `${XDG_CONFIG_HOME:-~/.config}/ocibundle/config.json`.
 * The file is strict JSON (no comments, no duplicate keys) and unknown fields are errors, so a
 * typo such as `plainHTTP` is reported instead of silently ignored. A relative `caFile`,
 * `certFile` or `keyFile` is relative to the file's directory. `proxy` is a proxy URL, or false
 * for a direct connection whatever the environment says.
 */
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { InputError, messageOf, NotFoundError } from '../../errors.js'
import { hasErrorCode, readFileBounded } from '../../util/files.js'
import { parseStrictJson } from '../../util/strict-json.js'
import type { HostConfig } from '../http/host-config.js'
import { parseProxyUrl } from '../http/proxy.js'
import { normalizeHostKey } from './host-key.js'

/** A settings file, not data: 1 MiB is generous. */
const MAX_CONFIG_BYTES = 1024 * 1024
const HOST_FIELDS: Record<keyof HostConfig, 'boolean' | 'string' | 'proxy' | 'milliseconds'> = {
  plainHttp: 'boolean',
  insecure: 'boolean',
  caFile: 'string',
  certFile: 'string',
  keyFile: 'string',
  proxy: 'proxy',
  connectTimeoutMs: 'milliseconds',
  headersTimeoutMs: 'milliseconds',
  idleTimeoutMs: 'milliseconds',
}
const PATH_FIELDS = new Set(['caFile', 'certFile', 'keyFile'])

/** Where the host configuration file is, and whether the user named it (then it must exist). */
export function hostConfigFilePath(env: NodeJS.ProcessEnv): { path: string; explicit: boolean } {
  if (env.OCIBUNDLE_CONFIG) return { path: env.OCIBUNDLE_CONFIG, explicit: true }
  const base = env.XDG_CONFIG_HOME || join(env.HOME ?? homedir(), '.config')
  return { path: join(base, 'ocibundle', 'config.json'), explicit: false }
}

/**
 * Reads the `hosts` of a host configuration file, keys normalised (lower case, Docker Hub
 * aliases → `docker.io`). A missing file gives `{}` unless `required`. Throws InputError naming
 * the file and the offending field for anything else that is wrong.
 */
export async function loadHostConfigFile(path: string, options: { required?: boolean } = {}): Promise<Record<string, HostConfig>> {
  let text: string
  try {
    text = (await readFileBounded(path, MAX_CONFIG_BYTES, `host configuration file ${path}`)).toString('utf8')
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT') && !options.required) return {}
    if (hasErrorCode(err, 'ENOENT'))
      throw new NotFoundError(`host configuration file ${path} does not exist`, { suggestions: ['check OCIBUNDLE_CONFIG'] })
    throw err
  }
  let doc: unknown
  try {
    doc = parseStrictJson(text)
  } catch (err) {
    throw new InputError(`${path}: ${messageOf(err)}`)
  }
  if (!isPlainObject(doc)) throw new InputError(`${path}: must hold a JSON object`)
  for (const key of Object.keys(doc)) if (key !== 'hosts') throw new InputError(`${path}: unknown field "${key}" (expected "hosts")`)
  if (doc.hosts === undefined) return {}
  if (!isPlainObject(doc.hosts)) throw new InputError(`${path}: "hosts" must be an object mapping registries to settings`)
  const hosts: Record<string, HostConfig> = {}
  for (const [rawKey, value] of Object.entries(doc.hosts)) {
    const where = `${path}: hosts["${rawKey}"]`
    const key = normalizeHostKey(rawKey, where)
    if (key in hosts) throw new InputError(`${where} names the same registry as another entry`)
    hosts[key] = parseHostEntry(value, where, dirname(path))
  }
  return hosts
}

function parseHostEntry(value: unknown, where: string, baseDir: string): HostConfig {
  if (!isPlainObject(value)) throw new InputError(`${where} must be an object`)
  const entry: HostConfig = {}
  for (const [field, v] of Object.entries(value)) {
    const type = HOST_FIELDS[field as keyof HostConfig]
    if (type === undefined) throw new InputError(`${where}: unknown field "${field}" (expected ${Object.keys(HOST_FIELDS).join(', ')})`)
    if (type === 'proxy') {
      if (v === false) entry.proxy = false
      else if (typeof v === 'string' && v !== '') entry.proxy = parseProxyUrl(v, `${where}.proxy`).href
      else throw new InputError(`${where}.proxy must be a proxy URL or false`)
      continue
    }
    if (type === 'milliseconds') {
      if (!isTimeLimit(v)) throw new InputError(`${where}.${field} must be a whole number of milliseconds from 1 to ${MAX_TIME_LIMIT_MS}`)
      entry[field as 'connectTimeoutMs' | 'headersTimeoutMs' | 'idleTimeoutMs'] = v
      continue
    }
    if (typeof v !== type || (type === 'string' && v === ''))
      throw new InputError(`${where}.${field} must be ${type === 'boolean' ? 'true or false' : 'a non-empty string'}`)
    if (PATH_FIELDS.has(field)) entry[field as 'caFile' | 'certFile' | 'keyFile'] = resolve(baseDir, v as string)
    else entry[field as 'plainHttp' | 'insecure'] = v as boolean
  }
  return entry
}

/** The longest time limit accepted: a day (Node's timers hold at most about 24.8 days). */
export const MAX_TIME_LIMIT_MS = 24 * 60 * 60 * 1000

/** A whole number of milliseconds from 1 to MAX_TIME_LIMIT_MS. */
export function isTimeLimit(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= MAX_TIME_LIMIT_MS
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
