/**
 * The docker-credential-* helper protocol: run `docker-credential-<name> <action>` with the
 * request on stdin and read the answer on stdout.
 *  - get:   stdin = the raw server URL; stdout = {"ServerURL","Username","Secret"}
 *  - store: stdin = {"ServerURL","Username","Secret"}
 *  - erase: stdin = the raw server URL
 * Errors go to stdout with exit status 1; "credentials not found in native keychain" means none.
 * A `Username` of `<token>` means `Secret` is an identity token.
 * References: docker/docker-credential-helpers credentials/credentials.go and error.go;
 * oras-go registry/remote/credentials/native_store.go.
 */
import { spawn } from 'node:child_process'
import { OcibundleError } from '../../errors.js'
import {
  isIdentityTokenCredential,
  redact,
  secretsOf,
  type Credential,
  type IdentityTokenCredential,
  type PasswordCredential,
} from '../auth/credential.js'

/** credentials/error.go errCredentialsNotFoundMessage. */
const NOT_FOUND_MESSAGE = 'credentials not found in native keychain'
/** The user name helpers use to mark the secret as an identity token. */
const TOKEN_USERNAME = '<token>'
/** A helper answer is a few hundred bytes; more is a broken helper. */
const MAX_OUTPUT_BYTES = 64 * 1024
/** Long enough for a keychain unlock prompt, short enough that a hung helper is reported. */
const DEFAULT_HELPER_TIMEOUT_MS = 60_000
/** Helper names become part of an executable name: no paths, no options. */
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

export interface CredentialHelperOptions {
  /** Environment of the helper process (its PATH is where the helper is looked up). Default process.env. */
  env?: NodeJS.ProcessEnv
  /** Kills the helper after this long. Default 60 s. */
  timeoutMs?: number
}

/** A credential helper failed (not installed, timed out, or reported an error). */
export class CredentialHelperError extends OcibundleError {
  override readonly code: string = 'ERR_CREDENTIAL_HELPER'
}

/** Asks helper `name` for the credential of `serverAddress`; undefined when it has none. Throws CredentialHelperError. */
export async function helperGet(
  name: string,
  serverAddress: string,
  options: CredentialHelperOptions = {},
): Promise<Credential | undefined> {
  const result = await runHelper(name, 'get', serverAddress, options, [])
  if (result.notFound) return undefined
  let doc: unknown
  try {
    doc = JSON.parse(result.stdout)
  } catch {
    throw new CredentialHelperError(`docker-credential-${name} get answered something that is not JSON`)
  }
  const { Username: username, Secret: secret } = (typeof doc === 'object' && doc !== null ? doc : {}) as {
    Username?: unknown
    Secret?: unknown
  }
  if (typeof secret !== 'string' || secret === '') return undefined
  if (username === TOKEN_USERNAME) return { identityToken: secret }
  return { username: typeof username === 'string' ? username : '', password: secret }
}

/** Stores a credential in helper `name`. Throws CredentialHelperError. */
export async function helperStore(
  name: string,
  serverAddress: string,
  credential: PasswordCredential | IdentityTokenCredential,
  options: CredentialHelperOptions = {},
): Promise<void> {
  const payload = isIdentityTokenCredential(credential)
    ? { ServerURL: serverAddress, Username: TOKEN_USERNAME, Secret: credential.identityToken }
    : { ServerURL: serverAddress, Username: credential.username, Secret: credential.password }
  await runHelper(name, 'store', JSON.stringify(payload), options, secretsOf(credential))
}

/** Erases `serverAddress` from helper `name`; false when it held nothing. Throws CredentialHelperError. */
export async function helperErase(name: string, serverAddress: string, options: CredentialHelperOptions = {}): Promise<boolean> {
  return !(await runHelper(name, 'erase', serverAddress, options, [])).notFound
}

/**
 * Runs one helper action. The helper's stderr is discarded and its stdout is only quoted (bounded,
 * with `secrets` removed) when it reports an error, so no secret reaches a message.
 */
async function runHelper(
  name: string,
  action: 'get' | 'store' | 'erase',
  input: string,
  options: CredentialHelperOptions,
  secrets: readonly string[],
): Promise<{ stdout: string; notFound: boolean }> {
  if (!HELPER_NAME.test(name)) throw new CredentialHelperError(`invalid credential helper name "${name}"`)
  const program = `docker-credential-${name}`
  const timeoutMs = options.timeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS
  return new Promise((resolve, reject) => {
    const child = spawn(program, [action], { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'ignore'] })
    const chunks: Buffer[] = []
    let size = 0
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_OUTPUT_BYTES) chunks.push(chunk)
    })
    // A helper that exits without reading stdin makes our write fail with EPIPE; its exit status tells the story.
    child.stdin.on('error', () => {})
    child.stdin.end(input)
    child.on('error', (err) => {
      clearTimeout(timer)
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT'
      reject(
        new CredentialHelperError(missing ? `${program} was not found on PATH` : `${program} could not be started: ${err.message}`, {
          suggestions: missing ? [`install ${program}, or remove it from "credsStore"/"credHelpers" in the Docker config`] : [],
        }),
      )
    })
    child.on('close', (status) => {
      clearTimeout(timer)
      const stdout = Buffer.concat(chunks).toString('utf8')
      if (timedOut) return reject(new CredentialHelperError(`${program} ${action} did not finish within ${timeoutMs / 1000} s`))
      if (size > MAX_OUTPUT_BYTES)
        return reject(new CredentialHelperError(`${program} ${action} wrote more than ${MAX_OUTPUT_BYTES} bytes`))
      if (status === 0) return resolve({ stdout, notFound: false })
      const message = stdout.trim()
      if (message === NOT_FOUND_MESSAGE && action !== 'store') return resolve({ stdout, notFound: true })
      const quoted = redact(message.split('\n')[0]!.slice(0, 200), secrets)
      reject(
        new CredentialHelperError(
          `${program} ${action} failed${status === null ? '' : ` (exit status ${status})`}${quoted === '' ? '' : `: ${quoted}`}`,
        ),
      )
    })
  })
}
