/**
 * Publishing a fixed-up bundle (cnab-oci.md §3.4, §7.2): the config blob (the canonical
 * bundle.json), a config manifest pointing at it, and the bundle index under a tag. Where a
 * registry refuses a representation, the next one is tried, but only when the refusal is about
 * the representation (src/compat/classify.ts decides): a wrong password or a missing repository
 * is reported as it is instead of burning through every fallback as cnab-to-oci does.
 *
 * Deterministic: the same bundle gives the same bytes and digests on every run and machine;
 * nothing time-dependent is written.
 */
import { canPushReference, type OpOptions, type Target } from '../../content/storage.js'
import { AlreadyExistsError, messageOf, NotFoundError } from '../../errors.js'
import type { Descriptor } from '../../oci/descriptor.js'
import { digestOf } from '../../oci/digest.js'
import { classifyPushError } from '../../compat/classify.js'
import type { Issue } from '../issue.js'
import { field } from '../json-shape.js'
import {
  bundleIndex,
  configBlob,
  configManifestVariants,
  DEFAULT_SHAPE,
  type BuiltIndex,
  type ConfigManifestVariant,
  type ConfigVariantId,
  type IndexFormat,
  type OciShape,
} from '../oci/index.js'
import { validateBundle } from '../validate.js'
import { declaredDescriptors } from './bundle-images.js'
import { BundleValidationError, PublishError, type PublishAttempt } from './errors.js'
import { relocationMapFor, repositoryOf, type RepositoryName } from './repository-name.js'
import { checkTag, defaultBundleTag, guardTag } from './tags.js'

/** Index formats in the order they are tried: OCI first, the Docker manifest list as fallback. */
const INDEX_FORMATS: readonly IndexFormat[] = ['oci-index', 'docker-manifest-list']

export interface PublishDestination {
  target: Target
  /** The tag; undefined → defaultBundleTag of the bundle's version. Digests are refused: bundles are always tagged. */
  reference?: string
  /** The registry repository of `target`, for the relocation map. Undefined → taken from a RegistryRepository target. */
  repository?: RepositoryName
}

export interface PublishOptions {
  /** Default DEFAULT_SHAPE ('portable'); see docs/bundle-format.md. */
  shape?: OciShape
  /** Move the tag even when it names other content. */
  force?: boolean
  /** Try the next representation when the registry refuses one (classified). Default true. */
  allowFallback?: boolean
  /** Push only this index format (from a registry profile, or to test one). */
  indexFormat?: IndexFormat
  /** Push only this config manifest variant. */
  configVariant?: ConfigVariantId
  signal?: AbortSignal
}

export interface PublishResult {
  /** The digest of the bundle index: "the bundle digest". */
  digest: string
  index: Descriptor
  /** The config manifest the index points at. */
  config: Descriptor
  /** The config blob: bundle.json in canonical form. */
  configBlob: Descriptor
  /** What the destination accepted. */
  representation: { index: IndexFormat; config: ConfigVariantId; shape: OciShape }
  /** Every push of a representation, refused or accepted, in order; empty when nothing had to be pushed. */
  attempts: PublishAttempt[]
  tag: string
  /** The tag already named this very bundle; nothing was pushed. */
  unchanged: boolean
  /** Relocation map for the destination repository; undefined for a layout. */
  relocationMap?: Record<string, string>
  /** Validation warnings (validateBundle in publish mode); errors would have stopped the publish. */
  warnings: Issue[]
}

/** One way the bundle can be written: a config manifest variant and an index format, built. */
interface Representation {
  variant: ConfigManifestVariant
  format: IndexFormat
  index: BuiltIndex
}

/**
 * Publishes `bundle` (a parsed bundle.json, or its bytes: canonical bytes are stored exactly as
 * given, others canonicalised) to `destination`. Every image the bundle pins must already be in
 * the destination (fixupBundle puts it there).
 *
 * Steps: canonicalise and validate in publish mode; check the tag (an existing tag naming this
 * bundle in any representation → nothing to do; naming other content → TagExistsError unless
 * `force`); check the images are present; push the config blob; push config manifest variants
 * until one is accepted; push the index under the tag, OCI index first, then Docker manifest list.
 *
 * Throws BundleValidationError, InputError (bundle.json contradicting itself, no usable tag),
 * InvalidReferenceError (a malformed tag), TagExistsError, NotFoundError (an image missing from
 * the destination), PublishError (a refused representation, with every attempt), or the push
 * error of the config blob as it is.
 */
export async function publishBundle(bundle: unknown, destination: PublishDestination, options: PublishOptions = {}): Promise<PublishResult> {
  const o: OpOptions = { signal: options.signal }
  const shape = options.shape ?? DEFAULT_SHAPE
  const blob = configBlob(bundle)
  // The canonical bytes are what is stored, so they are what is validated and indexed.
  const value: unknown = bundle instanceof Uint8Array ? JSON.parse(blob.toString('utf8')) : bundle
  const validation = validateBundle(value, { mode: 'publish' })
  if (!validation.valid) throw new BundleValidationError(validation.issues)
  const warnings = validation.issues.filter((i) => i.severity === 'warning')
  const tag = destination.reference !== undefined ? checkTag(destination.reference) : defaultBundleTag(String(field(value, 'version')))
  const images = declaredDescriptors(value)
  const variants = configManifestVariants({ digest: digestOf(blob), size: blob.length }, { shape })
  const representations = variants.flatMap((variant) =>
    INDEX_FORMATS.map((format): Representation => ({ variant, format, index: bundleIndex(value, { config: variant.descriptor, images, format, shape }) })),
  )
  const preferred = representations.find((r) => r.variant.id === (options.configVariant ?? variants[0]!.id) && r.format === (options.indexFormat ?? INDEX_FORMATS[0]))!
  const { target } = destination
  const repository = destination.repository ?? repositoryOf(target)
  const result = (r: Representation, attempts: PublishAttempt[], unchanged: boolean): PublishResult => ({
    digest: r.index.descriptor.digest,
    index: r.index.descriptor,
    config: r.variant.descriptor,
    configBlob: r.variant.config,
    representation: { index: r.format, config: r.variant.id, shape },
    attempts,
    tag,
    unchanged,
    ...(repository !== undefined && { relocationMap: relocationMapFor(images, repository) }),
    warnings,
  })

  // Any representation of this bundle counts as "the same": it was published before, maybe after a fallback.
  const current = await guardTag(target, tag, representations.map((r) => r.index.descriptor.digest), { ...o, force: options.force, wanted: preferred.index.descriptor.digest })
  if (current !== undefined) return result(representations.find((r) => r.index.descriptor.digest === current.digest)!, [], true)
  await requireImages(target, images, o)

  await pushIgnoringPresent(target, preferred.variant.config, blob, o)
  const allowFallback = options.allowFallback ?? true
  const attempts: PublishAttempt[] = []
  const configs = options.configVariant === undefined ? variants : variants.filter((v) => v.id === options.configVariant)
  const variant = await firstAccepted('config', configs, (v) => v.id, (v) => pushIgnoringPresent(target, v.descriptor, v.bytes, o), attempts, allowFallback, o)
  const formats = options.indexFormat === undefined ? INDEX_FORMATS : [options.indexFormat]
  const candidates = representations.filter((r) => r.variant === variant && formats.includes(r.format))
  const chosen = await firstAccepted('index', candidates, (r) => r.format, (r) => pushTagged(target, r.index, tag, o), attempts, allowFallback, o)
  return result(chosen, attempts, false)
}

/**
 * Checks that the destination has the manifest of every image. A registry would refuse an index
 * naming absent manifests with a 400 that reads like an unsupported format (and would set off
 * the fallbacks); a layout would accept it and hold a broken bundle.
 */
async function requireImages(target: Target, images: ReadonlyMap<string, Descriptor>, o: OpOptions): Promise<void> {
  const present = await Promise.all([...images.values()].map((d) => target.exists(d, o)))
  const missing = [...images].filter((_, i) => !present[i]).map(([ref, d]) => `"${ref}" (${d.digest})`)
  if (missing.length > 0) {
    throw new NotFoundError(`the destination lacks ${missing.length === 1 ? 'the image' : 'the images'} ${missing.join(', ')} that the bundle pins`, {
      suggestions: ['fix up the bundle into this destination first, so its images are copied there'],
    })
  }
}

/** Pushes content, counting content already present as pushed. */
async function pushIgnoringPresent(target: Target, desc: Descriptor, bytes: Buffer, o: OpOptions): Promise<void> {
  try {
    await target.push(desc, bytes, o)
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err
  }
}

/** Pushes the index under `tag`: in one request where the destination can, else push then tag. */
async function pushTagged(target: Target, index: BuiltIndex, tag: string, o: OpOptions): Promise<void> {
  if (canPushReference(target)) return target.pushReference(index.descriptor, index.bytes, tag, o)
  await pushIgnoringPresent(target, index.descriptor, index.bytes, o)
  await target.tag(index.descriptor, tag, o)
}

/**
 * Pushes `candidates` in order until one is accepted, recording every try in `attempts`. Moves
 * on only when classifyPushError calls the refusal a fallback and `allowFallback` is set;
 * otherwise, or when no candidate is left, throws PublishError (the signal's reason when aborted).
 */
async function firstAccepted<T>(
  step: PublishAttempt['step'],
  candidates: readonly T[],
  idOf: (c: T) => string,
  push: (c: T) => Promise<void>,
  attempts: PublishAttempt[],
  allowFallback: boolean,
  o: OpOptions,
): Promise<T> {
  for (const [i, candidate] of candidates.entries()) {
    try {
      await push(candidate)
      attempts.push({ step, id: idOf(candidate) })
      return candidate
    } catch (err) {
      if (o.signal?.aborted) throw o.signal.reason
      const classification = classifyPushError(err)
      attempts.push({ step, id: idOf(candidate), error: messageOf(err), classification })
      const last = i === candidates.length - 1
      if (!classification.fallback || !allowFallback || last) throw new PublishError(step, attempts, err, classification.fallback && allowFallback)
    }
  }
  // configManifestVariants and INDEX_FORMATS are never empty, and a forced choice is one of them.
  throw new RangeError(`no ${step} representation to push`)
}
