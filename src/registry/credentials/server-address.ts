/**
 * The keys credentials are stored under. Docker keys Docker Hub as `https://index.docker.io/v1/`
 * (a leftover of the v1 API) and every other registry by `host[:port]`, but older Docker versions
 * and other tools wrote `https://host`, `http://host/` or one of Hub's other host names, so keys
 * read from a file are normalised before matching.
 * References: docker/cli cli/config/credentials/file_store.go (ConvertToHostname);
 * oras-go registry/remote/credentials/internal/config (ToHostname); Docker Hub's key: HUB-7.
 */
import { DOCKER_HUB } from '../../oci/reference.js'

/** The key (and credential-helper server URL) Docker uses for Docker Hub. */
export const DOCKER_HUB_SERVER_ADDRESS = 'https://index.docker.io/v1/'

const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])

/**
 * The key Docker stores a registry's credentials under, and the server URL given to credential
 * helpers: `https://index.docker.io/v1/` for Docker Hub, `host[:port]` otherwise.
 */
export function credentialServerAddress(registry: string): string {
  return registryOfServerAddress(registry) === DOCKER_HUB ? DOCKER_HUB_SERVER_ADDRESS : registry
}

/**
 * The registry a stored key names: scheme and path dropped, host lower-cased, Docker Hub's
 * host names (and its `https://index.docker.io/v1/` key) mapped to `docker.io`.
 */
export function registryOfServerAddress(address: string): string {
  return canonicalRegistryHost(address.replace(/^https?:\/\//i, '').split('/')[0]!)
}

/** `host[:port]` lower-cased (host names are case-insensitive), Docker Hub's host names as `docker.io`. */
export function canonicalRegistryHost(host: string): string {
  const lower = host.toLowerCase()
  return DOCKER_HUB_HOSTS.has(lower) ? DOCKER_HUB : lower
}
