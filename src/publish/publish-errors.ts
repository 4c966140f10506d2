/**
 * The errors of publishing, pulling and relocating bundles. Each says what was being done to
 * which image or tag, and what the user can do about it; the underlying error stays the `cause`
 * so a caller can still tell an authentication failure from a missing repository.
 */
import {
  classifyPushError,
  isMissingRepository,
  NoWorkingTierError,
  refusedConfigType,
  refusesUntaggedPush,
  type Classification,
} from '../compat/classify.js'
import type { TierAttempt } from '../compat/strategies.js'
import { InputError, InvalidContentError, messageOf, NotFoundError, OcibundleError } from '../errors.js'
import { RegistryResponseError } from '../registry/http/response-errors.js'
import { NotARegistryError } from '../registry/http/response-errors.js'
import type { Issue } from '../cnab/issue.js'
import type { RepositoryName } from './repository-name.js'

/** One of the fields of a bundle image that describe its manifest. */
export type ImageField = 'contentDigest' | 'size' | 'mediaType'

/** What bundle.json states about an image and what the image actually is. */
export interface FieldMismatch {
  /** The bundle.json field that differs. */
  field: ImageField
  /** The value in bundle.json; undefined when the field is missing. */
  stated: string | number | undefined
  /** The value of the image the reference resolved to. */
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
    /** Every field that differs or is missing. */
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
  /** The image reference exactly as bundle.json writes it. */
  image: string
  /** JSON pointers of the bundle images using that reference. */
  pointers: readonly string[]
  /** Why it failed: ImageMismatchError, a registry error, … */
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
    /** Every image that failed, in bundle order. */
    readonly failures: readonly ImageFailure[],
    /** How many distinct image references the bundle has. */
    readonly total: number,
  ) {
    const lines = failures.map(
      (f) =>
        `  - ${f.error instanceof ImageMismatchError ? f.error.message : `image "${f.image}" (${f.pointers.join(', ')}): ${messageOf(f.error)}`}`,
    )
    const advice = (err: unknown): string[] => [
      ...(err instanceof OcibundleError ? err.suggestions : []),
      ...adviceFor(causesOf(err).find((c) => c instanceof RegistryResponseError)),
    ]
    const suggestions = [...new Set(failures.flatMap((f) => advice(f.error)))]
    super(`${failures.length} of ${total} image${total === 1 ? '' : 's'} of the bundle could not be fixed up:\n${lines.join('\n')}`, {
      cause: failures[0]?.error,
      suggestions,
    })
  }
}

/** The bundle breaks the rules a published bundle must follow (validateBundle in publish mode). */
export class BundleValidationError extends InputError {
  override readonly code: string = 'ERR_BUNDLE_INVALID'
  constructor(
    /** Every issue of the validation, warnings included; the errors are what stopped the publish. */
    readonly issues: readonly Issue[],
    /** The bundle, to name the image an issue is about (`image "…"`); optional. */
    bundle?: unknown,
  ) {
    const errors = issues.filter((i) => i.severity === 'error')
    const imageFields = errors.some((i) => i.rule === 'image-content-digest' || i.rule === 'image-descriptor-fields')
    super(
      `the bundle cannot be published: ${errors.length} error${errors.length === 1 ? '' : 's'}\n${errors.map((i) => `  - ${i.pointer || '/'}${imageAt(bundle, i.pointer)}: ${i.message} [${i.rule}]`).join('\n')}`,
      {
        suggestions: [
          ...(imageFields
            ? ['run again with --auto-update (autoUpdate) to write the resolved contentDigest, size and mediaType into the bundle']
            : []),
          'fix the listed problems (run `ocibundle validate --mode publish` to see them with warnings)',
        ],
      },
    )
  }
}

/** ` (image "ref")` when `pointer` is an image of `bundle` (`/invocationImages/0`, `/images/web`); else empty. */
function imageAt(bundle: unknown, pointer: string): string {
  const m = /^\/(invocationImages|images)\/([^/]+)$/.exec(pointer)
  if (m === null || typeof bundle !== 'object' || bundle === null) return ''
  const list = (bundle as Record<string, unknown>)[m[1]!] as Record<string, { image?: unknown }> | undefined
  const image = list?.[m[2]!.replaceAll('~1', '/').replaceAll('~0', '~')]?.image
  return typeof image === 'string' ? ` (image "${image}")` : ''
}

/** A tag already names other content, and overwriting it was not asked for. */
export class TagExistsError extends OcibundleError {
  override readonly code: string = 'ERR_TAG_EXISTS'
  constructor(
    /** The tag that was left unchanged. */
    readonly tag: string,
    /** What the tag names now. */
    readonly existing: string,
    /** What the tag would have named. */
    readonly wanted: string,
    /** What `wanted` is, for the message: a bundle (the default) or other content. */
    what: 'bundle' | 'content' = 'bundle',
  ) {
    super(`tag "${tag}" already names ${existing}, not this ${what} (${wanted}); it was left unchanged`, {
      suggestions: [
        what === 'bundle'
          ? 'publish under another tag (bump the bundle version), or pass --force to move the tag'
          : 'choose another tag, or pass --force to move it',
      ],
    })
  }
}

/**
 * What a publish decides, each with its own tiers: how pointed-at manifests are stored
 * (`manifest-refs`), the index format of a multi-platform image (`image-index`), the config
 * manifest variant (`config`) and its layer shape (`shape`), and the bundle index format
 * (`index`, with its images converted to the index's family where the registry refuses a mix).
 */
export type PublishStep = 'manifest-refs' | 'image-index' | 'config' | 'shape' | 'index'

/** One try of one representation while publishing. */
export interface PublishAttempt {
  /** The decision the attempt was for. */
  step: PublishStep
  /** The tier: a config variant id, an index format, `digest`, `as-is`… */
  id: string
  /** The image reference the attempt was about (`image-index`). */
  image?: string
  /** The refusal, when this try failed. */
  error?: string
  /** Why it was not tried: the registry is known not to take it. */
  skipped?: string
  /** Why the refusal did or did not lead to the next representation. */
  classification?: Classification
}

const STEP_OBJECTS: Record<PublishStep, string> = {
  'manifest-refs': 'manifests',
  'image-index': 'image index',
  config: 'bundle config manifest',
  shape: 'bundle config manifest',
  index: 'bundle index',
}

/**
 * The registry refused a step of the publish: every representation it was offered, or one
 * representation with an error another representation cannot fix (credentials, a missing
 * repository, a server failure). `attempts` lists every try; `cause` is the last refusal.
 */
export class PublishError extends OcibundleError {
  override readonly code: string = 'ERR_PUBLISH'
  constructor(
    /** The decision whose push failed. */
    readonly step: PublishStep,
    /** Every attempt of the publish so far, in order. */
    readonly attempts: readonly PublishAttempt[],
    cause: unknown,
    exhausted: boolean,
  ) {
    const what = STEP_OBJECTS[step]
    const tried = attempts
      .filter((a) => a.error !== undefined || a.skipped !== undefined)
      .map((a) => `${a.step} ${a.id}: ${a.error ?? `not tried: ${a.skipped}`}`)
    const head = exhausted ? `the registry refused every representation of the ${what}` : `pushing the ${what} failed: ${messageOf(cause)}`
    super(`${head}${tried.length > 0 ? `\n${tried.map((t) => `  - ${t}`).join('\n')}` : ''}`, {
      cause,
      suggestions: [
        ...adviceFor(cause),
        ...(exhausted
          ? ['run `ocibundle registry check` against this registry to see which representations it accepts']
          : cause instanceof OcibundleError
            ? cause.suggestions
            : []),
      ],
    })
  }
}

/**
 * What to do about a refusal, where the registry's answer says it: Quay's config type
 * allow-list (QUAY-1) names the types it takes, and a 405 to a manifest PUT by digest means
 * untagged manifests are refused (ECR in 2019).
 */
export function adviceFor(err: unknown): string[] {
  const allowList = refusedConfigType(err)
  if (allowList !== undefined) {
    return [
      `the registry allows only the config media types ${allowList.allowed}: add ${allowList.type} to its allow-list (Quay: ALLOWED_OCI_ARTIFACT_TYPES, with FEATURE_GENERAL_OCI_SUPPORT)`,
      'or publish with --config-variant oci-image-config, whose config type such allow-lists take',
    ]
  }
  if (refusesUntaggedPush(err)) {
    return [
      'the registry refuses manifests pushed without a tag: publish with --manifest-refs deterministic-tag (or let the fallbacks choose it)',
    ]
  }
  return []
}

/**
 * The destination repository does not exist and the registry does not create repositories on
 * push (ECR answers 404 NAME_UNKNOWN, ECR-1). No representation fixes that.
 */
export class RepositoryMissingError extends NotFoundError {
  override readonly code: string = 'ERR_REPOSITORY_MISSING'
  constructor(
    /** The registry, as references name it. */
    readonly registry: string,
    /** The repository path that does not exist. */
    readonly repository: string,
    cause: unknown,
  ) {
    super(`the repository ${repository} does not exist on ${registry}; create it first (ECR does not create repositories on push)`, {
      cause,
      suggestions: [`on ECR: aws ecr create-repository --repository-name ${repository}`, 'then publish again'],
    })
  }
}

/** The bundle tag exists and the registry does not let it be moved (immutable tags: ECR, Harbor, Artifactory). */
export class ImmutableTagError extends OcibundleError {
  override readonly code: string = 'ERR_IMMUTABLE_TAG'
  constructor(
    /** The tag that cannot be moved. */
    readonly tag: string,
    cause: unknown,
  ) {
    super(`the tag "${tag}" is immutable on this registry: it already exists and cannot be overwritten (${messageOf(cause)})`, {
      cause,
      suggestions: ['publish under a new tag (bump the bundle version, or give another :tag)'],
    })
  }
}

/**
 * A multi-platform image (an index) on a registry that takes no index of either format
 * (Nexus, NEXUS-5): the image can only be stored as one of its platforms. An
 * incompatibility (NoWorkingTierError), like every refused representation.
 */
export class MultiPlatformImageError extends NoWorkingTierError {
  override readonly code: string = 'ERR_MULTI_PLATFORM_IMAGE'
  override readonly suggestions: readonly string[]
  constructor(
    /** The image reference exactly as bundle.json writes it. */
    readonly image: string,
    /** `os/arch[/variant]` of each entry of the image's index (`unknown` for an entry without one). */
    readonly platforms: readonly string[],
    attempts: readonly TierAttempt[],
    cause: unknown,
  ) {
    super(attempts, cause)
    const why = attempts.some((a) => a.outcome === 'refused')
      ? 'refused it as an OCI image index and as a Docker manifest list'
      : 'takes neither OCI image indexes nor Docker manifest lists'
    this.message =
      `image "${image}" is a multi-platform image (${platforms.join(', ') || 'platforms not stated'}), and the registry ${why}; ` +
      'a bundle published there can only hold one platform of it'
    this.suggestions = [
      `publish with --platform os/arch to keep one platform of every multi-platform image${platforms[0] !== undefined ? ` (e.g. --platform ${platforms[0]})` : ''}`,
      'or publish to a registry that takes image indexes',
    ]
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

/**
 * The error to show for `err` from writing into `repository`: a NotARegistryError anywhere in the
 * chain is shown alone, a 404 NAME_UNKNOWN from that
 * repository anywhere in the chain (ECR-1) becomes RepositoryMissingError, a refused PUT of the
 * bundle `tag` that says the tag is immutable becomes ImmutableTagError; anything else is
 * returned as it is. The original error stays the `cause`.
 */
export function actionableError(err: unknown, context: { repository?: RepositoryName | undefined; tag?: string }): unknown {
  if (err instanceof RepositoryMissingError || err instanceof ImmutableTagError) return err
  // Every request to such an address fails the same way: say it once, not once per image.
  const notRegistry = causesOf(err).find((c) => c instanceof NotARegistryError)
  if (notRegistry !== undefined) return notRegistry
  const refusals = causesOf(err).filter((c): c is RegistryResponseError => c instanceof RegistryResponseError)
  const { repository, tag } = context
  if (repository !== undefined && refusals.some((r) => isMissingRepository(r, repository.repository))) {
    return new RepositoryMissingError(repository.registry, repository.repository, err)
  }
  const immutable = refusals.find(
    (r) =>
      r.method === 'PUT' && tag !== undefined && r.url.endsWith(`/manifests/${tag}`) && classifyPushError(r).reason === 'immutable-tag',
  )
  return immutable !== undefined ? new ImmutableTagError(tag!, immutable) : err
}

/** `err` and everything it was caused by: `cause` chains and the failures of a FixupError. */
function causesOf(err: unknown): unknown[] {
  const out: unknown[] = []
  const queue = [err]
  while (queue.length > 0 && out.length < 64) {
    const e = queue.shift()
    if (e === undefined || out.includes(e)) continue
    out.push(e)
    if (e instanceof FixupError) queue.push(...e.failures.map((f) => f.error))
    if (e instanceof Error && e.cause !== undefined) queue.push(e.cause)
  }
  return out
}
