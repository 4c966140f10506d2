/**
 * Finding the credential for a registry the way `docker` does, plus the containers (podman,
 * skopeo, buildah) auth files as a lower-priority, read-only source.
 *
 * Docker config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`): the store is chosen,
 * not tried in turn: `credHelpers[registry]`, else `credsStore`, else `auths[registry]`. When a
 * helper is chosen and has nothing, Docker does not look at `auths` either.
 * Then, only when Docker has nothing: `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
 * `${XDG_CONFIG_HOME:-~/.config}/containers/auth.json` (ggcr's default keychain order). Their keys
 * may name a namespace (`registry/ns`); those are skipped because credentials are looked up per
 * registry here (see keysForRegistry).
 * References: docker/cli cli/config/configfile/file.go (GetCredentialsStore);
 * oras-go registry/remote/credentials/store.go; ggcr pkg/authn/keychain.go;
 * https://github.com/containers/image/blob/main/docs/containers-auth.json.5.md (the containers auth files).
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Credential, CredentialLookup } from '../auth/credential.js'
import { helperGet, type CredentialHelperOptions } from './credential-helper.js'
import { credentialFromAuthEntry, dockerConfigPath, findAuthEntry, helperFor, readDockerConfig } from './docker-config.js'
import { credentialServerAddress } from './server-address.js'

/** Options of resolveCredential and dockerCredentials. */
export interface DockerCredentialOptions {
  /** Where DOCKER_CONFIG, HOME, REGISTRY_AUTH_FILE, XDG_* and the helpers' PATH come from. Default process.env. */
  env?: NodeJS.ProcessEnv
  /** Kills a credential helper after this long. Default 60 s. */
  helperTimeoutMs?: number
}

/**
 * The credential for `registry` (as written in references: `docker.io`, `localhost:5000`), or
 * undefined for anonymous access. Throws InputError for an unreadable config file and
 * CredentialHelperError when a configured helper fails.
 */
export async function resolveCredential(registry: string, options: DockerCredentialOptions = {}): Promise<Credential | undefined> {
  const env = options.env ?? process.env
  const dockerPath = dockerConfigPath(env)
  for (const path of [dockerPath, ...containersAuthFiles(env).filter((p) => p !== dockerPath)]) {
    const found = await credentialFromFile(path, registry, options)
    if (found !== undefined) return found
  }
  return undefined
}

/** resolveCredential bound to `options`: the lookup RegistryAuthenticator takes. */
export function dockerCredentials(options: DockerCredentialOptions = {}): CredentialLookup {
  return (registry) => resolveCredential(registry, options)
}

/** The containers auth files, most specific first (only those whose variables are set). */
function containersAuthFiles(env: NodeJS.ProcessEnv): string[] {
  const files: string[] = []
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE)
  if (env.XDG_RUNTIME_DIR) files.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'))
  files.push(join(env.XDG_CONFIG_HOME || join(env.HOME ?? homedir(), '.config'), 'containers', 'auth.json'))
  return files
}

async function credentialFromFile(path: string, registry: string, options: DockerCredentialOptions): Promise<Credential | undefined> {
  const config = await readDockerConfig(path)
  if (config === undefined) return undefined
  const helper = helperFor(config, registry)
  if (helper !== undefined) {
    const helperOptions: CredentialHelperOptions = {
      ...(options.env && { env: options.env }),
      ...(options.helperTimeoutMs !== undefined && { timeoutMs: options.helperTimeoutMs }),
    }
    return helperGet(helper, credentialServerAddress(registry), helperOptions)
  }
  const entry = findAuthEntry(config, registry)
  return entry === undefined ? undefined : credentialFromAuthEntry(entry.value, `${path} (auths["${entry.key}"])`)
}
