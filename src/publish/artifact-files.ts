/**
 * The files of an artifact as layers: a file is one layer as it is, a directory one tar+gzip
 * layer packed deterministically (the same directory gives the same bytes on every run and
 * machine), each titled with its base name. Media types and annotations follow oras, so that
 * oras pulls what ocibundle pushes and the other way round: a file is
 * `application/vnd.oci.image.layer.v1.tar` unless given, a directory
 * `application/vnd.oci.image.layer.v1.tar+gzip` with `io.deis.oras.content.unpack: "true"` and
 * the digest of the uncompressed tar in `io.deis.oras.content.digest`; its entries are named
 * `<title>/…`, as oras names them.
 * Reference: https://github.com/oras-project/oras-go/blob/main/content/file/utils.go
 */
import { createReadStream, existsSync, type Stats } from 'node:fs'
import { lstat, mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { create as createTar } from 'tar'
import { InputError, NotFoundError } from '../errors.js'
import { Annotations } from '../oci/annotations.js'
import type { Descriptor } from '../oci/descriptor.js'
import { digestStream } from '../oci/digest.js'
import { isValidMediaType, MediaTypes } from '../oci/media-types.js'
import { hasErrorCode } from '../util/files.js'

/** oras's annotation: the layer is a directory to unpack on pull. */
export const UNPACK_ANNOTATION = 'io.deis.oras.content.unpack'
/** oras's annotation: the digest of a directory layer's uncompressed tar. */
export const UNCOMPRESSED_DIGEST_ANNOTATION = 'io.deis.oras.content.digest'

/** A file or directory to push, with the media type of its layer (undefined → the defaults above). */
export interface ArtifactFile {
  /** Path of the file or directory. */
  path: string
  /** Media type of its layer. */
  mediaType?: string
}

/**
 * Reads `path[:mediaType]` as the command line gives it: a path that exists is taken whole;
 * otherwise the part after the last `:` is a media type when it looks like one
 * (`type/subtype`), as oras reads it, so other paths with colons stay whole too.
 */
export function parseArtifactFile(argument: string): ArtifactFile {
  if (existsSync(argument)) return { path: argument }
  const at = argument.lastIndexOf(':')
  if (at > 0) {
    const mediaType = argument.slice(at + 1)
    if (isValidMediaType(mediaType)) return { path: argument.slice(0, at), mediaType }
  }
  return { path: argument }
}

/** A layer ready to push: its descriptor, a way to read it (more than once), and clean-up. */
export interface PreparedLayer {
  /** The layer's descriptor, title and oras annotations included. */
  desc: Descriptor
  /** The file or directory it was made from. */
  source: string
  /** Opens the layer's bytes. */
  open(): Promise<Readable>
  /** Removes what packing left behind (the packed directory). */
  dispose(): Promise<void>
}

/**
 * Hashes a file, or packs a directory into a temporary tar+gzip, and describes it as a layer.
 * Throws NotFoundError for a missing path, InputError for something that is neither a file
 * nor a directory.
 */
export async function prepareLayer(file: ArtifactFile): Promise<PreparedLayer> {
  const path = resolve(file.path)
  let info: Stats
  try {
    info = await stat(path)
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) throw new NotFoundError(`${file.path} does not exist`)
    throw err
  }
  const title = basename(path)
  if (info.isFile()) {
    const { digest, size } = await digestStream(createReadStream(path))
    const desc = { mediaType: file.mediaType ?? MediaTypes.OciLayer, digest, size, annotations: { [Annotations.Title]: title } }
    return { desc, source: file.path, open: async () => createReadStream(path), dispose: async () => {} }
  }
  if (!info.isDirectory()) throw new InputError(`${file.path} is neither a file nor a directory`)
  const work = await mkdtemp(join(tmpdir(), 'ocibundle-pack-'))
  try {
    const packed = join(work, `${title}.tar.gz`)
    await packDirectory(path, packed)
    const { digest, size } = await digestStream(createReadStream(packed))
    const uncompressed = await digestStream(createReadStream(packed).pipe(createGunzip()))
    const desc = {
      mediaType: file.mediaType ?? MediaTypes.OciLayerGzip,
      digest,
      size,
      annotations: { [UNCOMPRESSED_DIGEST_ANNOTATION]: uncompressed.digest, [UNPACK_ANNOTATION]: 'true', [Annotations.Title]: title },
    }
    return {
      desc,
      source: file.path,
      open: async () => createReadStream(packed),
      dispose: () => rm(work, { recursive: true, force: true }),
    }
  } catch (err) {
    await rm(work, { recursive: true, force: true })
    throw err
  }
}

/**
 * Writes `dir` as a gzip'd tar to `output`, the same bytes for the same tree: entries in
 * code-unit order, named `<base name>/…`, mtime 0, no owner (tar's portable mode, which also
 * zeroes the gzip header's time and system), mode 0755 for directories and executables, 0644
 * for other files. Symbolic links are stored as links, not followed.
 */
export async function packDirectory(dir: string, output: string): Promise<void> {
  const root = basename(dir)
  const entries = [root, ...(await walk(dir, root))]
  await createTar(
    {
      file: output,
      cwd: dirname(dir),
      gzip: true,
      portable: true,
      mtime: new Date(0),
      noDirRecurse: true,
      follow: false,
      onWriteEntry: (entry) => {
        // The header is written from the entry's stat; only permission bits change.
        const s = entry.stat
        if (s !== undefined && !s.isSymbolicLink()) s.mode = (s.mode & ~0o7777) | (s.isDirectory() || s.mode & 0o100 ? 0o755 : 0o644)
      },
    },
    entries,
  )
}

/** Every path under `dir` (as `prefix/…`), sorted by code unit at each level, depth first. */
async function walk(dir: string, prefix: string): Promise<string[]> {
  const names = (await readdir(dir)).sort()
  const out: string[] = []
  for (const name of names) {
    const path = join(dir, name)
    const rel = `${prefix}/${name}`
    out.push(rel)
    if ((await lstat(path)).isDirectory()) out.push(...(await walk(path, rel)))
  }
  return out
}
