/**
 * Publishing a bundle as one library call, as `ocibundle push` and `ocibundle build` do:
 *  - from a bundle.json file: every image is resolved (from the `images` layout, then the
 *    registries its reference names), checked or updated, and copied into the destination
 *    (fixupBundle), then the bundle is written (publishBundle), both sharing one PublishSession;
 *  - from a bundle already published (an `ocidir://` layout, as `build` writes it, or a registry
 *    reference): the bundle and its images are copied with their bytes unchanged (copyBundle),
 *    so the bundle digest and any signature over it stay valid; unless the registry refuses that
 *    representation, a saved report says it will, or a representation option asks for another:
 *    then it is re-fitted (refitBundle, src/publish/refit.ts), rebuilt from its own bytes.
 *
 * The representation is planned from the saved `registry check` report of the destination's
 * registry when there is one (src/compat/report-cache.ts), so that a publish makes no failed
 * request; otherwise the fallback tiers find it. Forced choices and `allowFallback: false` come
 * from the options. Everything that happened is in the result; warnings, fallbacks and progress
 * also reach the callbacks as they happen.
 */
import { readBundleFile } from '../cnab/load.js'
import type { ConfigVariantId, OciShape } from '../cnab/oci/to-oci.js'
import type { IndexChoice, ManifestRefChoice } from '../compat/capabilities.js'
import { loadReport, type ReportCacheOptions } from '../compat/report-cache.js'
import { DryRunTarget, type CopyProgress, type DryRunPlan } from '../copy/index.js'
import { InputError, UsageError } from '../errors.js'
import { validateBundle } from '../cnab/validate.js'
import { isDigest } from '../oci/digest.js'
import type { Target } from '../content/storage.js'
import type { Descriptor, Platform } from '../oci/descriptor.js'
import { canListReferrers } from '../content/storage.js'
import { parsePlatform } from '../oci/platform.js'
import { formatReference, type Reference } from '../oci/reference.js'
import { bundleTagOf } from './bundle-tags.js'
import { fixupBundle, type FixupChange } from './fixup.js'
import { chainImageSources, layoutImageSource, registryImageSource, type ImageSource } from './image-source.js'
import { OperationTargets, withTargets, type OperationOptions } from './open-target.js'
import { publishBundle, type PublishResult } from './publish-bundle.js'
import { BundleValidationError, TagExistsError, type PublishAttempt } from './publish-errors.js'
import { PublishSession } from './publish-session.js'
import { copyBundle, type CopyBundleResult } from './relocate.js'
import { derivedTagReader } from './manifest-refs.js'
import { pullBundle } from './pull-bundle.js'
import {
  acceptedRepresentation,
  refitBundle,
  refitReasons,
  representationOf,
  representationRefusal,
  type Refit,
  type RefitSource,
} from './refit.js'
import { RefitNeededError } from './refit-errors.js'
import type { RepositoryName } from './repository-name.js'
import { openThickArchive, type ThickArchiveOptions } from './thick-archive.js'
import {
  buildOutputReference,
  bundleFilePath,
  classifyArgument,
  contentReference,
  destinationReference,
  existingLayoutPath,
  isArchiveFile,
} from './target-argument.js'
import { OciLayoutStore } from '../layout/layout-store.js'

/** How the bundle is represented at the destination: preferences, forced choices and fallbacks. */
export interface RepresentationOptions {
  /** The config manifest's layer shape to prefer: `portable` (the default, and the fallback) or `cnab-to-oci` (its exact bytes). */
  shape?: OciShape
  /** Try the next representation when the registry refuses one (classified refusals only). Default true. */
  allowFallback?: boolean
  /** Push only this index format (`no-index`: the tag names the config manifest). */
  indexFormat?: IndexChoice
  /** Push only this config manifest variant. */
  configVariant?: ConfigVariantId
  /** Push the manifests the bundle points at only this way: by digest, or also under `ocibundle-<alg>-<hex>` tags. */
  manifestRefs?: ManifestRefChoice
  /**
   * Where saved `registry check` reports are read from, to plan the representation up front.
   * Undefined → `${XDG_CACHE_HOME:-~/.cache}/ocibundle/registries`; false → plan without a report.
   */
  reportCache?: Omit<ReportCacheOptions, 'warn'> | false
}

/** Options of publish and build. */
export interface PublishCallOptions extends OperationOptions, RepresentationOptions, ThickArchiveOptions {
  /** An OCI layout directory (`ocidir://dir` or a path) holding the images under the references bundle.json uses; looked up before any registry. */
  images?: string
  /** Write each image's resolved contentDigest, size and mediaType into the published bundle (the file is not changed). Default false. */
  autoUpdate?: boolean
  /** Keep only these platforms of multi-platform images (`os/arch[/variant]` or parsed). Undefined → every platform. */
  platforms?: ReadonlyArray<Platform | string>
  /** Move the tag even when it names another bundle. Default false. */
  force?: boolean
  /** Blobs transferred at once when a published bundle is copied. Undefined → 4. */
  concurrency?: number
  /**
   * A published bundle is copied with the referrers (signatures, SBOMs) of its index and of
   * every image, and theirs in turn. Default true; false (`--no-referrers`) copies none.
   */
  referrers?: boolean
  /**
   * Write nothing: read what the destination has, decide everything a publish decides, and
   * return the plan in the result's `dryRun` (what would be pushed, mounted and tagged). Default
   * false. Without a saved `registry check` report, the representation is the first choice; a
   * registry that refuses it would get the next at the real publish.
   */
  dryRun?: boolean
  /** Bytes of each blob as it is handed to the destination. */
  onProgress?: (progress: CopyProgress) => void
  /** Something was tolerated or ignored (a legacy form, an unreadable saved report, a validation warning). */
  onWarning?: (message: string) => void
  /** Every representation tried, refused or skipped, as it ends. */
  onAttempt?: (attempt: PublishAttempt) => void
}

/** A bundle.json published: what the destination accepted and why, and every change made to the bundle. */
export interface BundleBuilt extends Omit<PublishResult, 'warnings'> {
  /** Tells the two kinds of PublishOutcome apart. */
  kind: 'built'
  /** The bundle.json file. */
  source: string
  /** Where the bundle is now, with its tag (`registry.example/acme/shop:v1.0.0`, `ocidir://out:v1.0.0`). */
  reference: string
  /** Values written into bundle.json: --auto-update, and images converted to the family the registry takes. */
  changes: FixupChange[]
  /** Validation warnings of the published bundle, as `pointer: message`. */
  warnings: string[]
  /**
   * Images converted to the registry's family have new digests, so what refers to the original
   * manifest (signatures, SBOMs, found at the image's source) does not apply to what was
   * published: each converted image with the referrers of its original that no longer apply.
   */
  staleReferrers: StaleReferrers[]
  /**
   * Published from a thick bundle archive whose bundle index the registry refused as it is: the
   * digest the bundle has in the archive, and the refusal. The bundle was published from
   * bundle.json and the archive's images instead, so its digest differs (`changes` says which
   * images were converted, and why).
   */
  archived?: { digest: string; refusal: string }
  /**
   * A published bundle (a layout, another registry) the registry does not take as it is, or
   * asked for in another representation: rebuilt from its own bytes (bundle.json as stored),
   * with the digest and representation it had and has now, and why.
   */
  refit?: Refit
  /** Re-fitted: the referrers of its unchanged images that came along (absent when not asked for or the source cannot list them). */
  referrers?: Descriptor[]
  /** With `dryRun`: what would have been written; nothing was. */
  dryRun?: DryRunPlan
}

/** The referrers of an image's original manifest that do not apply to its converted one. */
export interface StaleReferrers {
  /** The image reference as bundle.json writes it. */
  image: string
  /** The original manifest's digest, which the referrers name. */
  original: string
  /** The digest of the manifest published instead. */
  published: string
  /** The referrers of `original` at the image's source (empty when it has none or cannot list them). */
  referrers: Descriptor[]
}

/** A published bundle copied as it is: same bytes, same digest, a new relocation map. */
export interface BundleCopied extends CopyBundleResult {
  /** Tells the two kinds of PublishOutcome apart. */
  kind: 'copied'
  /** The bundle that was copied, normalised. */
  source: string
  /** Where the bundle is now, with its tag. */
  reference: string
  /** With `dryRun`: what would have been written; nothing was. */
  dryRun?: DryRunPlan
}

/** What publish returns: a bundle.json built and published, or a published bundle copied; told apart by `kind`. */
export type PublishOutcome = BundleBuilt | BundleCopied

/**
 * Publishes `source` to `destination` (a registry repository, optionally with `:tag`, an
 * `ocidir://` layout or an `ociarchive://` file). `source` is a bundle.json file, a thick bundle
 * archive (`.tgz`, `.tar.gz`, `.tar`: ocibundle's or Porter's), an `ocidir://dir[:tag|@digest]`
 * layout, an `ociarchive://file[:tag|@digest]` or a registry reference of a published bundle: a
 * path that exists, starts with `./`, `../` or `/`, or ends in `.json`, `.tgz` or `.tar` is a
 * file and is never sent to a registry (classifyArgument); a directory path is a layout. A
 * bundle.json is validated in publish mode before any request. The tag defaults to the source's tag, else
 * `v<version>` of the bundle.
 *
 * From a layout or a registry, the bundle is copied as it is, or re-fitted where it must be (a
 * classified refusal of it as it is, a representation the saved report found refused, a forced
 * `indexFormat`, `configVariant` or `shape` it does not have): bundle.json keeps its bytes unless
 * an image had to be converted, and the result (kind `built`) has `refit` with the old and new
 * digests and representations and the reasons. With `allowFallback: false` only a forced choice
 * re-fits; otherwise RefitNeededError names both representations.
 *
 * From a thick archive holding the bundle index (ocibundle's), the bundle is copied as it is:
 * the bundle digest and every image digest stay the same. Where the registry refuses that
 * representation (a classified refusal, and `allowFallback` not false), and from an archive
 * without bundle index (Porter's), bundle.json is published with the archive's images, as from
 * a bundle.json file; `archived` and `changes` then say which digests changed and why.
 *
 * Throws NotFoundError for a missing file or directory, InputError and BundleValidationError for
 * an unusable bundle, UsageError for a destination with a digest or a file name, what
 * openThickArchive throws for an unusable or hostile archive, and what fixupBundle,
 * publishBundle and copyBundle throw (FixupError, PublishError, TagExistsError,
 * RepositoryMissingError, NotARegistryError, …).
 */
export async function publish(source: string, destination: string, options: PublishCallOptions = {}): Promise<PublishOutcome> {
  const dst = destinationReference(destination)
  if (dst.digest !== undefined) throw new UsageError('a bundle is published under a tag, not a digest; drop the @digest')
  if (isArchiveFile(source)) return publishArchive(source, dst, options)
  if (classifyArgument(source).kind === 'file') return buildInto(source, dst, options)
  const { ref: src, selector } = contentReference(source)
  return withTargets(options, [src, dst], async (targets) => {
    const session = await publishSession(dst, options)
    const target = await targets.openDestination(dst, options.dryRun ?? false)
    const repository = dst.kind === 'registry' ? { registry: dst.registry, repository: dst.repository } : undefined
    const opened = await targets.open(src)
    const from: RefitSource = {
      target: opened,
      pulled: await pullBundle(derivedTagReader(opened), selector, { ...(options.signal && { signal: options.signal }) }),
      ...(src.kind === 'registry' && { repository: src }),
      origin: formatReference(src),
    }
    const outcome = await publishPublished(from, selector, { target, ...(repository && { repository }) }, dst.tag, session, options)
    return {
      ...outcome,
      reference: formatReference({ ...dst, tag: outcome.tag }),
      ...(target instanceof DryRunTarget && { dryRun: target.plan }),
    }
  })
}

/**
 * A published bundle (`from`, named by `selector` there) to `destination`: copied as it is
 * (copyBundle), unless it has to be re-fitted (refitBundle): a representation forced by the
 * options that it does not have, one the saved report found refused, or the registry's
 * classified refusal of it as it is. With `allowFallback: false`, only a forced choice re-fits;
 * the others throw RefitNeededError.
 */
async function publishPublished(
  from: RefitSource,
  selector: string,
  destination: { target: Target; repository?: RepositoryName },
  tag: string | undefined,
  session: PublishSession,
  options: PublishCallOptions,
): Promise<Omit<BundleBuilt, 'reference'> | Omit<BundleCopied, 'reference'>> {
  const { pulled } = from
  const has = representationOf(pulled)
  session.planForImages([...pulled.entries.values()].map((d) => d.mediaType))
  const why = refitReasons(pulled, has, session, {
    ...(options.indexFormat !== undefined && { indexFormat: options.indexFormat }),
    ...(options.configVariant !== undefined && { configVariant: options.configVariant }),
    ...(options.shape !== undefined && { shape: options.shape }),
  })
  const destinationTag = tag ?? (isDigest(selector) ? bundleTagOf(pulled.bundle) : selector)
  const refit = async (reasons: string[]): Promise<Omit<BundleBuilt, 'reference'>> => {
    const result = await refitBundle(from, destination, destinationTag, {
      session,
      reasons,
      force: options.force ?? false,
      ...(options.referrers !== undefined && { referrers: options.referrers }),
      ...(options.signal && { signal: options.signal }),
      ...(options.onProgress && { onProgress: options.onProgress }),
    })
    const { images, ...rest } = result
    for (const w of rest.warnings) options.onWarning?.(w)
    return { ...rest, kind: 'built', source: from.origin, staleReferrers: await staleReferrers(rest.changes, images, options.signal) }
  }
  if (why.planned.length > 0 && options.allowFallback === false && why.forced.length === 0)
    throw new RefitNeededError(has, acceptedRepresentation(session, pulled), why.planned)
  if (why.forced.length > 0 || why.planned.length > 0) return refit([...why.forced, ...why.planned])
  try {
    const copied = await copyBundle(from.target, pulled.digest, destination, destinationTag, {
      session,
      force: options.force ?? false,
      ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
      ...(options.signal && { signal: options.signal }),
      ...(from.repository && { sourceRepository: from.repository }),
      ...(options.onProgress && { onProgress: options.onProgress }),
      ...(options.referrers !== undefined && { referrers: options.referrers }),
    })
    for (const w of copied.warnings) options.onWarning?.(w)
    return { kind: 'copied', source: from.origin, ...copied }
  } catch (err) {
    // The tag names another digest: a re-fit of this bundle published before is found as such
    // (publishBundle knows every representation of it); another bundle is refused there.
    if (err instanceof TagExistsError && !(options.force ?? false))
      return refit([`the tag names ${err.existing}, not the bundle as it is published: looked for as a re-fit of it`])
    const refusal = representationRefusal(err)
    if (refusal === undefined) throw err
    const reason = `the registry refused the bundle as it is published (${refusal.reason})`
    // Without the copy error as cause: its advice (run the copy again, check permissions) does not apply to a refusal.
    if (options.allowFallback === false)
      throw new RefitNeededError(has, acceptedRepresentation(session, pulled, refusal.descriptor), [reason])
    return refit([reason])
  }
}

/**
 * Builds the bundle.json file `bundle` into `output`: an OCI layout directory (`ocidir://dir[:tag]`,
 * or a plain path: `out`, `./out:v1`) or a registry repository named with its host
 * (`registry.example.com/acme/shop`; a bare name such as `acme/shop` is a directory, so a build
 * never publishes by accident). The bundle is validated in publish mode first (with
 * `autoUpdate`, the fields it fills in excepted); then every image is resolved (from `images`,
 * then registries) and copied into the output, and the config blob, config manifest and index
 * are written; the same input gives the same bytes and digests on every run and machine. The
 * tag defaults to `v<version>`. Throws like publish.
 */
export async function build(bundle: string, output: string, options: PublishCallOptions = {}): Promise<BundleBuilt> {
  return buildInto(bundle, buildOutputReference(output), options)
}

async function buildInto(bundle: string, dst: Reference, options: PublishCallOptions): Promise<BundleBuilt> {
  if (dst.digest !== undefined) throw new UsageError('a bundle is published under a tag, not a digest; drop the @digest')
  const loaded = await readBundleFile(bundleFilePath(bundle))
  const fatal = loaded.issues.filter((i) => i.severity === 'error')
  if (loaded.value === undefined || fatal.length > 0) {
    const problems = fatal.map((i) => i.message).join('; ')
    throw new InputError(problems.includes(bundle) ? problems : `${bundle}: ${problems}`, {
      suggestions: [`see every problem with: ocibundle validate ${bundle}`],
    })
  }
  validateBeforePublishing(loaded.value, options.autoUpdate ?? false)
  const images = options.images !== undefined ? existingLayoutPath(options.images, 'the images layout') : undefined
  return buildLoaded(loaded.value, bundle, dst, options, (targets) => imageSource(images, targets))
}

/** The rules whose fields `autoUpdate` writes: they cannot stop a publish that fills them in. */
const AUTO_UPDATED_RULES: ReadonlySet<string> = new Set(['image-content-digest', 'image-descriptor-fields'])

/**
 * Validates `bundle` in publish mode before anything is read from or written to a registry, so
 * that an invalid bundle is reported as such and not as the first network error. With
 * `autoUpdate`, the rules about the fields it fills in (contentDigest, size, mediaType) are left
 * to the fixup. Throws BundleValidationError listing every error.
 */
function validateBeforePublishing(bundle: unknown, autoUpdate: boolean): void {
  const issues = validateBundle(bundle, { mode: 'publish' }).issues.filter((i) => !(autoUpdate && AUTO_UPDATED_RULES.has(i.rule)))
  if (issues.some((i) => i.severity === 'error')) throw new BundleValidationError(issues, bundle)
}

/** build() of a bundle already loaded (`bundle`, read from `source`), its images from `images`. */
async function buildLoaded(
  bundle: unknown,
  sourceName: string,
  dst: Reference,
  options: PublishCallOptions,
  images: (targets: OperationTargets) => Promise<ImageSource>,
): Promise<BundleBuilt> {
  const platforms = (options.platforms ?? []).map((p) => (typeof p === 'string' ? parsePlatform(p) : p))
  return withTargets(options, [dst], async (targets) => {
    const session = await publishSession(dst, options)
    const destination = await targets.openDestination(dst, options.dryRun ?? false)
    const target = session.wrap(destination)
    const repository = dst.kind === 'registry' ? { registry: dst.registry, repository: dst.repository } : undefined
    const source = await images(targets)
    const fixed = await fixupBundle(
      bundle,
      { target, ...(repository && { repository }) },
      {
        source,
        autoUpdate: options.autoUpdate ?? false,
        session,
        ...(platforms.length > 0 && { platforms }),
        ...(options.signal && { signal: options.signal }),
        ...(options.onProgress && { onProgress: (_image: string, p: CopyProgress) => options.onProgress!(p) }),
      },
    )
    const tag = dst.tag ?? bundleTagOf(fixed.bundle)
    const result = await publishBundle(
      fixed.bundle,
      { target, reference: tag, ...(repository && { repository }) },
      { session, force: options.force ?? false, ...(options.signal && { signal: options.signal }) },
    )
    const { warnings, ...rest } = result
    const messages = warnings.map((w) => `${w.pointer || '/'}: ${w.message}`)
    for (const m of messages) options.onWarning?.(m)
    const relocationMap = result.relocationMap ?? fixed.relocationMap
    const changes = [...fixed.changes, ...result.changes]
    return {
      ...rest,
      kind: 'built',
      // The publish's map: images converted while publishing have new digests.
      ...(relocationMap && { relocationMap }),
      source: sourceName,
      reference: formatReference({ ...dst, tag }),
      changes,
      warnings: messages,
      staleReferrers: await staleReferrers(changes, source, options.signal),
      ...(destination instanceof DryRunTarget && { dryRun: destination.plan }),
    }
  })
}

/**
 * For each image converted while publishing (a `contentDigest` change with a reason), the
 * referrers of its original manifest at the image's source: they name the original digest, so
 * they do not apply to the converted manifest that was published.
 */
async function staleReferrers(
  changes: readonly FixupChange[],
  source: ImageSource,
  signal: AbortSignal | undefined,
): Promise<StaleReferrers[]> {
  const out: StaleReferrers[] = []
  for (const c of changes) {
    if (c.reason === undefined || c.field !== 'contentDigest' || typeof c.from !== 'string') continue
    const referrers: Descriptor[] = []
    const location = await source.locate(c.image, { signal }).catch(() => undefined)
    if (location !== undefined && canListReferrers(location.target)) {
      const original = await location.target.resolve(c.from, { signal }).catch(() => undefined)
      if (original !== undefined) for await (const d of location.target.listReferrers(original, { signal })) referrers.push(d)
    }
    out.push({ image: c.image, original: c.from, published: String(c.to), referrers })
  }
  return out
}

/** publish() from a thick bundle archive: copied as it is when it holds the bundle index and the registry takes it, else built from its bundle.json. */
async function publishArchive(file: string, dst: Reference, options: PublishCallOptions): Promise<PublishOutcome> {
  const thick = await openThickArchive(file, options)
  try {
    let refusal: string | undefined
    const archived = thick.bundleIndex
    if (archived === undefined && thick.unreadable.length > 0) throw thick.unreadable[0]!.error
    if (archived !== undefined) {
      try {
        return await withTargets(options, [dst], async (targets) => {
          const copied = await copyBundle(
            thick.layout,
            archived.descriptor.digest,
            { target: await targets.openDestination(dst, options.dryRun ?? false) },
            dst.tag ?? archived.tag,
            {
              session: await publishSession(dst, options),
              force: options.force ?? false,
              ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
              ...(options.signal && { signal: options.signal }),
              ...(options.onProgress && { onProgress: options.onProgress }),
              ...(options.referrers !== undefined && { referrers: options.referrers }),
            },
          )
          for (const w of copied.warnings) options.onWarning?.(w)
          return { kind: 'copied' as const, source: file, reference: formatReference({ ...dst, tag: copied.tag }), ...copied }
        })
      } catch (err) {
        refusal = options.allowFallback === false ? undefined : representationRefusal(err)?.reason
        if (refusal === undefined) throw err
      }
    }
    const built = await buildLoaded(thick.bundle, file, dst, options, async () => thick.images)
    if (archived === undefined || refusal === undefined) return built
    const note = `the registry refused the bundle as archived (${refusal}); published from bundle.json with the archive's images instead: the bundle digest is ${built.digest}, not ${archived.descriptor.digest} as in the archive`
    options.onWarning?.(note)
    return { ...built, warnings: [...built.warnings, note], archived: { digest: archived.descriptor.digest, refusal } }
  } finally {
    await thick.close()
  }
}

/**
 * The session of a publish to `dst`: planned from the saved `registry check` report of its
 * registry when there is one, with the options' forced choices.
 */
async function publishSession(dst: Reference, options: PublishCallOptions): Promise<PublishSession> {
  const host = dst.kind === 'registry' ? dst.registry : undefined
  const report =
    host !== undefined && options.reportCache !== false
      ? await loadReport(host, {
          ...(options.reportCache ?? {}),
          env: options.reportCache?.env ?? options.env ?? process.env,
          ...(options.onWarning && { warn: options.onWarning }),
        })
      : undefined
  return new PublishSession({
    ...(host !== undefined && { host }),
    ...(report !== undefined && { report }),
    ...(options.shape !== undefined && { shape: options.shape }),
    allowFallback: options.allowFallback ?? true,
    ...(options.signal && { signal: options.signal }),
    ...(options.onAttempt && { onAttempt: options.onAttempt }),
    force: {
      ...(options.indexFormat !== undefined && { index: options.indexFormat }),
      ...(options.configVariant !== undefined && { config: options.configVariant }),
      ...(options.manifestRefs !== undefined && { manifestRefs: options.manifestRefs }),
    },
  })
}

/** Where images come from: the layout directory `images` first (when given), then the registries their references name. */
async function imageSource(images: string | undefined, targets: OperationTargets): Promise<ImageSource> {
  const registries = registryImageSource(await targets.registryClient())
  if (images === undefined) return registries
  return chainImageSources(layoutImageSource(await OciLayoutStore.open(images)), registries)
}
