/**
 * Managing what is published without publishing again: more tags for content that is already
 * there (`ocibundle tag`), and removing a tag or a manifest (`ocibundle delete`), in a registry
 * or an OCI layout. As ORAS, crane, regctl and skopeo can.
 */
import { canDelete, canUntag } from '../content/storage.js'
import { InvalidReferenceError, NotFoundError, UnsupportedError, UsageError } from '../errors.js'
import type { Descriptor } from '../oci/descriptor.js'
import { formatReference, isValidTag, withSelector } from '../oci/reference.js'
import { RegistryResponseError } from '../registry/http/response-errors.js'
import { withTargets, type OperationOptions } from './open-target.js'
import { TagExistsError } from './publish-errors.js'
import { contentReference, sourceReference } from './target-argument.js'

/** Options of tagReference. */
export interface TagReferenceOptions extends OperationOptions {
  /** Move a tag that names other content. Default false: TagExistsError, and no tag is written. */
  force?: boolean
}

/** One tag tagReference wrote or found in place. */
export interface TagOutcome {
  /** The tag. */
  tag: string
  /** The full reference it makes (`registry/repository:tag`, `ocidir://dir:tag`). */
  reference: string
  /** `created`: new; `moved`: named other content before (with force); `unchanged`: already named this content. */
  outcome: 'created' | 'moved' | 'unchanged'
  /** What the tag named before it was moved. */
  previous?: string
}

/** What tagReference did. */
export interface TagReferenceResult {
  /** The tagged content's reference, normalised. */
  source: string
  /** The tagged manifest or index. */
  descriptor: Descriptor
  /** One entry per tag, in the order given. */
  tags: TagOutcome[]
}

/**
 * Adds `tags` to the content `reference` names, in the same repository or layout, without
 * copying anything: a registry gets the manifest's own bytes under each new tag (no blob is
 * uploaded), a layout a new entry in index.json. Every tag is checked before any is written: a
 * tag that names other content is TagExistsError unless `force`. Throws InvalidReferenceError
 * for a malformed tag, UsageError for no tags, NotFoundError when the content does not exist,
 * and the registry's errors.
 */
export async function tagReference(
  reference: string,
  tags: readonly string[],
  options: TagReferenceOptions = {},
): Promise<TagReferenceResult> {
  if (tags.length === 0) throw new UsageError('give at least one tag to add')
  for (const tag of tags) if (!isValidTag(tag)) throw new InvalidReferenceError(tag, 'a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}')
  const { ref, selector } = contentReference(reference)
  return withTargets(options, [ref], async (targets) => {
    const target = await targets.open(ref, { write: true })
    const o = { signal: options.signal }
    const descriptor = await target.resolve(selector, o)
    const planned: TagOutcome[] = []
    for (const tag of [...new Set(tags)]) {
      const previous = await target.resolve(tag, o).then(
        (d) => d.digest,
        (err: unknown) => {
          if (err instanceof NotFoundError) return undefined
          throw err
        },
      )
      const full = formatReference(withSelector(ref, { tag }))
      if (previous === descriptor.digest) planned.push({ tag, reference: full, outcome: 'unchanged' })
      else if (previous === undefined) planned.push({ tag, reference: full, outcome: 'created' })
      else if (options.force === true) planned.push({ tag, reference: full, outcome: 'moved', previous })
      else throw new TagExistsError(tag, previous, descriptor.digest, 'content')
    }
    for (const t of planned) if (t.outcome !== 'unchanged') await target.tag(descriptor, t.tag, o)
    return { source: formatReference(ref), descriptor, tags: planned }
  })
}

/** What deleteReference is about to remove, for a confirmation. */
export interface DeletePlan {
  /** The reference, normalised. */
  reference: string
  /** `tag`: the tag is removed and the content stays; `manifest`: the manifest is deleted, with every tag that names it. */
  removes: 'tag' | 'manifest'
  /** What the reference names now. */
  descriptor: Descriptor
}

/** Options of deleteReference. */
export interface DeleteReferenceOptions extends OperationOptions {
  /** Asked once what would be removed is known, before anything is; false keeps everything. Undefined → delete. */
  confirm?: (plan: DeletePlan) => boolean | Promise<boolean>
}

/** What deleteReference did. */
export interface DeleteReferenceResult extends DeletePlan {
  /** False when `confirm` said no: nothing was removed. */
  deleted: boolean
}

/**
 * Removes what `reference` names: with a tag (`repo:tag`), the tag, keeping the content
 * (registries that refuse to delete tags get regctl's fallback: RegistryRepository.untag); with
 * a digest (`repo@sha256:…`), the manifest, which takes every tag naming it along. Nothing is
 * removed when `confirm` answers false. Throws UsageError for a reference with neither,
 * NotFoundError when it names nothing, UnsupportedError for a target that cannot delete, and
 * the registry's refusal (deletion disabled: 405) with what to do.
 */
export async function deleteReference(reference: string, options: DeleteReferenceOptions = {}): Promise<DeleteReferenceResult> {
  const ref = sourceReference(reference)
  if (ref.tag === undefined && ref.digest === undefined) {
    throw new UsageError(`${reference} names no tag or digest`, {
      suggestions: ['name the tag (repo:tag) or the manifest (repo@sha256:…) to delete'],
    })
  }
  return withTargets(options, [ref], async (targets) => {
    const target = await targets.open(ref)
    const o = { signal: options.signal }
    const removes = ref.digest !== undefined ? 'manifest' : 'tag'
    const descriptor = await target.resolve(ref.digest ?? ref.tag!, o)
    const plan: DeletePlan = { reference: formatReference(ref), removes, descriptor }
    if (options.confirm !== undefined && !(await options.confirm(plan))) return { ...plan, deleted: false }
    try {
      if (removes === 'manifest') {
        if (!canDelete(target)) throw new UnsupportedError(`${formatReference(ref)} cannot delete content`)
        await target.delete(descriptor, o)
      } else {
        if (!canUntag(target)) throw new UnsupportedError(`${formatReference(ref)} cannot remove tags`)
        await target.untag(ref.tag!, o)
      }
    } catch (err) {
      throw deletionRefused(err)
    }
    return { ...plan, deleted: true }
  })
}

/** A registry that does not delete at all (405: distribution's storage.delete.enabled is off, D2-4; GHCR-2) says so. */
function deletionRefused(err: unknown): unknown {
  if (!(err instanceof RegistryResponseError) || err.status !== 405 || err.method !== 'DELETE') return err
  return new UnsupportedError(`the registry does not allow deletion: ${err.message}`, {
    cause: err,
    suggestions: [
      'on a self-hosted distribution, set storage.delete.enabled: true; hosted registries may offer deletion in their web interface or API instead',
    ],
  })
}
