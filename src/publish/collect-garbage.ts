/**
 * `ocibundle gc` as a library call: the garbage collection of an OCI layout (see
 * src/layout/gc.ts for what is removed and what is never touched).
 */
import type { GarbageCollectionResult } from '../layout/gc.js'
import { OciLayoutStore } from '../layout/layout-store.js'
import { parseReference } from '../oci/reference.js'
import { UsageError } from '../errors.js'

/** Options of collectGarbage. */
export interface CollectGarbageOptions {
  /** List what would be removed, remove nothing. Default false. */
  dryRun?: boolean
  /** Stops waiting for the index.json lock. */
  signal?: AbortSignal
}

/**
 * Removes from the OCI layout `reference` (`ocidir://dir`) the blobs that no tag, index.json
 * entry or referrer reaches, and the leftovers that killed writers left in `.ingest`. Blobs a
 * live writer may still link are kept. Throws UsageError for a registry reference or a tag,
 * NotFoundError when there is no layout, InvalidContentError for a malformed one,
 * LockTimeoutError when index.json stays locked.
 */
export async function collectGarbage(reference: string, options: CollectGarbageOptions = {}): Promise<GarbageCollectionResult> {
  const ref = parseReference(reference, { defaultTag: false })
  if (ref.kind !== 'layout') {
    throw new UsageError(`gc works on OCI layouts (ocidir://dir), not on the registry reference ${reference}`, {
      suggestions: ['registries collect their own garbage: see your registry’s documentation'],
    })
  }
  if (ref.tag !== undefined || ref.digest !== undefined)
    throw new UsageError(`gc takes a layout directory without tag or digest, not ${reference}`)
  const store = await OciLayoutStore.open(ref.path)
  return store.collectGarbage({
    ...(options.dryRun !== undefined && { dryRun: options.dryRun }),
    ...(options.signal && { signal: options.signal }),
  })
}
