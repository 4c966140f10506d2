/**
 * How a reference given as a string (a command-line argument, or a string passed to a library
 * call) is read: one rule for every call that takes references, so that a file name is never
 * mistaken for an image on Docker Hub.
 *
 * 1. `ocidir://path[:tag|@digest]` is an OCI image layout directory, `ociarchive://file[:tag|@digest]`
 *    an OCI layout in a tar file.
 * 2. A local path is never sent to a registry. An argument is a local path when it exists on
 *    disk (as given, or without its `:tag` or `@digest`), starts with `./`, `../` or `/`, or
 *    ends in `.json`, `.tgz` or `.tar`. A directory is an OCI layout (`ocidir://` is optional);
 *    a `.json` file is a bundle.json; a missing path is reported by name, never looked up
 *    elsewhere.
 * 3. Anything else is a docker-style registry reference: `nginx` is
 *    `docker.io/library/nginx:latest`, `acme/app:1` is `docker.io/acme/app:1`.
 */
import { statSync } from 'node:fs'
import { NotFoundError, UsageError } from '../errors.js'
import {
  ARCHIVE_SCHEME,
  LAYOUT_SCHEME,
  parseReference,
  type ArchiveReference,
  referenceSelector,
  type LayoutReference,
  type Reference,
  type RegistryReference,
} from '../oci/reference.js'

/** What a reference string names, by the rule of this module. */
export type TargetArgument =
  | { kind: 'registry'; reference: RegistryReference }
  | { kind: 'layout'; reference: LayoutReference; exists: boolean }
  | { kind: 'archive'; reference: ArchiveReference }
  | { kind: 'file'; path: string; exists: boolean }

const FILE_SUFFIXES = ['.json', '.tgz', '.tar', '.tar.gz']
const ARCHIVE_SUFFIXES = ['.tgz', '.tar', '.tar.gz']

/**
 * Reads `input` by the rule of this module. A registry reference keeps its tag and digest
 * (`latest` is not added); so does a layout (`./out:v1` is the layout `./out`, tag `v1`).
 * Throws InvalidReferenceError for a malformed reference.
 */
export function classifyArgument(input: string): TargetArgument {
  if (input.startsWith(ARCHIVE_SCHEME)) return { kind: 'archive', reference: parseReference(input) as ArchiveReference }
  if (input.startsWith(LAYOUT_SCHEME)) {
    const reference = layoutReference(input)
    return { kind: 'layout', reference, exists: isDirectory(reference.path) }
  }
  const whole = kindOnDisk(input)
  if (whole === 'file') return { kind: 'file', path: input, exists: true }
  if (whole === 'directory') return { kind: 'layout', reference: { kind: 'layout', path: input }, exists: true }
  if (FILE_SUFFIXES.some((s) => input.endsWith(s))) return { kind: 'file', path: input, exists: false }
  // `dir:tag` or `dir@sha256:…` of a directory that exists, or any form of an explicit path.
  const layout = layoutReferenceOrUndefined(input)
  if (layout !== undefined && (isDirectory(layout.path) || /^\.{0,2}\//.test(input))) {
    return { kind: 'layout', reference: layout, exists: isDirectory(layout.path) }
  }
  if (/^\.{0,2}\//.test(input)) return { kind: 'layout', reference: { kind: 'layout', path: input }, exists: false }
  return { kind: 'registry', reference: parseReference(input, { defaultTag: false }) as RegistryReference }
}

/**
 * What a call reads from: a registry repository or an existing OCI layout. Throws
 * NotFoundError naming a local path that does not exist, UsageError for a file (a layout
 * directory or registry reference was expected), InvalidReferenceError for a malformed one.
 */
export function sourceReference(input: string): Reference {
  const arg = classifyArgument(input)
  if (arg.kind === 'registry' || arg.kind === 'archive') return arg.reference
  if (arg.kind === 'layout') {
    if (!arg.exists) throw missing(arg.reference.path, 'directory')
    return arg.reference
  }
  if (!arg.exists) throw missing(arg.path, 'file')
  throw notAReference(arg.path)
}

/**
 * A source that must name content (`:tag` or `@digest`), with the selector to resolve; a
 * registry reference without either means `:latest`, as in docker. Throws what
 * sourceReference throws, and UsageError for a layout that names no tag or digest.
 */
export function contentReference(input: string): { ref: Reference; selector: string } {
  let ref = sourceReference(input)
  if (ref.kind === 'registry' && referenceSelector(ref) === undefined) ref = { ...ref, tag: 'latest' }
  const selector = referenceSelector(ref)
  if (selector === undefined) throw new UsageError(`${input} names no tag or digest`, { suggestions: [`add one, e.g. ${input}:latest`] })
  return { ref, selector }
}

/**
 * What a call writes to: a registry repository, or an OCI layout directory (created when it
 * does not exist). Throws UsageError for a file name (`.json`, `.tgz`, `.tar`): content is
 * written into layouts and registries, not into single files.
 */
export function destinationReference(input: string): Reference {
  const arg = classifyArgument(input)
  if (arg.kind === 'file') {
    throw new UsageError(`${arg.path} is a file name; write into an OCI layout directory or a registry repository instead`, {
      suggestions: [`for a layout directory: ${arg.path.replace(/\.(json|tgz|tar)$/, '')}`],
    })
  }
  return arg.reference
}

/**
 * Where `build` writes: like destinationReference, except that a registry must be named by its
 * host (`registry.example.com/acme/shop`, `localhost:5000/shop`, `docker.io/acme/shop`); a bare
 * name (`out`, `acme/shop`) is an OCI layout directory, so that a build never publishes by
 * accident.
 */
export function buildOutputReference(input: string): Reference {
  const ref = destinationReference(input)
  if (ref.kind === 'layout' || namesRegistryHost(input)) return ref
  return layoutReference(`${LAYOUT_SCHEME}${input}`)
}

/**
 * A bundle.json file to read: its path. Throws NotFoundError for a missing file and UsageError
 * for something that is not a file (a directory, a registry reference).
 */
export function bundleFilePath(input: string): string {
  const arg = classifyArgument(input)
  if (arg.kind === 'file' && arg.exists && !ARCHIVE_SUFFIXES.some((s) => input.endsWith(s))) return arg.path
  if (arg.kind === 'file' && !arg.exists) throw missing(arg.path, 'file')
  throw new UsageError(`${input} is not a bundle.json file`, { suggestions: ['give the path of a bundle.json file'] })
}

/**
 * The layout an option names (`--images`): `ocidir://dir` or a plain directory path, never a
 * registry. Throws NotFoundError when the directory does not exist.
 */
export function existingLayoutPath(input: string, what: string): string {
  const path = input.startsWith(LAYOUT_SCHEME) ? layoutReference(input).path : input
  if (!isDirectory(path)) {
    throw new NotFoundError(`${what} ${path} does not exist or is not a directory`, {
      suggestions: ['give an OCI layout directory (one with index.json and oci-layout)'],
    })
  }
  return path
}

/** Whether the first component of a registry reference is a registry host (has `.` or `:`, or is `localhost`), as Docker decides. */
function namesRegistryHost(input: string): boolean {
  const slash = input.indexOf('/')
  if (slash === -1) return false
  const first = input.slice(0, slash)
  return /[.:]/.test(first) || first === 'localhost' || first.startsWith('[')
}

function layoutReference(input: string): LayoutReference {
  return parseReference(input) as LayoutReference
}

function layoutReferenceOrUndefined(input: string): LayoutReference | undefined {
  try {
    return layoutReference(`${LAYOUT_SCHEME}${input}`)
  } catch {
    return undefined
  }
}

function kindOnDisk(path: string): 'file' | 'directory' | undefined {
  try {
    const s = statSync(path)
    return s.isDirectory() ? 'directory' : 'file'
  } catch {
    return undefined
  }
}

function isDirectory(path: string): boolean {
  return kindOnDisk(path) === 'directory'
}

function missing(path: string, what: 'file' | 'directory'): NotFoundError {
  return new NotFoundError(`${path} does not exist`, {
    suggestions: [
      what === 'file'
        ? 'check the file name; local paths are never looked up in a registry'
        : 'check the path; a local path (./…, ../…, /…) is never looked up in a registry',
    ],
  })
}

function notAReference(path: string): UsageError {
  return new UsageError(`${path} is a file; give an OCI layout directory or a registry reference`, {
    suggestions: ['a bundle.json is published with: ocibundle push <bundle.json> <registry/repository>'],
  })
}

/**
 * Whether a source names a thick bundle archive file (`.tgz`, `.tar.gz`, `.tar`), which publish
 * and verify read as an archive rather than as a bundle.json or a reference.
 */
export function isArchiveFile(source: string): boolean {
  return classifyArgument(source).kind === 'file' && /\.(?:tgz|tar\.gz|tar)$/i.test(source)
}
