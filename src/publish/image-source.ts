/**
 * Where the images of a bundle come from when it is fixed up: an OCI image layout holding them
 * (a thick bundle's `artifacts/layout`, or the output of a build), the registries their
 * references name, or both, the layout first. A layout given with the images thus overrides the
 * network, which is how an air-gapped or reproducible publish works.
 */
import type { OpOptions, ReadOnlyTarget } from '../content/storage.js'
import { NotFoundError } from '../errors.js'
import { Annotations } from '../oci/annotations.js'
import { parseReference, referenceSelector, repositoryName, type RegistryReference } from '../oci/reference.js'
import type { RegistryClient } from '../registry/http/client.js'
import { RegistryRepository } from '../registry/repository.js'
import type { OciLayoutStore } from '../layout/layout-store.js'
import type { RepositoryName } from './repository-name.js'

/** Where one image reference of a bundle can be read. */
export interface ImageLocation {
  /** The store holding the image. */
  target: ReadOnlyTarget
  /** What to resolve in `target`: a tag (a layout ref.name, a registry tag) or a digest. */
  selector: string
  /** The registry repository of `target`, when it is one: blobs can then be mounted from it. */
  repository?: RepositoryName
  /** Where the image was found, for messages: `layout /path`, `registry.example/repo`. */
  origin: string
}

/** Finds the image an image reference of a bundle names. */
export interface ImageSource {
  /**
   * Where `reference` (exactly as bundle.json writes it) can be read. Throws NotFoundError when
   * this source knows it does not have it (a chained source then asks the next one), and
   * InvalidReferenceError when the reference cannot be parsed.
   */
  locate(reference: string, o?: OpOptions): Promise<ImageLocation>
}

/**
 * Images in an OCI layout, by the thick-bundle convention (CNAB spec 104, Porter's archives,
 * scripts/make-example-images.ts): the index.json entry whose `org.opencontainers.image.ref.name`
 * is the image reference exactly as the bundle writes it. No normalisation: `nginx` and
 * `docker.io/library/nginx:latest` are different entries, as they are different relocation map
 * keys (CNAB spec 103).
 */
export function layoutImageSource(store: OciLayoutStore): ImageSource {
  return {
    async locate(reference, o) {
      try {
        await store.resolve(reference, o)
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err
        throw new NotFoundError(
          `image "${reference}" is not in layout ${store.root}: no index.json entry has ${Annotations.RefName} "${reference}"`,
          {
            cause: err,
            suggestions: ['add the image to the layout under its exact reference, or let it be read from its registry'],
          },
        )
      }
      return { target: store, selector: reference, origin: `layout ${store.root}` }
    },
  }
}

/**
 * Images in the registries their references name, read through `client` (its credentials and
 * host settings). One RegistryRepository per repository, shared by the images that live there.
 */
export function registryImageSource(client: RegistryClient): ImageSource {
  const repositories = new Map<string, RegistryRepository>()
  return {
    async locate(reference) {
      const ref = parseReference(reference, { allowLayout: false }) as RegistryReference
      const name = repositoryName(ref)
      let repository = repositories.get(name)
      if (repository === undefined) {
        repository = new RegistryRepository(ref, client)
        repositories.set(name, repository)
      }
      // parseReference adds `latest` when there is neither tag nor digest, so there is a selector.
      return {
        target: repository,
        selector: referenceSelector(ref)!,
        repository: { registry: ref.registry, repository: ref.repository },
        origin: name,
      }
    },
  }
}

/**
 * Asks each source in turn; a source that throws NotFoundError passes the reference on to the
 * next. Any other error stops the search: a damaged layout must not silently fall back to the
 * network. Throws the last source's NotFoundError when none has the image.
 */
export function chainImageSources(...sources: readonly ImageSource[]): ImageSource {
  if (sources.length === 0) throw new RangeError('chainImageSources needs at least one source')
  return {
    async locate(reference, o) {
      let lastMiss: unknown
      for (const source of sources) {
        try {
          return await source.locate(reference, o)
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err
          lastMiss = err
        }
      }
      throw lastMiss
    },
  }
}
