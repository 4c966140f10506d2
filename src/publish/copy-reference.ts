/**
 * `ocibundle copy` as a library call: copy what one reference names to another, between any two
 * registries and OCI layouts, with the reference rules of the command. The graph copy itself is
 * copy() of src/copy; this adds opening the two places, the destination tag and the mount source.
 */
import { copy, type CopyOptions, type CopyResult } from '../copy/copy.js'
import {
  formatReference,
  parseContentReference,
  parseReference,
  referenceSelector,
  withSelector,
  type Reference,
} from '../oci/reference.js'
import { withTargets, type OperationOptions } from './open-target.js'

export interface CopyReferenceOptions extends OperationOptions, Omit<CopyOptions, 'signal' | 'mountFrom'> {}

export interface CopyReferenceResult extends CopyResult {
  /** The source, normalised (`docker.io/library/nginx:1.27`, `ocidir://out:v1`). */
  source: string
  /** The destination, normalised, with the tag that was written. */
  destination: string
}

/**
 * Copies the content `source` names (a tag or digest; `:latest` when a registry reference names
 * neither) with everything it references to `destination`. A destination without tag or digest
 * takes the source's tag; a source given by digest alone is copied by digest. Between two
 * repositories of one registry, blobs are mounted instead of uploaded. Throws what copy() throws,
 * InvalidReferenceError and UsageError for unusable references.
 */
export async function copyReference(source: string, destination: string, options: CopyReferenceOptions = {}): Promise<CopyReferenceResult> {
  const { ref: src, selector } = parseContentReference(source)
  const dst = destinationReference(parseReference(destination, { defaultTag: false }), src)
  return withTargets(options, [src, dst], async (targets) => {
    const from = await targets.open(src)
    const to = await targets.open(dst, { write: true })
    const sameRegistry = src.kind === 'registry' && dst.kind === 'registry' && src.registry === dst.registry
    const result = await copy(from, selector, to, referenceSelector(dst), {
      ...options,
      ...(sameRegistry && src.repository !== dst.repository && { mountFrom: () => [src.repository] }),
    })
    return { source: formatReference(src), destination: formatReference(dst), ...result }
  })
}

/** A destination without tag or digest takes the source's tag. */
function destinationReference(dst: Reference, src: Reference): Reference {
  if (dst.tag !== undefined || dst.digest !== undefined || src.tag === undefined) return dst
  return withSelector(dst, { tag: src.tag })
}
