/**
 * What `build` and `push` share: the flags that shape a publish, the run from a bundle.json
 * file (fixup of every image into the destination, then the config blob, config manifest and
 * index), and its human output. The commands differ only in where the result may go.
 *
 * The representation is planned from the saved `registry check` report of the destination's
 * registry when there is one (src/compat/report-cache.ts), so that publish makes no failed
 * request; otherwise the fallback tiers find it. The representation flags force a choice and
 * `--no-fallback` stops at the first refusal. The output says what was chosen and why, and
 * every fallback taken.
 */
import * as Flags from '@oclif/core/flags'
import {
  fixupBundle,
  publishBundle,
  PublishSession,
  type CopyBundleResult,
  type FixupChange,
  type PublishAttempt,
  type PublishResult,
} from '../publish/index.js'
import { chainImageSources, layoutImageSource, registryImageSource, type ImageSource } from '../publish/image-source.js'
import { defaultBundleTag } from '../publish/bundle-tags.js'
import { readBundleFile } from '../cnab/load.js'
import type { OciShape } from '../cnab/oci/to-oci.js'
import type { ManifestRefChoice } from '../compat/capabilities.js'
import { loadReport } from '../compat/report-cache.js'
import { InputError, UsageError } from '../errors.js'
import { OciLayoutStore } from '../layout/layout-store.js'
import { formatReference, type Reference } from '../oci/reference.js'
import { parsePlatform } from './platform-arg.js'
import type { ProgressSink } from './progress.js'
import { TargetFactory } from './targets.js'

export const publishFlags = {
  images: Flags.string({
    summary:
      'OCI layout holding the images, tagged with the references bundle.json uses (thick-bundle convention); looked up before any registry',
    helpValue: 'ocidir://dir',
  }),
  'auto-update': Flags.boolean({
    default: false,
    summary: "write each image's resolved contentDigest, size and mediaType into the published bundle (your file is not changed)",
  }),
  platform: Flags.string({
    multiple: true,
    summary: 'keep only these platforms of multi-platform images (os/arch[/variant]); repeatable',
    helpValue: 'os/arch',
  }),
  shape: Flags.option({
    options: ['portable', 'cnab-to-oci'] as const,
    summary: 'config manifest shape to prefer: portable (the default, and the fallback) or byte-identical to cnab-to-oci',
  })(),
  force: Flags.boolean({ default: false, summary: 'move the tag even if it names another bundle' }),
  fallback: Flags.boolean({
    default: true,
    allowNo: true,
    summary: 'try the next representation when the registry refuses one (--no-fallback: fail instead)',
  }),
  'index-format': Flags.option({
    options: ['oci-index', 'docker-manifest-list', 'no-index'] as const,
    summary: 'force the index format (no-index: the tag names the config manifest; only ocibundle reads it back)',
  })(),
  'config-variant': Flags.option({
    options: ['cnab-config', 'oci-image-config', 'docker-config'] as const,
    summary: 'force the config manifest variant',
  })(),
  'manifest-refs': Flags.option({
    options: ['digest', 'deterministic-tag'] as const,
    summary: 'force how the manifests the bundle points at are pushed: by digest, or also under ocibundle-<alg>-<hex> tags',
  })(),
}

export interface PublishFlagValues {
  images?: string
  'auto-update': boolean
  platform?: string[]
  shape?: OciShape
  force: boolean
  fallback: boolean
  'index-format'?: 'oci-index' | 'docker-manifest-list' | 'no-index'
  'config-variant'?: 'cnab-config' | 'oci-image-config' | 'docker-config'
  'manifest-refs'?: ManifestRefChoice
}

/**
 * The session of a publish to `dst` (a registry or a layout): planned from the saved report of
 * the registry when there is one, with the flags' forced choices. `warn` hears about ignored
 * report files.
 */
export async function publishSession(
  dst: Reference,
  flags: Omit<PublishFlagValues, 'images' | 'auto-update' | 'platform' | 'force'>,
  warn: (message: string) => void,
): Promise<PublishSession> {
  const host = dst.kind === 'registry' ? dst.registry : undefined
  const report = host !== undefined ? await loadReport(host, { warn }) : undefined
  return new PublishSession({
    ...(host !== undefined && { host }),
    ...(report !== undefined && { report }),
    ...(flags.shape !== undefined && { shape: flags.shape }),
    allowFallback: flags.fallback,
    force: {
      ...(flags['index-format'] !== undefined && { index: flags['index-format'] }),
      ...(flags['config-variant'] !== undefined && { config: flags['config-variant'] }),
      ...(flags['manifest-refs'] !== undefined && { manifestRefs: flags['manifest-refs'] }),
    },
  })
}

export interface PublishSummary extends Omit<PublishResult, 'warnings'> {
  source: string
  destination: string
  changes: FixupChange[]
  warnings: string[]
}

/**
 * Publishes a bundle.json file to `dst`: resolves and copies every image (from --images, then
 * registries), checks or updates the image fields, then pushes the bundle, fixup and publish
 * sharing one PublishSession. The destination tag defaults to `v<version>`.
 */
export async function publishFromFile(
  file: string,
  dst: Reference,
  flags: PublishFlagValues,
  targets: TargetFactory,
  progress: ProgressSink,
  warn: (message: string) => void,
): Promise<PublishSummary> {
  const loaded = await readBundleFile(file)
  const fatal = loaded.issues.filter((i) => i.severity === 'error')
  if (loaded.value === undefined || fatal.length > 0) {
    throw new InputError(`${file} is not usable JSON: ${fatal.map((i) => `${i.pointer || '/'}: ${i.message}`).join('; ')}`, {
      suggestions: [`see every problem with: ocibundle validate ${file}`],
    })
  }
  const session = await publishSession(dst, flags, warn)
  const target = session.wrap(await targets.open(dst, { create: true }))
  const repository = dst.kind === 'registry' ? { registry: dst.registry, repository: dst.repository } : undefined
  const source = await imageSource(flags.images, targets)
  const fixed = await fixupBundle(
    loaded.value,
    { target, ...(repository && { repository }) },
    {
      source,
      autoUpdate: flags['auto-update'],
      session,
      ...(flags.platform && { platforms: flags.platform.map(parsePlatform) }),
      onProgress: (_image, p) => progress.update(p.descriptor.digest, p.bytes, p.total),
    },
  )
  const version = (fixed.bundle as { version?: unknown }).version
  const tag = dst.tag ?? (typeof version === 'string' ? defaultBundleTag(version) : undefined)
  if (tag === undefined) throw new UsageError(`${formatReference(dst)} names no tag and the bundle has no version to derive one from`)
  if (dst.digest !== undefined) throw new UsageError('a bundle is published under a tag, not a digest; drop the @digest')
  const result = await publishBundle(
    fixed.bundle,
    { target, reference: tag, ...(repository && { repository }) },
    { session, force: flags.force },
  )
  progress.finish()
  const { warnings, ...rest } = result
  return {
    ...rest,
    // The publish's map: images converted while publishing have new digests.
    ...((result.relocationMap ?? fixed.relocationMap) && { relocationMap: result.relocationMap ?? fixed.relocationMap }),
    source: file,
    destination: formatReference({ ...dst, tag }),
    changes: [...fixed.changes, ...result.changes],
    warnings: warnings.map((w) => `${w.pointer || '/'}: ${w.message}`),
  }
}

async function imageSource(images: string | undefined, targets: TargetFactory): Promise<ImageSource> {
  const registries = registryImageSource(await targets.registryClient())
  if (images === undefined) return registries
  const ref = images.startsWith('ocidir://') ? TargetFactory.parse(images, { defaultTag: false }) : undefined
  if (ref?.kind !== 'layout') {
    throw new UsageError(`--images takes an OCI layout directory written as ocidir://<dir>, not "${images}"`, {
      suggestions: [`if ${images} is a layout directory: --images ocidir://${images}`],
    })
  }
  return chainImageSources(layoutImageSource(await OciLayoutStore.open(ref.path)), registries)
}

/** A bundle copied as it is (from a layout or another registry): same bytes, same digest. */
export interface BundleCopySummary extends CopyBundleResult {
  source: string
  destination: string
}

export function renderBundleCopy(s: BundleCopySummary): string {
  const lines = [
    `Pushed ${s.source} → ${s.destination}${s.unchanged ? ' (already there)' : ''}`,
    `  bundle digest   ${s.digest} (unchanged: index and config bytes copied as they are)`,
    `  copied          ${s.stats.copied} of ${s.stats.nodes} objects (${s.stats.skipped} already there, ${s.stats.mounted} mounted)`,
  ]
  if (s.relocationMap) for (const [from, to] of Object.entries(s.relocationMap)) lines.push(`  relocated       ${from} → ${to}`)
  return lines.join('\n')
}

/**
 * Human lines for a publish: digest, where, the representation and why it was chosen (the saved
 * report and its reasons), every fallback taken and every choice skipped, changes to the
 * bundle (conversions with their reason), and the relocation map.
 */
export function renderPublish(s: PublishSummary, verb: string): string {
  const lines = [
    `${verb} ${s.source} → ${s.destination}${s.unchanged ? ' (already there, nothing pushed)' : ''}`,
    `  bundle digest   ${s.digest}`,
    `  representation  ${s.representation.index} + ${s.representation.config} (${s.representation.shape}), manifests by ${s.manifestRefs === 'digest' ? 'digest' : 'digest and under ocibundle-<alg>-<hex> tags'}`,
    `  chosen          ${chosen(s)}`,
  ]
  for (const r of s.plan.reasons) lines.push(`                  ${r}`)
  for (const a of s.attempts) {
    if (a.error !== undefined && a.classification?.fallback === true) lines.push(`  fallback        ${attemptName(a)} refused: ${a.error}`)
    else if (a.error !== undefined) lines.push(`  failed          ${attemptName(a)}: ${a.error}`)
    else if (a.skipped !== undefined) lines.push(`  skipped         ${attemptName(a)}: ${a.skipped}`)
  }
  for (const c of s.changes.filter((x) => x.reason === undefined))
    lines.push(`  updated         ${c.image} ${c.field}: ${c.from ?? '(none)'} → ${c.to}`)
  // A conversion changes digest, size and media type at once: one line per image, with why.
  for (const c of s.changes.filter((x) => x.reason !== undefined && x.field === 'contentDigest'))
    lines.push(`  converted       ${c.image} ${c.from ?? '(none)'} → ${c.to}: ${c.reason}`)
  if (s.relocationMap) for (const [from, to] of Object.entries(s.relocationMap)) lines.push(`  relocated       ${from} → ${to}`)
  return lines.join('\n')
}

function chosen(s: PublishSummary): string {
  if (s.plan.source === 'report') return `up front, from the saved \`registry check\` report (probed ${s.plan.probedAt ?? 'earlier'})`
  if (s.plan.source === 'plan') return 'up front, from the given plan'
  return s.attempts.some((a) => a.error !== undefined)
    ? 'by trying each representation in turn (no saved `registry check` report)'
    : 'first choice of every tier (no saved `registry check` report)'
}

function attemptName(a: PublishAttempt): string {
  return `${a.step} ${a.id}${a.image !== undefined ? ` of ${a.image}` : ''}`
}
