/**
 * Stores for copy tests: a MemoryStore, or an OciLayoutStore in a temporary directory that
 * `cleanupStores` removes after each test.
 */
import { MemoryStore } from '../../src/content/memory-store.js'
import type { GraphTarget } from '../../src/content/storage.js'
import { OciLayoutStore } from '../../src/layout/layout-store.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

export type StoreKind = 'memory' | 'layout'

const dirs: TempDir[] = []

/** A new, empty store of `kind`. */
export async function openStore(kind: StoreKind): Promise<GraphTarget> {
  if (kind === 'memory') return new MemoryStore()
  const dir = await makeTempDir('ocibundle-copy-')
  dirs.push(dir)
  return OciLayoutStore.open(dir.path, { create: true })
}

/** Removes the layout directories opened since the last call. */
export async function cleanupStores(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => d.cleanup()))
}
