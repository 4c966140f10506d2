/**
 * Joining a name that comes from untrusted content (a layer title, a tar entry) to a directory
 * we write into, refusing every way out: an absolute name, a `..` segment, a NUL byte, and an
 * existing symbolic link on the way (a link placed there, by a previous pull or anyone, would
 * carry the write elsewhere). oras refuses the same (`ensureBasePath`).
 * Reference: https://github.com/oras-project/oras-go/blob/main/content/file/utils.go
 */
import { lstat } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import { UnsafePathError } from '../errors.js'
import { hasErrorCode } from './files.js'

/** The segments of a relative name, or an UnsafePathError saying why it is not one. */
export function relativeSegments(name: string, what: string): string[] {
  if (name === '' || name.includes('\0')) throw new UnsafePathError(`${what} "${name}" is empty or holds a NUL byte`)
  if (isAbsolute(name) || /^[A-Za-z]:/.test(name) || name.startsWith('\\'))
    throw new UnsafePathError(`${what} "${name}" is an absolute path; refusing to write outside the output directory`)
  const segments = name.split(/[\\/]+/).filter((s) => s !== '' && s !== '.')
  if (segments.includes('..')) throw new UnsafePathError(`${what} "${name}" contains "..": refusing to write outside the output directory`)
  if (segments.length === 0) throw new UnsafePathError(`${what} "${name}" names the output directory itself`)
  return segments
}

/**
 * `root/name`, after checking that `name` is relative, has no `..` and that no part of it that
 * exists under `root` is a symbolic link (the last part included). Throws UnsafePathError.
 */
export async function resolveInside(root: string, name: string, what: string): Promise<string> {
  const segments = relativeSegments(name, what)
  let current = resolve(root)
  for (const segment of segments) {
    current = join(current, segment)
    try {
      if ((await lstat(current)).isSymbolicLink())
        throw new UnsafePathError(`${what} "${name}" goes through the symbolic link ${current}; refusing to write where it leads`)
    } catch (err) {
      if (hasErrorCode(err, 'ENOENT')) return join(resolve(root), ...segments)
      throw err
    }
  }
  return current
}

/**
 * The name of an archive entry as a relative path (`a/b`), `''` for the archive's root (`.`,
 * `./`): leading `./` and trailing `/` dropped, separators collapsed. Throws UnsafePathError
 * for an absolute name, a `..` segment or a NUL byte, as relativeSegments does.
 */
export function archiveEntryName(name: string): string {
  if (/^(?:\.\/*)+$/.test(name)) return ''
  return relativeSegments(name, 'archive entry').join('/')
}
