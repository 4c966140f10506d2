/**
 * Copying a content graph (index → manifests → configs and layers) from one storage to
 * another, in the style of oras-go's `CopyGraph`: children before parents, each node once,
 * nothing re-serialised, content the destination has skipped. Works between any two back ends
 * through the Storage interface; optional capabilities (mount) are found with guards.
 * Reference: https://github.com/oras-project/oras-go/blob/v2.5.0/copy.go
 */
import { canListReferrers, type ReadOnlyStorage, type Storage } from '../content/storage.js'
import type { Descriptor } from '../oci/descriptor.js'
import type { CopyGraphOptions, CopyStats } from './copy-options.js'
import { CopySession } from './copy-session.js'

export type { CopyProgress } from './blob-transfer.js'
export type { CopyGraphOptions, CopyStats } from './copy-options.js'
export { DEFAULT_COPY_CONCURRENCY } from './copy-session.js'

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
 * - With `referrers`, the referrers of every manifest come along (see CopyGraphOptions).
 *
 * Throws CopyError (op and origin say what failed where), or the signal's reason when aborted.
 */
export async function copyGraph(src: ReadOnlyStorage, dst: Storage, root: Descriptor, opts: CopyGraphOptions = {}): Promise<CopyStats> {
  const session = new CopySession(src, dst, opts, opts.referrers && canListReferrers(src) ? { referrers: src } : {})
  await session.run(root)
  return { ...session.stats }
}
