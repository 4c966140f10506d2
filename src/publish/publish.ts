/**
 * Publishing a bundle as one library call, as `ocibundle push` and `ocibundle build` do:
 *  - from a bundle.json file: every image is resolved (from the `images` layout, then the
 *    registries its reference names), checked or updated, and copied into the destination
 *    (fixupBundle), then the bundle is written (publishBundle), both sharing one PublishSession;
 *  - from a bundle already published (an `ocidir://` layout, as `build` writes it, or a registry
 *    reference): the bundle and its images are copied with their bytes unchanged (copyBundle),
 *    so the bundle digest and any signature over it stay valid.
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
import type { Platform } from '../oci/descriptor.js'
import { parsePlatform } from '../oci/platform.js'
import { formatReference, type Reference } from '../oci/reference.js'
import { validateBundle } from '../cnab/validate.js'
import { bundleTagOf } from './bundle-tags.js'
import { fixupBundle, type FixupChange } from './fixup.js'
import { chainImageSources, layoutImageSource, registryImageSource, type ImageSource } from './image-source.js'
import { OperationTargets, withTargets, type OperationOptions } from './open-target.js'
import { publishBundle, type PublishResult } from './publish-bundle.js'
import { BundleValidationError, type PublishAttempt } from './publish-errors.js'
import { PublishSession } from './publish-session.js'
import { copyBundle, type CopyBundleResult } from './relocate.js'
import {
  buildOutputReference,
  bundleFilePath,
  classifyArgument,
  contentReference,
  destinationReference,
  existingLayoutPath,
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
export interface PublishCallOptions extends OperationOptions, RepresentationOptions {
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
  /** With `dryRun`: what would have been written; nothing was. */
  dryRun?: DryRunPlan
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
 * Publishes `source` to `destination` (a registry repository, optionally with `:tag`, or an OCI
 * layout directory). `source` is a bundle.json file, an OCI layout (`ocidir://dir[:tag|@digest]`,
 * or a directory path) or a registry reference of a published bundle, read by the rule of
 * classifyArgument: a local path is never sent to a registry. A bundle.json is validated in
 * publish mode before any request. The tag defaults to the source's tag, else `v<version>` of
 * the bundle.
 * Throws NotFoundError for a missing file or directory, InputError and BundleValidationError for
 * an unusable bundle, UsageError for a destination with a digest or a file name, and what
 * fixupBundle, publishBundle and copyBundle throw (FixupError, PublishError, TagExistsError,
 * RepositoryMissingError, NotARegistryError, …).
 */
export async function publish(source: string, destination: string, options: PublishCallOptions = {}): Promise<PublishOutcome> {
  const dst = destinationReference(destination)
  if (dst.digest !== undefined) throw new UsageError('a bundle is published under a tag, not a digest; drop the @digest')
  if (classifyArgument(source).kind === 'file') return buildInto(source, dst, options)
  const { ref: src, selector } = contentReference(source)
  return withTargets(options, [src, dst], async (targets) => {
    // The bytes are copied as they are; of the representation options only manifestRefs and allowFallback apply.
    const session = await publishSession(dst, options)
    const destination = await targets.openDestination(dst, options.dryRun ?? false)
    const repository = dst.kind === 'registry' ? { registry: dst.registry, repository: dst.repository } : undefined
    const copied = await copyBundle(
      await targets.open(src),
      selector,
      { target: destination, ...(repository && { repository }) },
      dst.tag,
      {
        session,
        force: options.force ?? false,
        ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
        ...(options.signal && { signal: options.signal }),
        ...(src.kind === 'registry' && { sourceRepository: src }),
        ...(options.onProgress && { onProgress: options.onProgress }),
      },
    )
    for (const w of copied.warnings) options.onWarning?.(w)
    return {
      kind: 'copied',
      source: formatReference(src),
      reference: formatReference({ ...dst, tag: copied.tag }),
      ...copied,
      ...(destination instanceof DryRunTarget && { dryRun: destination.plan }),
    }
  })
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
  const platforms = (options.platforms ?? []).map((p) => (typeof p === 'string' ? parsePlatform(p) : p))
  const images = options.images !== undefined ? existingLayoutPath(options.images, 'the images layout') : undefined
  return withTargets(options, [dst], async (targets) => {
    const session = await publishSession(dst, options)
    const destination = await targets.openDestination(dst, options.dryRun ?? false)
    const target = session.wrap(destination)
    const repository = dst.kind === 'registry' ? { registry: dst.registry, repository: dst.repository } : undefined
    const fixed = await fixupBundle(
      loaded.value,
      { target, ...(repository && { repository }) },
      {
        source: await imageSource(images, targets),
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
    return {
      ...rest,
      kind: 'built',
      // The publish's map: images converted while publishing have new digests.
      ...(relocationMap && { relocationMap }),
      source: bundle,
      reference: formatReference({ ...dst, tag }),
      changes: [...fixed.changes, ...result.changes],
      warnings: messages,
      ...(destination instanceof DryRunTarget && { dryRun: destination.plan }),
    }
  })
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
