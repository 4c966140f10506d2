/**
 * References to content: docker-style registry references (`registry/repo:tag@digest`), OCI
 * image layout references (`ocidir://path:tag`) and OCI layout archives (`ociarchive://file:tag`,
 * skopeo's `oci-archive:` format). Parsing normalises the way Docker does
 * (docker.io aliases, `library/` for official images, `latest` when nothing is given) and every
 * rejection says which part is wrong.
 * References:
 *  - https://github.com/distribution/reference/blob/main/reference.go (grammar)
 *  - https://github.com/distribution/reference/blob/main/normalize.go (docker.io rules)
 *  - https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#pulling-manifests
 */
import { InvalidReferenceError, UsageError } from '../errors.js'
import { parseDigest, type Digest } from './digest.js'

/** The registry name references use for Docker Hub; parsing maps its aliases (index.docker.io, registry-1.docker.io) to it. */
export const DOCKER_HUB = 'docker.io'
/** The host Docker Hub's API is actually served from. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io'
/** The tag a registry reference gets when it names neither tag nor digest, as in docker. */
export const DEFAULT_TAG = 'latest'
/** The prefix that marks a reference to an OCI image layout directory (`ocidir://path:tag`). */
export const LAYOUT_SCHEME = 'ocidir://'
/** The prefix that marks a reference to an OCI image layout in a tar file (`ociarchive://file.tar:tag`, skopeo's `oci-archive:`). */
export const ARCHIVE_SCHEME = 'ociarchive://'

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])
/**
 * NameTotalLengthMax of distribution/reference (https://github.com/distribution/reference/blob/main/reference.go)
 * and of containers/image's copy of it (https://github.com/containers/image/blob/main/docker/reference/reference.go).
 * Both match with Go's regexp, which runs in linear time, and check the length after the match.
 */
const MAX_NAME_LENGTH = 255
/**
 * The longest registry reference parsed at all. Every valid one is far shorter: a name of at
 * most 255 characters (as normalised; an alias of Docker Hub adds 11), a tag of at most 128 and
 * a digest of at most 135 (sha512). The bound is checked before any pattern runs, so the cost of
 * parsing never grows with a hostile input (a bundle's image reference is untrusted, and the
 * patterns below would otherwise backtrack through megabytes).
 */
export const MAX_REFERENCE_LENGTH = 1024
/** The longest `ocidir://` reference: a path of PATH_MAX (4096) plus the same tag and digest. */
export const MAX_LAYOUT_REFERENCE_LENGTH = 4096 + 512

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const DOMAIN_LABEL = /^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$/
const PORT = /^[0-9]+$/
const IPV6 = /^\[[0-9A-Fa-f:.]+(?:%[A-Za-z0-9]+)?\]$/

/** A parsed, normalised reference to a registry repository, with an optional tag and digest. */
export interface RegistryReference {
  /** Tells the two kinds of Reference apart. */
  readonly kind: 'registry'
  /** Normalised host[:port]; Docker Hub is always `docker.io`. */
  readonly registry: string
  /** Repository path, lowercase; `library/` added for official Docker Hub images. */
  readonly repository: string
  /** Tag; `latest` when neither tag nor digest was given. Kept for display when a digest is present. */
  readonly tag?: string
  /** When present, the digest decides what is fetched. */
  readonly digest?: Digest
}

/** A parsed reference to an OCI image layout directory (`ocidir://path`), with an optional tag and digest. */
export interface LayoutReference {
  /** Tells the two kinds of Reference apart. */
  readonly kind: 'layout'
  /** Directory of the OCI image layout, as given (relative paths stay relative). */
  readonly path: string
  /** Tag (an index.json `org.opencontainers.image.ref.name`); never defaulted. */
  readonly tag?: string
  /** When present, the digest decides what is read. */
  readonly digest?: Digest
}

/** A parsed reference to an OCI image layout in a tar file (`ociarchive://file.tar`), with an optional tag and digest. */
export interface ArchiveReference {
  /** Tells the kinds of Reference apart. */
  readonly kind: 'archive'
  /** The tar file, as given (relative paths stay relative). */
  readonly path: string
  /** Tag (an index.json `org.opencontainers.image.ref.name`); never defaulted. */
  readonly tag?: string
  /** When present, the digest decides what is read. */
  readonly digest?: Digest
}

/** What parseReference returns: a registry, layout or archive reference, told apart by `kind`. */
export type Reference = RegistryReference | LayoutReference | ArchiveReference

/** Options of parseReference. */
export interface ParseReferenceOptions {
  /** Accept `ocidir://` layout and `ociarchive://` archive references (default true). */
  allowLayout?: boolean
  /** Add `latest` when a registry reference has neither tag nor digest (default true). */
  defaultTag?: boolean
}

/**
 * Parses a registry or layout reference. Throws InvalidReferenceError with the reason.
 *
 * | input | result |
 * |---|---|
 * | `nginx` | docker.io/library/nginx:latest |
 * | `example.com:5000/user/repo:v1@sha256:…` | digest decides, tag kept for display |
 * | `ocidir://./out:v1` | layout `./out`, tag v1 |
 * | `ociarchive://./out.tar@sha256:…` | the tar file `./out.tar`, by digest |
 */
export function parseReference(input: string, options: ParseReferenceOptions = {}): Reference {
  if (typeof input !== 'string' || input.length === 0) throw new InvalidReferenceError(String(input), 'the reference is empty')
  if (input.startsWith(LAYOUT_SCHEME) || input.startsWith(ARCHIVE_SCHEME)) {
    checkLength(input, MAX_LAYOUT_REFERENCE_LENGTH)
    if (options.allowLayout === false) {
      throw new InvalidReferenceError(input, 'an OCI layout reference is not accepted here; give a registry reference')
    }
    return parseLocalReference(input)
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(input)
  if (scheme) {
    throw new InvalidReferenceError(
      input,
      `unknown scheme "${scheme[1]}://"; use a registry reference without a scheme, ocidir://<directory> or ociarchive://<file.tar>`,
    )
  }
  return parseRegistryReference(input, options.defaultTag ?? true)
}

/**
 * Parses a registry reference only (no `ocidir://`), normalised as parseReference does; `defaultTag`
 * adds `latest` when neither tag nor digest is given. Throws InvalidReferenceError with the reason.
 */
export function parseRegistryReference(input: string, defaultTag = true): RegistryReference {
  checkLength(input, MAX_REFERENCE_LENGTH)
  if (/\s/.test(input)) throw new InvalidReferenceError(input, 'it contains white space')
  let rest = input
  let digest: Digest | undefined
  const at = rest.indexOf('@')
  if (at !== -1) {
    digest = digestPart(input, rest.slice(at + 1))
    rest = rest.slice(0, at)
  }
  let tag: string | undefined
  const lastSlash = rest.lastIndexOf('/')
  const lastColon = rest.lastIndexOf(':')
  // A colon after the last slash separates the tag; before it, it belongs to the host's port.
  if (lastColon > lastSlash && !(lastSlash === -1 && rest.startsWith('['))) {
    tag = rest.slice(lastColon + 1)
    rest = rest.slice(0, lastColon)
    if (!TAG.test(tag)) {
      throw new InvalidReferenceError(
        input,
        tag.length === 0
          ? 'the tag after ":" is empty'
          : tag.length > 128
            ? 'the tag is longer than 128 characters'
            : `tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`,
      )
    }
  }
  if (rest.length === 0) throw new InvalidReferenceError(input, 'the repository name is missing')
  const { registry, path } = splitRegistry(input, rest)
  validateRepositoryPath(input, path)
  const repository = registry === DOCKER_HUB && !path.includes('/') ? `library/${path}` : path
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) {
    throw new InvalidReferenceError(input, `the name is longer than ${MAX_NAME_LENGTH} characters`)
  }
  if (tag === undefined && digest === undefined && defaultTag) tag = DEFAULT_TAG
  return { kind: 'registry', registry, repository, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) }
}

/** Refuses a reference longer than `limit` before anything else looks at it. */
function checkLength(input: string, limit: number): void {
  if (input.length > limit) {
    throw new InvalidReferenceError(input, `it is ${input.length} characters long; a reference has at most ${limit}`)
  }
}

/** `ocidir://dir[:tag|@digest]` or `ociarchive://file[:tag|@digest]`: the tag follows the last ":" after the last "/". */
function parseLocalReference(input: string): LayoutReference | ArchiveReference {
  const archive = input.startsWith(ARCHIVE_SCHEME)
  let rest = input.slice(archive ? ARCHIVE_SCHEME.length : LAYOUT_SCHEME.length)
  let digest: Digest | undefined
  let tag: string | undefined
  const at = rest.lastIndexOf('@')
  if (at !== -1 && rest.slice(at + 1).includes(':')) {
    digest = digestPart(input, rest.slice(at + 1))
    rest = rest.slice(0, at)
  }
  const lastSlash = rest.lastIndexOf('/')
  const lastColon = rest.lastIndexOf(':')
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1)
    rest = rest.slice(0, lastColon)
    if (!TAG.test(tag)) throw new InvalidReferenceError(input, `tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`)
  }
  if (rest.length === 0) {
    throw new InvalidReferenceError(
      input,
      archive ? 'the archive file is missing after ociarchive://' : 'the layout directory is missing after ocidir://',
    )
  }
  const selector = { ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) }
  return archive ? { kind: 'archive', path: rest, ...selector } : { kind: 'layout', path: rest, ...selector }
}

function digestPart(input: string, value: string): Digest {
  try {
    return parseDigest(value)
  } catch (err) {
    throw new InvalidReferenceError(input, (err as Error).message)
  }
}

/**
 * Splits `host[:port]/path` the way Docker does: the first component is a registry host when it
 * contains "." or ":", is "localhost", is a bracketed IPv6 address, or has uppercase letters;
 * otherwise the whole name is a Docker Hub repository.
 */
function splitRegistry(input: string, name: string): { registry: string; path: string } {
  const slash = name.indexOf('/')
  const first = slash === -1 ? '' : name.slice(0, slash)
  const isHost = slash !== -1 && (/[.:]/.test(first) || first === 'localhost' || first.startsWith('[') || first !== first.toLowerCase())
  if (!isHost) return { registry: DOCKER_HUB, path: name }
  validateHost(input, first)
  const host = first.toLowerCase()
  return { registry: DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : first, path: name.slice(slash + 1) }
}

function validateHost(input: string, host: string): void {
  let hostname = host
  let port: string | undefined
  if (host.startsWith('[')) {
    const close = host.indexOf(']')
    if (close === -1) throw new InvalidReferenceError(input, `registry host "${host}" has an unclosed "["`)
    hostname = host.slice(0, close + 1)
    const after = host.slice(close + 1)
    if (after.length > 0) {
      if (!after.startsWith(':')) throw new InvalidReferenceError(input, `unexpected "${after}" after the IPv6 address`)
      port = after.slice(1)
    }
    if (!IPV6.test(hostname)) throw new InvalidReferenceError(input, `"${hostname}" is not a valid IPv6 address`)
  } else {
    const colon = host.indexOf(':')
    if (colon !== -1) {
      hostname = host.slice(0, colon)
      port = host.slice(colon + 1)
    }
    if (!hostname.split('.').every((label) => DOMAIN_LABEL.test(label))) {
      throw new InvalidReferenceError(input, `registry host "${hostname}" is not a valid host name`)
    }
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) > 65535)) {
    throw new InvalidReferenceError(input, `port "${port}" of registry "${host}" must be a number from 0 to 65535`)
  }
}

function validateRepositoryPath(input: string, path: string): void {
  if (path !== path.toLowerCase()) {
    throw new InvalidReferenceError(input, `repository name "${path}" must be lowercase`)
  }
  for (const component of path.split('/')) {
    if (component.length === 0) throw new InvalidReferenceError(input, `repository name "${path}" has an empty path component`)
    if (!PATH_COMPONENT.test(component)) {
      throw new InvalidReferenceError(
        input,
        `repository path component "${component}" may only contain a-z, 0-9 and single separators ".", "_", "__" or "-" between them`,
      )
    }
  }
}

/** The digest if present, else the tag: what a registry or layout is asked for. */
export function referenceSelector(ref: Reference): string | undefined {
  return ref.digest ?? ref.tag
}

/**
 * Parses a reference that must name content, and returns it with the tag or digest to resolve.
 * A registry reference without either means `:latest`, as in docker; a layout reference must
 * name a tag or digest. Throws InvalidReferenceError for a malformed reference and UsageError
 * for a layout reference that names no content.
 */
export function parseContentReference(input: string): { ref: Reference; selector: string } {
  const ref = parseReference(input)
  const selector = referenceSelector(ref)
  if (selector === undefined) throw new UsageError(`${input} names no tag or digest`, { suggestions: [`add one, e.g. ${input}:latest`] })
  return { ref, selector }
}

/** Full, normalised form: `docker.io/library/nginx:latest`, `ocidir://out:v1`, `ociarchive://out.tar:v1`. */
export function formatReference(ref: Reference): string {
  const base =
    ref.kind === 'layout'
      ? `${LAYOUT_SCHEME}${ref.path}`
      : ref.kind === 'archive'
        ? `${ARCHIVE_SCHEME}${ref.path}`
        : `${ref.registry}/${ref.repository}`
  return `${base}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`
}

/** `registry/repository` without tag or digest. */
export function repositoryName(ref: RegistryReference): string {
  return `${ref.registry}/${ref.repository}`
}

/** The host[:port] to send API requests to (Docker Hub's API lives on registry-1.docker.io). */
export function apiHost(ref: RegistryReference): string {
  return ref.registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : ref.registry
}

/** Same reference with a different tag or digest (the other is dropped). */
export function withSelector<R extends Reference>(ref: R, selector: { tag: string } | { digest: Digest }): R {
  const { tag: _tag, digest: _digest, ...rest } = ref
  return { ...rest, ...selector } as R
}

/** True when `s` is a valid tag. */
export function isValidTag(s: string): boolean {
  return TAG.test(s)
}
