/**
 * Copying a content graph (index → manifests → configs and layers) from one storage to
 * another, in the style of oras-go's `CopyGraph`: children before parents, each node once,
 * nothing re-serialised, content the destination has skipped. Works between any two back ends
 * through the Storage interface; optional capabilities (mount) are found with guards.
 * Reference: https://github.com/oras-project/oras-go/blob/v2.5.0/copy.go
 */
import type { ReadOnlyStorage, Storage } from '../content/storage.js'
import type { Descriptor } from '../oci/descriptor.js'
import type { CopyProgress } from './blob-transfer.js'
import { CopySession } from './copy-session.js'

export type { CopyProgress } from './blob-transfer.js'
export { DEFAULT_COPY_CONCURRENCY } from './copy-session.js'

export interface CopyGraphOptions {
  /** Most I/O calls (fetch, exists, push, mount) in flight at once. Undefined, < 1 or not an integer → 4. */
  concurrency?: number
  /** Cancels the copy: nothing new starts, transfers in flight are aborted, the copy rejects with the signal's reason. */
  signal?: AbortSignal
  /**
   * Copy non-distributable ("foreign") layers too. Undefined → false: like oras and crane, they
   * are left out, because registries usually refuse them and clients fetch them from their URLs.
   */
  includeForeignLayers?: boolean
  /**
   * Candidate repositories the destination may mount a blob from, tried in order before a
   * normal push; used only when the destination can mount. A failed mount falls back to the
   * next candidate, then to a push. Undefined → blobs are always pushed.
   */
  mountFrom?: (desc: Descriptor) => readonly string[] | Promise<readonly string[]>
  /** Called when `desc` was already in the destination; its sub-graph is then not walked. */
  onCopySkipped?: (desc: Descriptor) => void | Promise<void>
  /** Called when `desc` was pushed to the destination. */
  onCopied?: (desc: Descriptor) => void | Promise<void>
  /** Called when `desc` was mounted from `fromRepository` instead of pushed. */
  onMounted?: (desc: Descriptor, fromRepository: string) => void | Promise<void>
  /** Called synchronously as blob bytes are handed to the destination (not for manifests). */
  onProgress?: (progress: CopyProgress) => void
}

/** What a copy did. A node found in the destination counts once; its sub-graph is not walked. */
export interface CopyStats {
  /** Nodes visited: copied + skipped + mounted. */
  nodes: number
  /** Nodes pushed to the destination. */
  copied: number
  /** Nodes the destination already had. */
  skipped: number
  /** Blobs mounted from another repository instead of pushed. */
  mounted: number
  /** Bytes of the nodes pushed. */
  bytesCopied: number
  /** Bytes of the nodes skipped. */
  bytesSkipped: number
}

/**
 * Copies the graph rooted at `root` from `src` to `dst` and resolves with what was done.
 *
 * - Children are stored before their parents, so the destination never holds a manifest whose
 *   content is missing; a node reached through several parents is copied once.
 * - A node the destination already has is skipped with its whole sub-graph (as in oras), so a
 *   repeated copy costs one existence check.
 * - Manifests are read bounded (4 MiB) and verified, and pushed as the exact bytes read, so
 *   every digest is preserved; blobs stream from source to destination, verified on the way.
 * - At most `concurrency` I/O calls run at once; a node waiting for its children holds no slot.
 * - The first failure cancels the rest; the copy rejects once all work in flight has stopped.
 *
 * Throws CopyError (op and origin say what failed where), or the signal's reason when aborted.
 */
export async function copyGraph(src: ReadOnlyStorage, dst: Storage, root: Descriptor, opts: CopyGraphOptions = {}): Promise<CopyStats> {
  const session = new CopySession(src, dst, opts)
  await session.run(root)
  return { ...session.stats }
}
