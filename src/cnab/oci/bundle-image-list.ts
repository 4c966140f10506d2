/**
 * The images of a bundle as the OCI conversion sees them: the invocation images in their order
 * and the component images sorted the way cnab-to-oci sorts them. The bundle is untyped JSON
 * (it may come from a registry), so every field is read defensively and a shape the conversion
 * cannot use is an InputError naming its JSON pointer.
 */
import { InputError } from '../../errors.js'
import { pointerOf } from '../issue.js'
import { entriesOf, field, isRecord, type JsonObject } from '../json-shape.js'
import { compareGoStrings } from './go-json.js'

/** One image of a bundle (invocation or component), with the fields the OCI conversion reads. */
export interface BundleImage {
  /** JSON pointer of the image object, for messages: `/invocationImages/0`, `/images/web`. */
  readonly pointer: string
  /** The component's key in `images`; undefined for an invocation image. */
  readonly name?: string
  /** The `image` reference string exactly as written in bundle.json. */
  readonly image: string
  /** The manifest digest bundle.json states, if any; the resolved image must agree with it. */
  readonly contentDigest?: string
  /** The manifest size bundle.json states, if any; the resolved image must agree with it. */
  readonly size?: number
  /** The manifest media type bundle.json states, if any; the resolved image must agree with it. */
  readonly mediaType?: string
}

/** The bundle as an object; throws InputError for any other JSON value. */
export function bundleObject(bundle: unknown): JsonObject {
  if (!isRecord(bundle)) throw new InputError('a bundle must be a JSON object')
  return bundle
}

/** `invocationImages`, in order. Throws InputError when it is not an array of images. */
export function invocationImages(bundle: unknown): BundleImage[] {
  const list = field(bundleObject(bundle), 'invocationImages')
  if (!Array.isArray(list)) throw new InputError(`${pointerOf('invocationImages')}: the bundle has no invocationImages array`)
  return list.map((value, i) => readImage(value, pointerOf('invocationImages', i)))
}

/**
 * The entries of `images` sorted by key in Go's string order (cnab-to-oci uses sort.Strings).
 * A missing or `null` map means no components, as in Go. Throws InputError for malformed entries.
 */
export function componentImages(bundle: unknown): BundleImage[] {
  const images = field(bundleObject(bundle), 'images')
  if (images !== undefined && images !== null && !isRecord(images)) {
    throw new InputError(`${pointerOf('images')}: must be a map of component name to image`)
  }
  return entriesOf(images)
    .sort(([a], [b]) => compareGoStrings(a, b))
    .map(([name, value]) => ({ ...readImage(value, pointerOf('images', name)), name }))
}

function readImage(value: unknown, pointer: string): BundleImage {
  if (!isRecord(value)) throw new InputError(`${pointer}: an image must be an object`)
  const image = field(value, 'image')
  if (typeof image !== 'string' || image === '') throw new InputError(`${pointer}/image: required non-empty string`)
  const contentDigest = optional(value, 'contentDigest', 'string', pointer)
  const size = optional(value, 'size', 'number', pointer)
  const mediaType = optional(value, 'mediaType', 'string', pointer)
  return {
    pointer,
    image,
    ...(contentDigest !== undefined && { contentDigest }),
    ...(size !== undefined && { size }),
    ...(mediaType !== undefined && { mediaType }),
  }
}

function optional<T extends 'string' | 'number'>(
  obj: JsonObject,
  key: string,
  type: T,
  pointer: string,
): (T extends 'string' ? string : number) | undefined {
  const v = field(obj, key)
  if (v === undefined) return undefined
  if (typeof v !== type) throw new InputError(`${pointer}/${key}: must be a ${type}`)
  return v as T extends 'string' ? string : number
}
