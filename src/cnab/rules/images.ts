/**
 * Rules about invocationImages[] and images{} (checklist rules 4, 5, 6, 7 and 19). Most of these
 * are what building cnab-to-oci's OCI index needs, so they bind in publish mode and only warn about
 * present-but-unusable values while linting.
 */
import { isDigest } from '../../oci/digest.js'
import { MANIFEST_ACCEPT } from '../../oci/media-types.js'
import { pointerOf, quoted, type Issue } from '../issue.js'
import { entriesOf, field, isRecord, itemsOf, stringField, type JsonObject } from '../json-shape.js'
import { errorWhenPublishing, type RuleContext } from './rule.js'

/** Image types every CNAB implementation must support; the schema's default is `oci`. */
const KNOWN_IMAGE_TYPES: ReadonlySet<string> = new Set(['docker', 'oci'])
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/

interface BundleImage {
  pointer: string
  image: JsonObject
}

/** Every invocation image and component image that is an object, with its pointer. */
function bundleImages(bundle: unknown): BundleImage[] {
  const invocation = itemsOf(field(bundle, 'invocationImages')).map((image, i) => ({ pointer: pointerOf('invocationImages', i), image }))
  const components = entriesOf(field(bundle, 'images')).map(([name, image]) => ({ pointer: pointerOf('images', name), image }))
  return [...invocation, ...components].filter((x): x is BundleImage => isRecord(x.image))
}

/** A missing imageType means `oci` (the schema default); a non-string one is left to the schema. */
function hasKnownImageType(image: JsonObject): boolean {
  const type = field(image, 'imageType')
  return type === undefined || (typeof type === 'string' && KNOWN_IMAGE_TYPES.has(type))
}

/**
 * Rule 4: the spec requires at least one invocation image. cnab-to-oci's OCI layout holds exactly one,
 * so more than one is an error when publishing and a warning otherwise. A missing or non-array
 * field is the schema's to report.
 */
export function invocationImageCount(bundle: unknown, ctx: RuleContext): Issue[] {
  const images = field(bundle, 'invocationImages')
  if (!Array.isArray(images) || images.length === 1) return []
  const pointer = pointerOf('invocationImages')
  if (images.length === 0) {
    return [{ pointer, rule: 'invocation-image-count', severity: 'error', message: 'a bundle needs at least one invocation image' }]
  }
  return [
    {
      pointer,
      rule: 'invocation-image-count',
      severity: errorWhenPublishing(ctx),
      message: `the bundle has ${images.length} invocation images; cnab-to-oci-compatible OCI output needs exactly one`,
    },
  ]
}

/** Rule 5: `imageType` is `docker` or `oci`, the types an OCI publisher can resolve and describe. */
export function imageTypeKnown(bundle: unknown, ctx: RuleContext): Issue[] {
  return bundleImages(bundle)
    .filter(({ image }) => typeof field(image, 'imageType') === 'string' && !hasKnownImageType(image))
    .map(({ pointer, image }) => ({
      pointer: `${pointer}/imageType`,
      rule: 'image-type-known',
      severity: errorWhenPublishing(ctx),
      message: `imageType ${quoted(String(field(image, 'imageType')))} is not "docker" or "oci", so the image cannot be relocated or published to an OCI registry`,
    }))
}

/**
 * Rule 6: docker/oci images carry `contentDigest` as `sha256:<64 hex>`. The spec requires it once a
 * bundle is transmitted, so a missing digest only fails publish; a malformed one is also a lint
 * warning because runtimes must verify a digest that is present.
 */
export function imageContentDigest(bundle: unknown, ctx: RuleContext): Issue[] {
  const issues: Issue[] = []
  for (const { pointer, image } of bundleImages(bundle)) {
    if (!hasKnownImageType(image)) continue
    const digest = field(image, 'contentDigest')
    if (digest === undefined) {
      if (ctx.mode === 'publish') {
        issues.push({
          pointer,
          rule: 'image-content-digest',
          severity: 'error',
          message: 'the image has no contentDigest; a published bundle must pin every image by its manifest digest',
        })
      }
    } else if (typeof digest === 'string' && !SHA256_DIGEST.test(digest)) {
      issues.push({
        pointer: `${pointer}/contentDigest`,
        rule: 'image-content-digest',
        severity: errorWhenPublishing(ctx),
        message: `contentDigest ${quoted(digest)} is not a sha256 digest ("sha256:" and 64 lowercase hex characters)`,
      })
    }
  }
  return issues
}

/**
 * Rule 7: `size` is positive and `mediaType`, when given, is one of the four manifest types, because
 * both go into the image's descriptor in the OCI index. A missing mediaType is fine: cnab-to-oci
 * derives it from imageType. A missing size only fails publish.
 */
export function imageDescriptorFields(bundle: unknown, ctx: RuleContext): Issue[] {
  const issues: Issue[] = []
  for (const { pointer, image } of bundleImages(bundle)) {
    const size = field(image, 'size')
    if (size === undefined) {
      if (ctx.mode === 'publish') {
        issues.push({
          pointer,
          rule: 'image-descriptor-fields',
          severity: 'error',
          message: 'the image has no size; the OCI index needs the size of its manifest',
        })
      }
    } else if (typeof size === 'number' && size <= 0) {
      issues.push({
        pointer: `${pointer}/size`,
        rule: 'image-descriptor-fields',
        severity: errorWhenPublishing(ctx),
        message: `size ${size} is not a positive number of bytes`,
      })
    }
    const mediaType = stringField(image, 'mediaType')
    if (mediaType !== undefined && !MANIFEST_ACCEPT.includes(mediaType)) {
      issues.push({
        pointer: `${pointer}/mediaType`,
        rule: 'image-descriptor-fields',
        severity: errorWhenPublishing(ctx),
        message: `mediaType ${quoted(mediaType)} is not an image manifest or index type (${MANIFEST_ACCEPT.join(', ')})`,
      })
    }
  }
  return issues
}

/**
 * Rule 19: component images SHOULD be referenced by digest (`name@sha256:...`), so the bundle
 * always means the same content.
 */
export function componentImageDigestReference(bundle: unknown): Issue[] {
  const issues: Issue[] = []
  for (const [name, image] of entriesOf(field(bundle, 'images'))) {
    const ref = stringField(image, 'image')
    if (ref === undefined) continue
    const at = ref.lastIndexOf('@')
    if (at > 0 && isDigest(ref.slice(at + 1))) continue
    issues.push({
      pointer: pointerOf('images', name, 'image'),
      rule: 'image-digest-reference',
      severity: 'warning',
      message: `image ${quoted(ref)} is not a digest reference; component images should be pinned as name@sha256:<digest>`,
    })
  }
  return issues
}
