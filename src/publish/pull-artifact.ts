/**
 * `ocibundle artifact pull` as a library call: every layer of an artifact, verified against its
 * digest, written under its `org.opencontainers.image.title` in a directory; a directory layer
 * (oras's `io.deis.oras.content.unpack`) unpacked there. Titles and tar entries come from the
 * registry, so nothing is written until every name has been checked (relative, no `..`, no
 * symbolic link on the way, no link in a tar leading out), no existing file is replaced without
 * `force`, and every file appears whole or not at all.
 */
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, mkdir, rename, rm } from 'node:fs/promises'
import { dirname, join, posix } from 'node:path'
import { createGunzip } from 'node:zlib'
import { extract, list, type ReadEntry } from 'tar'
import { fetchAll, fetchVerified } from '../content/verify.js'
import { DigestMismatchError, FileExistsError, InvalidContentError, UnsafePathError, UsageError } from '../errors.js'
import { Annotations } from '../oci/annotations.js'
import type { Descriptor } from '../oci/descriptor.js'
import { digestStream } from '../oci/digest.js'
import { parseManifest } from '../oci/manifest.js'
import { declaredArtifactType } from '../oci/referrers.js'
import { formatReference } from '../oci/reference.js'
import { contentReference } from './target-argument.js'
import { hasErrorCode, writeFileAtomic } from '../util/files.js'
import { relativeSegments, resolveInside } from '../util/safe-path.js'
import { UNCOMPRESSED_DIGEST_ANNOTATION, UNPACK_ANNOTATION } from './artifact-files.js'
import { withTargets, type OperationOptions } from './open-target.js'

/** Options of pullArtifact. */
export interface PullArtifactOptions extends OperationOptions {
  /** Replace files and directories that exist. Default false: an existing one stops the pull before anything is written. */
  force?: boolean
  /** A layer was skipped (it has no title). */
  onWarning?: (message: string) => void
}

/** One file or directory written by pullArtifact. */
export interface PulledFile {
  /** The layer's title. */
  title: string
  /** Where it was written. */
  path: string
  /** The layer. */
  descriptor: Descriptor
  /** A directory layer, unpacked. */
  directory: boolean
}

/** What pullArtifact wrote. */
export interface ArtifactPulled {
  /** The artifact, normalised. */
  source: string
  /** The manifest's digest. */
  digest: string
  /** Its artifact type (the field, else the config type or annotation that stands for it); absent for a plain image. */
  artifactType?: string
  /** What was written, in layer order. */
  files: PulledFile[]
  /** What was tolerated (layers without title, skipped). */
  warnings: string[]
}

interface Planned {
  layer: Descriptor
  title: string
  path: string
  directory: boolean
}

/**
 * Pulls the artifact `source` names (`registry/repo:tag`, `@digest`, `ocidir://dir:tag`, `./dir:tag`)
 * into `outputDir` (created when missing).
 * Throws UsageError for an index, UnsafePathError for a title that is absolute, has `..`, goes
 * through a symbolic link or repeats another, or a directory layer with an entry or link
 * leading out, FileExistsError for existing files without `force` (both before anything is
 * written), DigestMismatchError and SizeMismatchError for content that does not match.
 */
export async function pullArtifact(source: string, outputDir: string, options: PullArtifactOptions = {}): Promise<ArtifactPulled> {
  const { ref, selector } = contentReference(source)
  return withTargets(options, [ref], async (targets) => {
    const from = await targets.open(ref)
    const o = { signal: options.signal }
    const root = await from.resolve(selector, o)
    const parsed = parseManifest(await fetchAll(from, root, o), root.mediaType)
    if (parsed.kind !== 'manifest') {
      throw new UsageError(`${source} is an index, not an artifact; pull one of the manifests it lists, by digest`)
    }
    await mkdir(outputDir, { recursive: true })
    const warnings: string[] = []
    const planned: Planned[] = []
    for (const layer of parsed.manifest.layers ?? []) {
      const title = layer.annotations?.[Annotations.Title]
      if (title === undefined) {
        warnings.push(`layer ${layer.digest} has no ${Annotations.Title} annotation; skipped`)
        continue
      }
      const path = await resolveInside(outputDir, title, 'layer title')
      if (planned.some((p) => p.path === path)) throw new UnsafePathError(`two layers are titled "${title}"`)
      planned.push({ layer, title, path, directory: layer.annotations?.[UNPACK_ANNOTATION] === 'true' })
    }
    const existing = await existingPaths(planned.map((p) => p.path))
    if (existing.length > 0 && options.force !== true) {
      throw new FileExistsError(`not overwriting ${existing.join(', ')}`, { suggestions: ['pull into another directory, or pass --force'] })
    }
    for (const w of warnings) options.onWarning?.(w)
    const files: PulledFile[] = []
    for (const p of planned) {
      await mkdir(dirname(p.path), { recursive: true })
      if (p.directory) await unpackLayer(from, p, outputDir, o)
      else await writeFileAtomic(p.path, await fetchVerified(from, p.layer, o))
      files.push({ title: p.title, path: p.path, descriptor: p.layer, directory: p.directory })
    }
    const artifactType = declaredArtifactType(parsed)
    return {
      source: formatReference(ref),
      digest: root.digest,
      ...(artifactType !== undefined && { artifactType }),
      files,
      warnings,
    }
  })
}

async function existingPaths(paths: readonly string[]): Promise<string[]> {
  const found: string[] = []
  for (const path of paths) {
    try {
      await lstat(path)
      found.push(path)
    } catch (err) {
      if (!hasErrorCode(err, 'ENOENT')) throw err
    }
  }
  return found
}

/**
 * Downloads a directory layer (verified) into a work directory beside the output, checks its
 * uncompressed digest when the annotation gives one and every entry (checkEntries), unpacks it
 * there and renames it into place, so the directory appears whole or not at all.
 */
async function unpackLayer(
  from: Parameters<typeof fetchVerified>[0],
  p: Planned,
  outputDir: string,
  o: { signal?: AbortSignal | undefined },
): Promise<void> {
  const work = join(outputDir, `.ocibundle-pull-${randomBytes(6).toString('hex')}`)
  await mkdir(work)
  try {
    const archive = join(work, 'layer')
    await writeFileAtomic(archive, await fetchVerified(from, p.layer, o))
    const expected = p.layer.annotations?.[UNCOMPRESSED_DIGEST_ANNOTATION]
    if (expected !== undefined) {
      const gzipped = p.layer.mediaType.endsWith('gzip')
      const { digest } = await digestStream(gzipped ? createReadStream(archive).pipe(createGunzip()) : createReadStream(archive))
      if (digest !== expected)
        throw new DigestMismatchError(expected, digest, {
          suggestions: [`the tar inside layer ${p.layer.digest} is not the one its annotation names`],
        })
    }
    const prefix = relativeSegments(p.title, 'layer title')
    await checkEntries(archive, prefix, p.title)
    const staged = join(work, 'tree')
    await mkdir(staged)
    await extract({ file: archive, cwd: staged, strip: prefix.length, strict: true, preserveOwner: false })
    if ((await existingPaths([p.path])).length > 0) await rename(p.path, join(work, 'replaced'))
    await rename(staged, p.path)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/**
 * Every entry of the tar must lie under `prefix` (the title, as oras names entries), be a file,
 * directory, symbolic or hard link, and not lead out: no absolute name, no `..`; a symbolic
 * link relative, its `..` only leading, resolving inside the directory and not through another
 * link of the archive; a hard link naming an entry inside. Throws UnsafePathError.
 */
async function checkEntries(archive: string, prefix: readonly string[], title: string): Promise<void> {
  const entries: Array<{ path: string[]; type: string; link: string | undefined }> = []
  await list({
    file: archive,
    onReadEntry: (e: ReadEntry) => {
      entries.push({ path: e.path.split('/').filter((s) => s !== '' && s !== '.'), type: e.type, link: e.linkpath })
      e.resume()
    },
  })
  const what = (e: { path: string[] }): string => `entry "${e.path.join('/')}" of directory layer "${title}"`
  const inside = (e: { path: string[] }): string[] => {
    if (e.path.includes('..')) throw new UnsafePathError(`${what(e)} contains ".."`)
    if (prefix.some((s, i) => e.path[i] !== s)) throw new UnsafePathError(`${what(e)} is not under "${title}/"`)
    return e.path.slice(prefix.length)
  }
  const links = new Set(entries.filter((e) => e.type === 'SymbolicLink').map((e) => inside(e).join('/')))
  for (const e of entries) {
    const rel = inside(e)
    if (e.type === 'SymbolicLink') {
      const target = e.link ?? ''
      if (target === '' || posix.isAbsolute(target)) throw new UnsafePathError(`${what(e)} links to the absolute path "${target}"`)
      const segments = target.split('/').filter((s) => s !== '' && s !== '.')
      const firstOther = segments.findIndex((s) => s !== '..')
      if (firstOther !== -1 && segments.slice(firstOther).includes('..'))
        throw new UnsafePathError(`${what(e)} links to "${target}", with ".." after a name`)
      const resolved = posix.normalize(posix.join(posix.dirname(rel.join('/') || '.'), target))
      if (resolved === '..' || resolved.startsWith('../'))
        throw new UnsafePathError(`${what(e)} links to "${target}", outside the directory`)
      const parts = resolved.split('/').filter((s) => s !== '.' && s !== '')
      for (let i = 1; i <= parts.length; i++)
        if (links.has(parts.slice(0, i).join('/')))
          throw new UnsafePathError(`${what(e)} links through another link, "${parts.slice(0, i).join('/')}"`)
    } else if (e.type === 'Link') {
      inside({ path: (e.link ?? '').split('/').filter((s) => s !== '' && s !== '.') })
    } else if (!['File', 'OldFile', 'ContiguousFile', 'Directory'].includes(e.type)) {
      throw new InvalidContentError(`${what(e)} is a ${e.type}; only files, directories and links are unpacked`)
    }
  }
}
