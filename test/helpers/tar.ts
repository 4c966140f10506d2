/** Uncompressed test layers: regular files only, same input → same bytes (src/util/tar.ts, the `tar` package's headers). */
import { tarBytes } from '../../src/util/tar.js'

/** A tar archive holding `files` (name → content), in the given order. */
export function tarOf(files: Record<string, string>): Buffer {
  return tarBytes(Object.entries(files).map(([path, content]) => ({ path, type: 'file' as const, content: Buffer.from(content) })))
}
