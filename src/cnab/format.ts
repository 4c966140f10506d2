/**
 * `ocibundle fmt` as a library call: bundle.json files rewritten in canonical form (RFC 8785),
 * the bytes that get hashed, pushed and signed.
 */
import { InputError } from '../errors.js'
import { writeFileAtomic } from '../util/files.js'
import { canonicalBytes, isCanonical } from './canonical.js'
import { readBundleFile } from './load.js'

/** One file of formatBundleFiles. */
export interface FormattedFile {
  /** The path as given. */
  file: string
  /** The file was canonical already. */
  canonical: boolean
  /** The file was rewritten. */
  changed: boolean
  /** The canonical form. */
  bytes: Buffer
}

/**
 * Computes the canonical form of each file and, with `write`, replaces the files that are not
 * canonical (atomically). Throws NotFoundError for a missing file and InputError for one that is
 * not valid JSON or has duplicate keys (those are left untouched).
 */
export async function formatBundleFiles(paths: readonly string[], options: { write: boolean }): Promise<FormattedFile[]> {
  const files: FormattedFile[] = []
  for (const file of paths) {
    const loaded = await readBundleFile(file)
    const fatal = loaded.issues.filter((i) => i.severity === 'error')
    if (loaded.value === undefined || fatal.length > 0) {
      throw new InputError(`${file}: cannot format: ${fatal.map((i) => `${i.pointer || '/'}: ${i.message}`).join('; ')}`, {
        suggestions: ['fix the JSON first; "ocibundle validate" lists every problem with its location'],
      })
    }
    const canonical = isCanonical(loaded.raw)
    const bytes = canonicalBytes(loaded.value)
    const changed = options.write && !canonical
    if (changed) await writeFileAtomic(file, bytes)
    files.push({ file, canonical, changed, bytes })
  }
  return files
}
