/**
 * Docker's `config.json`: where it is, how to read it without ever echoing its secrets, and which
 * part of it holds a registry's credentials. The same shape is used by the containers
 * `auth.json` files (which have `auths` and `credHelpers`, no `credsStore`).
 * References: docker/cli cli/config/configfile/file.go;
 * https://github.com/containers/image/blob/main/docs/containers-auth.json.5.md.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import { InputError } from '../../errors.js'
import { hasErrorCode, readFileBounded } from '../../util/files.js'
import { describeSyntaxError } from '../../util/strict-json.js'
import type { Credential } from '../auth/credential.js'
import { credentialServerAddress, registryOfServerAddress } from './server-address.js'

/** config.json also holds proxies, plugin settings, …; 4 MiB is far beyond any real one. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024

/** One `auths` entry. Other fields (`email`, …) are kept untouched when the file is rewritten. */
export interface DockerAuthEntry {
  /** base64 of `username:password`. */
  auth?: string
  username?: string
  password?: string
  identitytoken?: string
  registrytoken?: string
  [field: string]: unknown
}

/** The parts of config.json we use; every other field is preserved as read. */
export interface DockerConfig {
  auths?: Record<string, DockerAuthEntry>
  credsStore?: string
  credHelpers?: Record<string, string>
  [field: string]: unknown
}

/** The fields of an `auths` entry that are secrets (or encode one). */
export const SECRET_FIELDS = ['auth', 'username', 'password', 'identitytoken', 'registrytoken'] as const

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` (the Docker CLI's rule). */
export function dockerConfigPath(env: NodeJS.ProcessEnv): string {
  const dir = env.DOCKER_CONFIG !== undefined && env.DOCKER_CONFIG !== '' ? env.DOCKER_CONFIG : join(env.HOME ?? homedir(), '.docker')
  return join(dir, 'config.json')
}

/**
 * Reads and checks a Docker-style config file; undefined when it does not exist. Throws
 * InputError naming the file (but never quoting it: it holds secrets) when it is not JSON or
 * its `auths`, `credsStore` or `credHelpers` have the wrong type.
 */
export async function readDockerConfig(path: string): Promise<DockerConfig | undefined> {
  let bytes: Buffer
  try {
    bytes = await readFileBounded(path, MAX_CONFIG_BYTES, path)
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) return undefined
    throw err
  }
  let doc: unknown
  try {
    doc = JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    // describeSyntaxError leaves out the text V8 may quote, which can be a password.
    throw new InputError(`${path} is not valid JSON: ${describeSyntaxError(bytes.toString('utf8'), err as Error)}`)
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InputError(`${path} must hold a JSON object`)
  const config = doc as DockerConfig
  if (config.auths !== undefined && !isObjectOf(config.auths, (v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
    throw new InputError(`${path}: "auths" must be an object of objects`)
  }
  if (config.credsStore !== undefined && typeof config.credsStore !== 'string')
    throw new InputError(`${path}: "credsStore" must be a string`)
  if (config.credHelpers !== undefined && !isObjectOf(config.credHelpers, (v) => typeof v === 'string')) {
    throw new InputError(`${path}: "credHelpers" must map registries to helper names`)
  }
  return config
}

/**
 * The credential helper that owns `registry`'s credentials: its `credHelpers` entry, else
 * `credsStore` (Docker's order). Undefined → the credentials are in `auths`. An empty string
 * means "no helper", as in Docker.
 */
export function helperFor(config: DockerConfig, registry: string): string | undefined {
  const own = findByRegistry(config.credHelpers ?? {}, registry)?.value
  const helper = own ?? config.credsStore
  return helper === undefined || helper === '' ? undefined : helper
}

/**
 * The `auths` entry for `registry` and its key: the exact key Docker would write first, then any
 * key naming the same registry (`https://host/`, Hub aliases), in file order.
 */
export function findAuthEntry(config: DockerConfig, registry: string): { key: string; value: DockerAuthEntry } | undefined {
  return findByRegistry(config.auths ?? {}, registry)
}

/**
 * Every key of `record` that names `registry` (logout removes them all, as Docker does). Keys
 * without a scheme but with a path are containers-style namespace keys (`quay.io/team`, valid
 * for that namespace only, containers-auth.json(5)) and never match a whole registry.
 */
export function keysForRegistry(record: Record<string, unknown>, registry: string): string[] {
  const wanted = registryOfServerAddress(registry)
  return Object.keys(record).filter((k) => (/^https?:\/\//i.test(k) || !k.includes('/')) && registryOfServerAddress(k) === wanted)
}

/**
 * The credential an `auths` entry holds: `registrytoken` first, then `identitytoken`, then `auth`
 * (or the legacy `username`/`password`); undefined for an empty entry (what `docker login` leaves
 * when a helper holds the secret). Throws InputError for an `auth` that is not base64 of `user:pass`.
 */
export function credentialFromAuthEntry(entry: DockerAuthEntry, where: string): Credential | undefined {
  let username = typeof entry.username === 'string' ? entry.username : undefined
  let password = typeof entry.password === 'string' ? entry.password : undefined
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon <= 0) throw new InputError(`${where}: "auth" is not base64 of "username:password"`)
    username = decoded.slice(0, colon)
    password = decoded.slice(colon + 1)
  }
  if (typeof entry.registrytoken === 'string' && entry.registrytoken !== '') return { registryToken: entry.registrytoken }
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
    return { identityToken: entry.identitytoken, ...(username !== undefined && username !== '' && { username }) }
  }
  if (username !== undefined && username !== '' && password !== undefined) return { username, password }
  return undefined
}

function findByRegistry<T>(record: Record<string, T>, registry: string): { key: string; value: T } | undefined {
  const exact = credentialServerAddress(registry)
  if (Object.hasOwn(record, exact)) return { key: exact, value: record[exact]! }
  const key = keysForRegistry(record, registry)[0]
  return key === undefined ? undefined : { key, value: record[key]! }
}

function isObjectOf(v: unknown, check: (value: unknown) => boolean): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(check)
}
