/**
 * `ocibundle gc` as a library call: the garbage collection of an OCI layout (see
 * src/layout/gc.ts for what is removed and what is never touched).
 */
import type { GarbageCollectionResult } from '../layout/gc.js'
import { OciLayoutStore } from '../layout/layout-store.js'
import { UsageError } from '../errors.js'
import { sourceReference } from './target-argument.js'

/** Options of collectGarbage. */
export interface CollectGarbageOptions {
  /** List what would be removed, remove nothing. Default false. */
  dryRun?: boolean
  /** Stops waiting for the index.json lock. */
  signal?: AbortSignal
}

/**
 * Removes from the OCI layout `reference` (`ocidir://dir`, or a directory path read by the rule
 * of classifyArgument) the blobs that no tag, index.json entry or referrer reaches, and the
 * leftovers that killed writers left in `.ingest`. Blobs a live writer may still link are kept.
 * Throws UsageError for a registry reference, an ociarchive:// file or a tag, NotFoundError when
 * there is no layout directory, InvalidContentError for a malformed one, LockTimeoutError when
 * index.json stays locked.
 */
export async function collectGarbage(reference: string, options: CollectGarbageOptions = {}): Promise<GarbageCollectionResult> {
  const ref = sourceReference(reference)
  if (ref.kind !== 'layout') {
    throw new UsageError(`gc works on OCI layout directories (ocidir://dir or a path), not on ${reference}`, {
      suggestions:
        ref.kind === 'registry'
          ? ['registries collect their own garbage: see your registry’s documentation']
          : ['give an OCI layout directory: ocidir://dir, or its path'],
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
