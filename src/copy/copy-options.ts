/**
 * The options and the result of a graph copy (copyGraph in copy-graph.ts), apart from the copy
 * itself so that the session that runs it and the function that starts it both use them.
 */
import type { Descriptor } from '../oci/descriptor.js'
import type { CopyProgress } from './blob-transfer.js'

/** Options of copyGraph (and of copy, which adds its own). */
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
  /**
   * Also copy the referrers (signatures, SBOMs, attestations) of every manifest copied or found
   * present, and theirs in turn, each after its subject. Needs a source that lists referrers
   * (ReferrerLister); others are copied without them. Undefined → false.
   */
  referrers?: boolean
  /** Called for each referrer found (before it is copied), with the subject it refers to. */
  onReferrer?: (referrer: Descriptor, subject: Descriptor) => void
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
