/**
 * The images of a bundle as publishing handles them: grouped by reference string (the key of
 * relocation maps and of the index builder), with the manifest descriptor bundle.json declares
 * for each.
 */
import { InputError } from '../errors.js'
import type { Descriptor } from '../oci/descriptor.js'
import { MediaTypes } from '../oci/media-types.js'
import { pointerTokens } from '../cnab/issue.js'
import { field, type JsonObject } from '../cnab/json-shape.js'
import { componentImages, invocationImages, type BundleImage } from '../cnab/oci/bundle-image-list.js'
import type { FieldMismatch, ImageField } from './publish-errors.js'

/** A value written into a bundle image by fixup (--auto-update) or by a conversion while publishing. */
export interface FixupChange {
  /** The image reference as bundle.json writes it. */
  image: string
  /** JSON pointer of the image object: `/invocationImages/0`, `/images/web`. */
  pointer: string
  /** The field written. */
  field: ImageField
  /** The previous value; undefined when the field was missing. */
  from: string | number | undefined
  /** The value written. */
  to: string | number
  /** Why the value changed when it is not --auto-update: the image was converted for the registry. */
  reason?: string
}

/**
 * The images of the bundle grouped by reference string, invocation images first, then
 * components sorted as the bundle index sorts them. A reference used by several images appears
 * once, with all of them. Throws InputError for malformed images.
 */
export function imagesByReference(bundle: unknown): Map<string, BundleImage[]> {
  const uses = new Map<string, BundleImage[]>()
  for (const image of [...invocationImages(bundle), ...componentImages(bundle)]) {
    const list = uses.get(image.image)
    if (list === undefined) uses.set(image.image, [image])
    else list.push(image)
  }
  return uses
}

/** The image object at `image.pointer` in `bundle`, which cnab/oci/bundle-image-list.ts read it from. */
export function imageObject(bundle: unknown, image: BundleImage): JsonObject {
  let node = bundle
  for (const token of pointerTokens(image.pointer)) node = (node as JsonObject)[token]
  return node as JsonObject
}

/**
 * The manifest descriptor bundle.json declares for each image reference: contentDigest, size,
 * and mediaType, or without one the type cnab-to-oci derives from `imageType` (`docker` → Docker
 * schema 2 manifest, otherwise OCI manifest). Throws InputError when an image lacks
 * contentDigest or size, or one reference is declared twice with different values.
 */
export function declaredDescriptors(bundle: unknown): Map<string, Descriptor> {
  const out = new Map<string, Descriptor>()
  for (const [ref, images] of imagesByReference(bundle)) {
    for (const image of images) {
      if (image.contentDigest === undefined || image.size === undefined) {
        throw new InputError(`image "${ref}" (${image.pointer}) has no contentDigest or size; fix up the bundle first`)
      }
      const mediaType =
        image.mediaType ??
        (field(imageObject(bundle, image), 'imageType') === 'docker' ? MediaTypes.DockerManifest : MediaTypes.OciManifest)
      const desc = { mediaType, digest: image.contentDigest, size: image.size } as Descriptor
      const seen = out.get(ref)
      if (seen !== undefined && (seen.digest !== desc.digest || seen.size !== desc.size || seen.mediaType !== desc.mediaType)) {
        throw new InputError(`image "${ref}" is described differently at ${images[0]!.pointer} and ${image.pointer}`)
      }
      out.set(ref, desc)
    }
  }
  return out
}

const IMAGE_FIELDS = ['contentDigest', 'size', 'mediaType'] as const

/** Writes the resolved value of each mismatch into the image object of `bundle` and says what changed. */
export function writeImageFields(
  bundle: unknown,
  image: BundleImage,
  mismatches: readonly FieldMismatch[],
  reason?: string,
): FixupChange[] {
  const obj = imageObject(bundle, image)
  return mismatches.map((m) => {
    obj[m.field] = m.resolved
    return {
      image: image.image,
      pointer: image.pointer,
      field: m.field,
      from: m.stated,
      to: m.resolved,
      ...(reason !== undefined && { reason }),
    }
  })
}

/**
 * A copy of `bundle` whose images of the references in `descriptors` state that descriptor
 * (contentDigest, size, mediaType), and the changes made; `reason` says why, for the output.
 */
export function updateImageDescriptors(
  bundle: unknown,
  descriptors: ReadonlyMap<string, Descriptor>,
  reason: string,
): { bundle: unknown; changes: FixupChange[] } {
  const updated: unknown = structuredClone(bundle)
  const changes: FixupChange[] = []
  for (const [ref, images] of imagesByReference(updated)) {
    const d = descriptors.get(ref)
    if (d === undefined) continue
    const resolved = { contentDigest: d.digest, size: d.size, mediaType: d.mediaType }
    for (const image of images) {
      const mismatches = IMAGE_FIELDS.filter((f) => image[f] !== resolved[f]).map((f): FieldMismatch => ({
        field: f,
        stated: image[f],
        resolved: resolved[f],
      }))
      changes.push(...writeImageFields(updated, image, mismatches, reason))
    }
  }
  return { bundle: updated, changes }
}
