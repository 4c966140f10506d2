/**
 * Temporary directories for tests: created under the OS temp dir, removed by `cleanup`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TempDir {
  /** Absolute path of the new, empty directory. */
  path: string
  /** Removes the directory and everything in it. */
  cleanup(): Promise<void>
}

/** Creates a fresh empty directory whose name starts with `prefix`. */
export async function makeTempDir(prefix = 'ocibundle-test-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) }
}
