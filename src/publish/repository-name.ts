/**
 * Where content lives in registry terms. Relocation maps and cross-repository mounts need the
 * registry and repository of a target, which the storage interface does not expose: a layout
 * has neither.
 */
import type { Descriptor } from '../oci/descriptor.js'
import type { RegistryReference } from '../oci/reference.js'
import { RegistryRepository } from '../registry/repository.js'
import { unwrapTarget } from './manifest-refs.js'

/** A registry repository: `127.0.0.1:5000` and `shop/bundle`. */
export type RepositoryName = Pick<RegistryReference, 'registry' | 'repository'>

/** The repository `target` is, when it is a RegistryRepository (wrapped for manifest references or not); undefined for any other back end. */
export function repositoryOf(target: unknown): RepositoryName | undefined {
  const store = unwrapTarget(target)
  return store instanceof RegistryRepository ? { registry: store.registry, repository: store.repository } : undefined
}

/** `registry/repository`, the form relocation maps and messages use. */
export function formatRepository(name: RepositoryName): string {
  return `${name.registry}/${name.repository}`
}

/**
 * The repositories of `destination`'s registry that blobs copied from `source` can be mounted
 * from: the source repository when both are repositories of the same registry, none otherwise.
 * Registry names are compared as written (host and port), the way a mount request needs them.
 */
export function mountCandidates(source: RepositoryName | undefined, destination: RepositoryName | undefined): readonly string[] {
  if (source === undefined || destination === undefined) return []
  if (source.registry !== destination.registry || source.repository === destination.repository) return []
  return [source.repository]
}

/** CNAB relocation map (spec 103): each image reference → `<registry>/<repository>@<digest>` of its manifest in `repository`. */
export function relocationMapFor(
  images: ReadonlyMap<string, Pick<Descriptor, 'digest'>>,
  repository: RepositoryName,
): Record<string, string> {
  // fromEntries defines own properties, so a reference like "__proto__" cannot touch the prototype.
  return Object.fromEntries([...images].map(([ref, d]) => [ref, `${formatRepository(repository)}@${d.digest}`]))
}
