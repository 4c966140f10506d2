/**
 * Storing and removing credentials for `ocibundle login` / `logout`, in Docker's format so that
 * `docker`, `oras`, `crane` and `skopeo` see the same logins. The file is read, changed in the
 * one `auths` entry, and written back atomically with mode 0600; every other field stays as it
 * was (the file is re-indented with tabs, as the Docker CLI writes it).
 * References: docker/cli cli/config/configfile/file.go (Save), cli/config/credentials/native_store.go.
 */
import { UsageError } from '../../errors.js'
import type { IdentityTokenCredential, PasswordCredential } from '../auth/credential.js'
import { isIdentityTokenCredential } from '../auth/credential.js'
import { helperErase, helperStore, type CredentialHelperOptions } from './credential-helper.js'
import {
  dockerConfigPath,
  helperFor,
  keysForRegistry,
  readDockerConfig,
  SECRET_FIELDS,
  type DockerAuthEntry,
  type DockerConfig,
} from './docker-config.js'
import { writePrivateFileAtomic } from './private-file.js'
import type { DockerCredentialOptions } from './resolve-credential.js'
import { credentialServerAddress } from './server-address.js'

/** Where a credential went: a credential helper (the OS keychain, …) or the config file in plain base64. */
export type CredentialLocation = { kind: 'helper'; helper: string } | { kind: 'file'; path: string }

/**
 * Saves the credential for `registry`: into the credential helper configured for it
 * (`credHelpers`, else `credsStore`) with an empty `auths` entry recording the login, as
 * `docker login` does; otherwise into `auths` as base64 `auth` (plus `identitytoken`). Verify
 * the credential first (verifyCredentials): this function does not talk to the registry.
 * Throws InputError for an unreadable config file, CredentialHelperError when the helper fails,
 * and the file system's error when the file cannot be written.
 */
export async function saveCredentials(
  registry: string,
  credential: PasswordCredential | IdentityTokenCredential,
  options: DockerCredentialOptions = {},
): Promise<CredentialLocation> {
  const path = dockerConfigPath(options.env ?? process.env)
  const config: DockerConfig = (await readDockerConfig(path)) ?? {}
  const key = credentialServerAddress(registry)
  const helper = helperFor(config, registry)
  const auths = (config.auths ??= {})
  const entry = withoutSecrets(auths[key])
  if (helper !== undefined) {
    await helperStore(helper, key, credential, helperOptions(options))
  } else if (isIdentityTokenCredential(credential)) {
    // Docker keeps the user name in `auth` next to the token ("user:" with no password).
    if (credential.username !== undefined) entry.auth = encodeAuth(credential.username, '')
    entry.identitytoken = credential.identityToken
  } else {
    if (credential.username.includes(':'))
      throw new UsageError('a user name must not contain ":" (it separates user and password in the stored "auth")')
    entry.auth = encodeAuth(credential.username, credential.password)
  }
  auths[key] = entry
  await writeConfig(path, config)
  return helper !== undefined ? { kind: 'helper', helper } : { kind: 'file', path }
}

/**
 * Removes the credential for `registry`: erases it from its credential helper, and deletes every
 * `auths` key naming the registry (`host`, `https://host`, Hub's aliases), as `docker logout`
 * does. Returns false when nothing was stored. Throws like saveCredentials.
 */
export async function removeCredentials(registry: string, options: DockerCredentialOptions = {}): Promise<boolean> {
  const path = dockerConfigPath(options.env ?? process.env)
  const config = await readDockerConfig(path)
  if (config === undefined) return false
  const helper = helperFor(config, registry)
  const erased = helper !== undefined && (await helperErase(helper, credentialServerAddress(registry), helperOptions(options)))
  const keys = keysForRegistry(config.auths ?? {}, registry)
  for (const key of keys) delete config.auths![key]
  if (keys.length > 0) await writeConfig(path, config)
  return erased || keys.length > 0
}

function helperOptions(options: DockerCredentialOptions): CredentialHelperOptions {
  return { ...(options.env && { env: options.env }), ...(options.helperTimeoutMs !== undefined && { timeoutMs: options.helperTimeoutMs }) }
}

/** A copy of an `auths` entry keeping only its non-secret fields (`email`, …). */
function withoutSecrets(entry: DockerAuthEntry | undefined): DockerAuthEntry {
  const copy: DockerAuthEntry = { ...entry }
  for (const field of SECRET_FIELDS) delete copy[field]
  return copy
}

function encodeAuth(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64')
}

/** Docker writes `json.MarshalIndent(config, "", "\t")`; a final newline keeps editors happy. */
async function writeConfig(path: string, config: DockerConfig): Promise<void> {
  await writePrivateFileAtomic(path, Buffer.from(`${JSON.stringify(config, null, '\t')}\n`, 'utf8'))
}
