/**
 * The in-memory graph index shared by the memory and layout stores: for every node it records
 * which manifests point at it, so `predecessors` is a map lookup instead of a scan of every
 * manifest (design after oras-go v2 internal/graph.Memory).
 */
import { OcibundleError } from '../errors.js'
import { descriptorKey, type Descriptor } from '../oci/descriptor.js'
import { parseManifest, successors } from '../oci/manifest.js'
import { isManifest } from '../oci/media-types.js'
import type { Fetcher } from './storage.js'
import { fetchAll } from './verify.js'

/** Manifests read in parallel while indexing a graph. */
const INDEXING_CONCURRENCY = 8

export class PredecessorIndex {
  /** child key → (parent key → parent descriptor). */
  private readonly parents = new Map<string, Map<string, Descriptor>>()
  /** parent key → its children, kept so a node can be re-indexed or removed. */
  private readonly children = new Map<string, Descriptor[]>()

  /**
   * Records that `node` points at each of `successors`. Indexing the same node again replaces
   * its edges, so pushing a manifest twice does not duplicate anything.
   */
  add(node: Descriptor, successors: readonly Descriptor[]): void {
    this.remove(node)
    const nodeKey = descriptorKey(node)
    this.children.set(nodeKey, [...successors])
    for (const child of successors) {
      const childKey = descriptorKey(child)
      let set = this.parents.get(childKey)
      if (set === undefined) {
        set = new Map()
        this.parents.set(childKey, set)
      }
      set.set(nodeKey, node)
    }
  }

  /** The nodes known to point at `node`, in the order they were indexed. */
  predecessors(node: Descriptor): Descriptor[] {
    return [...(this.parents.get(descriptorKey(node))?.values() ?? [])]
  }

  /**
   * Forgets `node`'s outgoing edges (it was deleted). Edges pointing at `node` stay: their
   * parents still name it, whether or not its content is present.
   */
  remove(node: Descriptor): void {
    const nodeKey = descriptorKey(node)
    for (const child of this.children.get(nodeKey) ?? []) {
      const childKey = descriptorKey(child)
      const set = this.parents.get(childKey)
      set?.delete(nodeKey)
      if (set?.size === 0) this.parents.delete(childKey)
    }
    this.children.delete(nodeKey)
  }
}

/**
 * Records in `graph` the edges of every manifest reachable from `roots` in `store`, level by
 * level. Missing or damaged manifests are skipped: a layout may lack blobs, and fetch reports
 * damage when the content is actually used.
 */
export async function indexReachable(store: Fetcher, graph: PredecessorIndex, roots: readonly Descriptor[]): Promise<void> {
  const seen = new Set<string>()
  let level: readonly Descriptor[] = roots
  while (level.length > 0) {
    const fresh: Descriptor[] = []
    for (const n of level) {
      if (!isManifest(n.mediaType) || seen.has(descriptorKey(n))) continue
      seen.add(descriptorKey(n))
      fresh.push(n)
    }
    const next: Descriptor[] = []
    for (let i = 0; i < fresh.length; i += INDEXING_CONCURRENCY) {
      const batch = fresh.slice(i, i + INDEXING_CONCURRENCY)
      // Read in parallel, indexed in the roots' order: predecessors (and so referrers) come out
      // in the same order on every open, not in the order the reads happened to finish.
      const read = await Promise.all(batch.map((n) => successorsOf(store, n)))
      batch.forEach((n, j) => {
        const children = read[j]
        if (children === undefined) return
        graph.add(n, children)
        next.push(...children)
      })
    }
    level = next
  }
}

/** The successors of the manifest `node`, or undefined when it cannot be read or parsed (not indexed). */
async function successorsOf(store: Fetcher, node: Descriptor): Promise<Descriptor[] | undefined> {
  try {
    return successors(parseManifest(await fetchAll(store, node), node.mediaType))
  } catch (err) {
    if (err instanceof OcibundleError) return undefined
    throw err
  }
}
