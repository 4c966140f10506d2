/**
 * Referrers of a subject in a store that indexes its graph (memory, OCI layout): the
 * predecessors whose `subject` names it, each read and checked, described as a referrers list
 * describes them. So `copy --referrers` reads and writes signatures and SBOMs in every back end,
 * not only in registries (oras-go's content stores do the same through their graph index).
 */
import type { Descriptor } from '../oci/descriptor.js'
import { parseManifest } from '../oci/manifest.js'
import { isManifest } from '../oci/media-types.js'
import { referrerDescriptor, subjectOf } from '../oci/referrers.js'
import type { Fetcher, OpOptions, PredecessorFinder } from './storage.js'
import { fetchAll } from './verify.js'

/**
 * Yields the manifests of `store` whose `subject` is `subject` (by digest), with artifactType
 * and annotations as the referrers API gives them; only those of `artifactType` when given.
 * Predecessors that point at `subject` another way (an index listing it) are not referrers.
 */
export async function* referrersInGraph(
  store: Fetcher & PredecessorFinder,
  subject: Descriptor,
  o: OpOptions & { artifactType?: string } = {},
): AsyncGenerator<Descriptor> {
  for (const parent of await store.predecessors(subject, o)) {
    if (!isManifest(parent.mediaType)) continue
    const parsed = parseManifest(await fetchAll(store, parent, o), parent.mediaType)
    if (subjectOf(parsed)?.digest !== subject.digest) continue
    const desc = referrerDescriptor(parent, parsed)
    if (o.artifactType === undefined || desc.artifactType === o.artifactType) yield desc
  }
}
