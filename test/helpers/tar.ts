/** Uncompressed test layers: regular files only, same input → same bytes (scripts/ustar.ts). */
import { ustarArchive } from '../../scripts/ustar.js'

/** A tar archive holding `files` (name → content), in the given order. */
export function tarOf(files: Record<string, string>): Buffer {
  return ustarArchive(
    Object.entries(files).map(([path, content]) => ({ path, content: Buffer.from(content), mode: 0o644, type: '0' as const })),
  )
}
