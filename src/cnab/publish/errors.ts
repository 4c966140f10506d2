/**
 * The errors of publishing, pulling and relocating bundles. Each says what was being done to
 * which image or tag, and what the user can do about it; the underlying error stays the `cause`
 * so a caller can still tell an authentication failure from a missing repository.
 */
import { InputError, InvalidContentError, messageOf, OcibundleError } from '../../errors.js'
import type { Issue } from '../issue.js'
import type { Classification } from '../../compat/classify.js'

/** One of the fields of a bundle image that describe its manifest. */
export type ImageField = 'contentDigest' | 'size' | 'mediaType'

/** What bundle.json states about an image and what the image actually is. */
export interface FieldMismatch {
  field: ImageField
  /** The value in bundle.json; undefined when the field is missing. */
  stated: string | number | undefined
  resolved: string | number
}

/**
 * bundle.json describes an image (contentDigest, size, mediaType) differently from the image its
 * reference resolved to, or leaves a field out, and the bundle may not be updated. An InputError:
 * the bundle is what has to change.
 */
export class ImageMismatchError extends InputError {
  override readonly code: string = 'ERR_IMAGE_MISMATCH'
  constructor(
    /** The image reference exactly as bundle.json writes it. */
    readonly image: string,
    /** JSON pointers of the bundle images using that reference. */
    readonly pointers: readonly string[],
    readonly mismatches: readonly FieldMismatch[],
  ) {
    const details = mismatches.map((m) =>
      m.stated === undefined
        ? `bundle.json has no ${m.field}, the image has ${String(m.resolved)}`
        : `bundle.json says ${m.field} ${String(m.stated)}, the image has ${String(m.resolved)}`,
    )
    super(`image "${image}" (${pointers.join(', ')}): ${details.join('; ')}`, {
      suggestions: [
        'run again with --auto-update to write the resolved contentDigest, size and mediaType into the bundle',
        'or point the reference at the image the bundle was built for',
      ],
    })
  }
}

/** The failure of one image during fixup. */
export interface ImageFailure {
  image: string
  pointers: readonly string[]
  error: unknown
}

/**
 * Fixup failed for one or more images; every failure is listed, not only the first, so one run
 * shows everything to fix. `cause` is the first failure (its class tells what kind of problem it
 * is, for exit codes).
 */
export class FixupError extends OcibundleError {
  override readonly code: string = 'ERR_FIXUP'
  constructor(
    readonly failures: readonly ImageFailure[],
    /** How many distinct image references the bundle has. */
    readonly total: number,
  ) {
    const lines = failures.map((f) => `  - ${f.error instanceof ImageMismatchError ? f.error.message : `image "${f.image}" (${f.pointers.join(', ')}): ${messageOf(f.error)}`}`)
    const suggestions = [...new Set(failures.flatMap((f) => (f.error instanceof OcibundleError ? f.error.suggestions : [])))]
    super(`${failures.length} of ${total} image${total === 1 ? '' : 's'} of the bundle could not be fixed up:\n${lines.join('\n')}`, {
      cause: failures[0]?.error,
      suggestions,
    })
  }
}

/** The bundle breaks the rules a published bundle must follow (validateBundle in publish mode). */
export class BundleValidationError extends InputError {
  override readonly code: string = 'ERR_BUNDLE_INVALID'
  constructor(readonly issues: readonly Issue[]) {
    const errors = issues.filter((i) => i.severity === 'error')
    super(`the bundle cannot be published: ${errors.length} error${errors.length === 1 ? '' : 's'}\n${errors.map((i) => `  - ${i.pointer || '/'}: ${i.message} [${i.rule}]`).join('\n')}`, {
      suggestions: ['fix the listed problems (run `ocibundle validate --mode publish` to see them with warnings), or fix up the images first'],
    })
  }
}

/** A tag already names other content, and overwriting it was not asked for. */
export class TagExistsError extends OcibundleError {
  override readonly code: string = 'ERR_TAG_EXISTS'
  constructor(
    readonly tag: string,
    /** What the tag names now. */
    readonly existing: string,
    /** What the tag would have named. */
    readonly wanted: string,
  ) {
    super(`tag "${tag}" already names ${existing}, not this bundle (${wanted}); it was left unchanged`, {
      suggestions: ['publish under another tag (bump the bundle version), or pass --force to move the tag'],
    })
  }
}

/** One try of one representation while publishing. */
export interface PublishAttempt {
  /** 'config' for the config manifest, 'index' for the bundle index. */
  step: 'config' | 'index'
  /** The config variant id or the index format. */
  id: string
  /** The refusal, when this try failed. */
  error?: string
  /** Why the refusal did or did not lead to the next representation. */
  classification?: Classification
}

/**
 * The registry refused a step of the publish: every representation it was offered, or one
 * representation with an error another representation cannot fix (credentials, a missing
 * repository, a server failure). `attempts` lists every try; `cause` is the last refusal.
 */
export class PublishError extends OcibundleError {
  override readonly code: string = 'ERR_PUBLISH'
  constructor(
    readonly step: PublishAttempt['step'],
    readonly attempts: readonly PublishAttempt[],
    cause: unknown,
    exhausted: boolean,
  ) {
    const what = step === 'config' ? 'bundle config manifest' : 'bundle index'
    const tried = attempts.filter((a) => a.step === step).map((a) => `${a.id}: ${a.error ?? 'accepted'}`)
    const head = exhausted ? `the registry refused every representation of the ${what}` : `pushing the ${what} failed: ${messageOf(cause)}`
    super(`${head}\n${tried.map((t) => `  - ${t}`).join('\n')}`, {
      cause,
      suggestions: exhausted
        ? ['run `ocibundle registry check` against this registry to see which representations it accepts']
        : cause instanceof OcibundleError
          ? cause.suggestions
          : [],
    })
  }
}

/** What was pulled is an image (or something else), not a CNAB bundle. */
export class NotABundleError extends InvalidContentError {
  override readonly code: string = 'ERR_NOT_A_BUNDLE'
  constructor(what: string, why: string) {
    super(`${what} is an image, not a CNAB bundle: ${why}`, {
      suggestions: ['check that the reference names the bundle (its tag or index digest), not its invocation image or a component image'],
    })
  }
}
