/**
 * What every registry module needs to talk about one repository: the client, the names, the
 * token scopes of each kind of operation, and Location handling. Kept in one small object so
 * the blob, manifest, upload, tag and referrer modules stay independent of each other.
 * Reference: https://distribution.github.io/distribution/spec/auth/scope/
 */
import { sameOriginUrl, type RegistryClient, type RegistryRequest, type RegistryResponse } from './http/client.js'
import { requestAndRead } from './http/read-retry.js'
import { OcibundleError } from '../errors.js'
import { header } from './responses.js'

/** A request as the repository modules write it: the registry is filled in by the context. */
export type RepositoryRequest = Omit<RegistryRequest, 'registry'>

/** One repository of one registry, as every endpoint module addresses it. */
export class RepositoryContext {
  /** `repository:<name>:pull`: every read. */
  readonly pullScopes: readonly string[]
  /** `repository:<name>:pull,push`: uploads and manifest pushes (registries want pull too, to check existence). */
  readonly pushScopes: readonly string[]
  /** `repository:<name>:delete`: deletion of manifests, blobs and tags. */
  readonly deleteScopes: readonly string[]

  constructor(
    readonly client: RegistryClient,
    /** Registry as written in references (`docker.io`, `localhost:5000`). */
    readonly registry: string,
    /** Repository path inside the registry (`acme/app`). */
    readonly repository: string,
    /**
     * 'push' when the repository is written to: reads then ask for pull,push too, so one token
     * serves the whole run instead of one for the existence checks and another for the uploads.
     */
    access: 'pull' | 'push' = 'pull',
  ) {
    this.pushScopes = [`repository:${repository}:pull,push`]
    this.pullScopes = access === 'push' ? this.pushScopes : [`repository:${repository}:pull`]
    this.deleteScopes = [`repository:${repository}:delete`]
  }

  /** Sends a request to this repository's registry; see RegistryClient.request for what it throws. */
  send(req: RepositoryRequest): Promise<RegistryResponse> {
    return this.client.request({ registry: this.registry, ...req })
  }

  /**
   * Sends a request and reads its answer with `read`, retrying a body that breaks off and, once,
   * content that fails verification (see requestAndRead).
   */
  sendAndRead<T>(req: RepositoryRequest, read: (res: RegistryResponse) => Promise<T>): Promise<T> {
    return requestAndRead(this.client, { registry: this.registry, ...req }, read)
  }

  /**
   * The absolute URL a response's `Location` header names, resolved against the URL that answered.
   * Throws when the header is missing, or names another origin: an upload URL on a foreign host
   * would receive our credentials and content (oras-go GHSA note, see sameOriginUrl).
   */
  location(res: RegistryResponse): string {
    const value = header(res, 'location')
    if (value === undefined) {
      throw new OcibundleError(`${this.registry} answered ${res.status} without a Location header (${stripQuery(res.url)})`)
    }
    return this.sameOrigin(new URL(value, res.url).toString())
  }

  /** `url` when it is on this registry's origin; throws otherwise. */
  sameOrigin(url: string): string {
    return sameOriginUrl(this.client.origin(this.registry), url).toString()
  }
}

/** A URL without its query, for messages: upload URLs carry state tokens in the query. */
export function stripQuery(url: string): string {
  const i = url.indexOf('?')
  return i === -1 ? url : url.slice(0, i)
}
