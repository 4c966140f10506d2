/**
 * Atomic replacement of a file only its owner may read. util/files.ts's writeFileAtomic creates
 * its temporary file with mode 0644, which would leave the secrets world-readable until a later
 * chmod; here the temporary file is created 0600 from the start, from the same primitives.
 */
import { mkdir, open, realpath, rename, rm } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { fsyncDir, hasErrorCode, tempPath, writeFully } from '../../util/files.js'

/**
 * Replaces `path` with `data` (mode 0600) atomically, creating its directory with mode 0700 if
 * needed. A symbolic link at `path` is followed and its target replaced, as Docker does for
 * config.json, so dotfile managers keep their link.
 */
export async function writePrivateFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const target = await realpath(path).catch((err: unknown) => {
    if (hasErrorCode(err, 'ENOENT')) return path
    throw err
  })
  const dir = dirname(target)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const tmp = await tempPath(dir, basename(target))
  const fh = await open(tmp, 'wx', 0o600)
  try {
    await writeFully(fh, data)
    await fh.sync()
    await fh.close()
    await rename(tmp, target)
  } catch (err) {
    await fh.close().catch(() => {})
    await rm(tmp, { force: true })
    throw err
  }
  await fsyncDir(dir)
}
