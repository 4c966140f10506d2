/**
 * Reading a thick bundle archive (`ocibundle archive`'s, or Porter's: a tar, usually gzip'd, of
 * `bundle.json`, `relocation-mapping.json` and an OCI layout in `artifacts/layout`; names with
 * or without `./`).
 *
 * A gzip stream can only be read from the start, and a layout is read in any order, so a
 * compressed archive is first expanded into one temporary tar file in the system's temporary
 * directory (bounded: an archive that expands past `maxExpansion` times its size plus 64 MiB is
 * refused as a gzip bomb), and the expanded tar is then read by offsets like any
 * `ociarchive://` (TarIndex, OciArchiveStore): no file of the archive is ever created on disk,
 * so no name in it can lead a write anywhere. close() removes the temporary file; a refused
 * archive leaves nothing.
 *
 * Images are found in the layout by the reference bundle.json writes (the thick-bundle
 * convention, ocibundle's archives), else by the relocated reference of relocation-mapping.json
 * (Porter tags images with it: https://github.com/getporter/porter/blob/main/pkg/porter/archive.go,
 * cnab-go imagestore/ocilayout), else by the normalised form of either.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isRecord } from '../cnab/json-shape.js'
import { loadBundleBytes, MAX_BUNDLE_BYTES } from '../cnab/load.js'
import { InputError, InvalidContentError, NotFoundError, UsageError } from '../errors.js'
import { OciArchiveStore } from '../layout/archive-store.js'
import { refNameOf } from '../layout/index-document.js'
import { plainDescriptor, type Descriptor } from '../oci/descriptor.js'
import { digestOf } from '../oci/digest.js'
import { MAX_MANIFEST_BYTES } from '../oci/manifest.js'
import { isImageManifest, isIndex } from '../oci/media-types.js'
import { formatReference, parseRegistryReference } from '../oci/reference.js'
import { hasErrorCode } from '../util/files.js'
import { gunzipFile, isGzipFile } from '../util/gzip.js'
import { parseStrictJson } from '../util/strict-json.js'
import { TarIndex } from '../util/tar-index.js'
import { THICK_ARCHIVE } from './archive-bundle.js'
import type { ImageSource } from './image-source.js'
import { NotABundleError } from './publish-errors.js'
import { pullBundle } from './pull-bundle.js'

/** How many times its own size a compressed archive may expand to, unless told otherwise (image layers are already compressed; this leaves room for uncompressed ones). */
export const DEFAULT_MAX_EXPANSION = 64
/** Expansion always allowed on top of the ratio, for small archives. */
const EXPANSION_MARGIN = 64 * 1024 * 1024

/** Options of openThickArchive. */
export interface ThickArchiveOptions {
  /** A gzip'd archive may expand to this many times its size (plus 64 MiB) before it is refused as a gzip bomb. Default DEFAULT_MAX_EXPANSION. */
  maxExpansion?: number
}

/** A thick bundle archive, opened. */
export interface ThickArchive {
  /** The archive file. */
  file: string
  /** bundle.json exactly as archived. */
  bundleBytes: Buffer
  /** bundle.json, parsed. */
  bundle: unknown
  /** relocation-mapping.json ({} when the archive has none). */
  relocationMap: Record<string, string>
  /** The OCI layout of `artifacts/layout`, read-only. */
  layout: OciArchiveStore
  /**
   * The bundle index of the layout whose bundle.json is the archive's (ocibundle's archives
   * have one), with its tag; undefined when there is none (Porter's archives hold the images only).
   */
  bundleIndex?: { descriptor: Descriptor; tag?: string }
  /** Index entries that looked like a bundle but could not be read (damaged), with why. */
  unreadable: Array<{ descriptor: Descriptor; error: unknown }>
  /** The images of the layout, by the names the module comment lists. */
  images: ImageSource
  /** Removes the temporary expanded tar. Call once, when done. */
  close(): Promise<void>
}

/**
 * Opens the thick bundle archive `file` (see the module comment). Throws NotFoundError for a
 * missing file, InputError for a directory, UsageError for a non-positive `maxExpansion`,
 * UnsafeArchiveError and UnsafePathError for a hostile archive (a gzip bomb included),
 * InvalidContentError when it is no thick bundle archive (no bundle.json, no layout, an
 * unusable bundle.json or relocation-mapping.json).
 */
export async function openThickArchive(file: string, options: ThickArchiveOptions = {}): Promise<ThickArchive> {
  const ratio = options.maxExpansion ?? DEFAULT_MAX_EXPANSION
  if (!(ratio > 0)) throw new UsageError(`the expansion bound must be a positive number, not ${options.maxExpansion}`)
  let size: number
  try {
    const info = await stat(file)
    if (info.isDirectory()) throw new InputError(`${file} is a directory, not an archive`)
    size = info.size
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) throw new NotFoundError(`${file} does not exist`, { suggestions: ['check the path of the archive'] })
    throw err
  }
  let work: string | undefined
  const cleanup = async (): Promise<void> => {
    if (work !== undefined) await rm(work, { recursive: true, force: true })
  }
  try {
    let tarFile = file
    if (await isGzipFile(file)) {
      work = await mkdtemp(join(tmpdir(), 'ocibundle-archive-'))
      tarFile = join(work, 'archive.tar')
      await gunzipFile(file, tarFile, Math.floor(size * ratio) + EXPANSION_MARGIN, file)
    }
    const tar = await TarIndex.open(tarFile, { label: file })
    const bundleEntry = tar.file(THICK_ARCHIVE.bundle)
    if (bundleEntry === undefined) {
      throw new InvalidContentError(`${file} is not a thick bundle archive: it has no ${THICK_ARCHIVE.bundle}`, {
        suggestions: [`an OCI layout in a tar file (skopeo's oci-archive) is read as ociarchive://${file}`],
      })
    }
    const bundleBytes = await tar.read(bundleEntry, MAX_BUNDLE_BYTES)
    const bundle = parseBundle(bundleBytes, file)
    const mapping = tar.file(THICK_ARCHIVE.relocationMapping)
    const relocationMap = mapping === undefined ? {} : parseRelocationMap(await tar.read(mapping, MAX_MANIFEST_BYTES), file)
    const layout = await OciArchiveStore.fromTar(tar, THICK_ARCHIVE.layout)
    const found = await findBundleIndex(layout, digestOf(bundleBytes))
    return {
      file,
      bundleBytes,
      bundle,
      relocationMap,
      layout,
      ...(found.bundleIndex !== undefined && { bundleIndex: found.bundleIndex }),
      unreadable: found.unreadable,
      images: thickImageSource(layout, relocationMap),
      close: cleanup,
    }
  } catch (err) {
    await cleanup()
    throw err
  }
}

function parseBundle(bytes: Buffer, file: string): unknown {
  const loaded = loadBundleBytes(bytes, `${THICK_ARCHIVE.bundle} in ${file}`)
  const errors = loaded.issues.filter((i) => i.severity === 'error')
  if (loaded.value === undefined || errors.length > 0) {
    throw new InvalidContentError(`${THICK_ARCHIVE.bundle} in ${file} is not usable: ${errors.map((i) => i.message).join('; ')}`)
  }
  return loaded.value
}

function parseRelocationMap(bytes: Buffer, file: string): Record<string, string> {
  const what = `${THICK_ARCHIVE.relocationMapping} in ${file}`
  let doc: unknown
  try {
    doc = parseStrictJson(bytes.toString('utf8'))
  } catch (err) {
    throw new InvalidContentError(`${what} is not valid JSON: ${(err as Error).message}`)
  }
  if (!isRecord(doc) || !Object.values(doc).every((v) => typeof v === 'string')) {
    throw new InvalidContentError(`${what} must map image references to references (strings)`)
  }
  return doc as Record<string, string>
}

/**
 * The index.json entry that is a bundle whose bundle.json has `bundleDigest`, tagged entries
 * first; and the entries that could be a bundle but cannot be read.
 */
async function findBundleIndex(
  layout: OciArchiveStore,
  bundleDigest: string,
): Promise<{ bundleIndex?: ThickArchive['bundleIndex']; unreadable: ThickArchive['unreadable'] }> {
  const unreadable: ThickArchive['unreadable'] = []
  const entries = layout.indexEntries().filter((e) => isIndex(e.mediaType) || isImageManifest(e.mediaType))
  entries.sort((a, b) => Number(refNameOf(a) === undefined) - Number(refNameOf(b) === undefined))
  for (const entry of entries) {
    const descriptor = plainDescriptor(entry)
    try {
      const pulled = await pullBundle(layout, descriptor.digest, { allowMissingContentDigest: true })
      if (digestOf(pulled.bundleBytes) !== bundleDigest) continue
      const tag = refNameOf(entry)
      return { bundleIndex: { descriptor, ...(tag !== undefined && { tag }) }, unreadable }
    } catch (err) {
      if (!(err instanceof NotABundleError)) unreadable.push({ descriptor, error: err })
    }
  }
  return { unreadable }
}

/** Images by the reference bundle.json writes, the relocated reference, or the normalised form of either. */
function thickImageSource(layout: OciArchiveStore, relocationMap: Record<string, string>): ImageSource {
  return {
    async locate(reference, o) {
      const names = [reference, relocationMap[reference]].filter((n): n is string => n !== undefined)
      for (const name of [...names]) {
        try {
          names.push(formatReference(parseRegistryReference(name, false)))
        } catch {
          // Not a registry reference: only the exact form can be in the layout.
        }
      }
      for (const name of new Set(names)) {
        try {
          await layout.resolve(name, o)
          return { target: layout, selector: name, origin: layout.label }
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err
        }
      }
      throw new NotFoundError(
        `image "${reference}" is not in ${layout.label}: no index.json entry is named ${[...new Set(names)].join(' or ')}`,
      )
    },
  }
}
