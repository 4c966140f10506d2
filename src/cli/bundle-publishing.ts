/**
 * What `build` and `push` share: the flags that shape a publish, and the run from a bundle.json
 * file (fixup of every image into the destination, then the config blob, config manifest and
 * index). The commands differ only in where the result may go and in how they render it.
 */
import { Flags } from '@oclif/core'
import { fixupBundle, publishBundle, type CopyBundleResult, type FixupChange, type PublishResult } from '../cnab/publish/index.js'
import { chainImageSources, layoutImageSource, registryImageSource, type ImageSource } from '../cnab/publish/image-source.js'
import { defaultBundleTag } from '../cnab/publish/tags.js'
import { readBundleFile } from '../cnab/load.js'
import { DEFAULT_SHAPE, type OciShape } from '../cnab/oci/to-oci.js'
import type { Target } from '../content/storage.js'
import { InputError, UsageError } from '../errors.js'
import { OciLayoutStore } from '../layout/layout-store.js'
import { formatReference, type Reference } from '../oci/reference.js'
import { parsePlatform } from './platform-arg.js'
import type { ProgressSink } from './progress.js'
import { TargetFactory } from './targets.js'

export const publishFlags = {
  images: Flags.string({
    summary: 'OCI layout holding the images, tagged with the references bundle.json uses (thick-bundle convention); looked up before any registry',
    helpValue: 'ocidir://dir',
  }),
  'auto-update': Flags.boolean({ default: false, summary: "write each image's resolved contentDigest, size and mediaType into the published bundle (your file is not changed)" }),
  platform: Flags.string({ multiple: true, summary: 'keep only these platforms of multi-platform images (os/arch[/variant]); repeatable', helpValue: 'os/arch' }),
  shape: Flags.option({ options: ['portable', 'cnab-to-oci'] as const, default: DEFAULT_SHAPE, summary: 'config manifest shape: portable (default) or byte-identical to cnab-to-oci' })(),
  force: Flags.boolean({ default: false, summary: 'move the tag even if it names another bundle' }),
  fallback: Flags.boolean({ default: true, allowNo: true, summary: 'try the next representation when the registry refuses one (--no-fallback: fail instead)' }),
  'index-format': Flags.option({ options: ['oci-index', 'docker-manifest-list'] as const, summary: 'force the index format instead of trying OCI index first' })(),
  'config-variant': Flags.option({ options: ['cnab-config', 'oci-image-config', 'docker-config'] as const, summary: 'force the config manifest variant' })(),
}

export interface PublishFlagValues {
  images?: string
  'auto-update': boolean
  platform?: string[]
  shape: OciShape
  force: boolean
  fallback: boolean
  'index-format'?: 'oci-index' | 'docker-manifest-list'
  'config-variant'?: 'cnab-config' | 'oci-image-config' | 'docker-config'
}

export interface PublishSummary extends Omit<PublishResult, 'warnings'> {
  source: string
  destination: string
  changes: FixupChange[]
  warnings: string[]
}

/**
 * Publishes a bundle.json file to `dst`: resolves and copies every image (from --images, then
 * registries), checks or updates the image fields, then pushes the bundle. The destination tag
 * defaults to `v<version>`.
 */
export async function publishFromFile(
  file: string,
  dst: Reference,
  flags: PublishFlagValues,
  targets: TargetFactory,
  progress: ProgressSink,
): Promise<PublishSummary> {
  const loaded = await readBundleFile(file)
  const fatal = loaded.issues.filter((i) => i.severity === 'error')
  if (loaded.value === undefined || fatal.length > 0) {
    throw new InputError(`${file} is not usable JSON: ${fatal.map((i) => `${i.pointer || '/'}: ${i.message}`).join('; ')}`, {
      suggestions: [`see every problem with: ocibundle validate ${file}`],
    })
  }
  const target: Target = await targets.open(dst, { create: true })
  const repository = dst.kind === 'registry' ? { registry: dst.registry, repository: dst.repository } : undefined
  const source = await imageSource(flags.images, targets)
  const fixed = await fixupBundle(loaded.value, { target, ...(repository && { repository }) }, {
    source,
    autoUpdate: flags['auto-update'],
    ...(flags.platform && { platforms: flags.platform.map(parsePlatform) }),
    onProgress: (_image, p) => progress.update(p.descriptor.digest, p.bytes, p.total),
  })
  const version = (fixed.bundle as { version?: unknown }).version
  const tag = dst.tag ?? (typeof version === 'string' ? defaultBundleTag(version) : undefined)
  if (tag === undefined) throw new UsageError(`${formatReference(dst)} names no tag and the bundle has no version to derive one from`)
  if (dst.digest !== undefined) throw new UsageError('a bundle is published under a tag, not a digest; drop the @digest')
  const result = await publishBundle(fixed.bundle, { target, reference: tag, ...(repository && { repository }) }, {
    shape: flags.shape,
    force: flags.force,
    allowFallback: flags.fallback,
    ...(flags['index-format'] && { indexFormat: flags['index-format'] }),
    ...(flags['config-variant'] && { configVariant: flags['config-variant'] }),
  })
  progress.finish()
  const { warnings, ...rest } = result
  return {
    ...rest,
    ...((fixed.relocationMap ?? result.relocationMap) && { relocationMap: fixed.relocationMap ?? result.relocationMap }),
    source: file,
    destination: formatReference({ ...dst, tag }),
    changes: fixed.changes,
    warnings: warnings.map((w) => `${w.pointer || '/'}: ${w.message}`),
  }
}

async function imageSource(images: string | undefined, targets: TargetFactory): Promise<ImageSource> {
  const registries = registryImageSource(await targets.registryClient())
  if (images === undefined) return registries
  const ref = TargetFactory.parse(images, { defaultTag: false })
  if (ref.kind !== 'layout') throw new UsageError(`--images takes an OCI layout (ocidir://dir), not ${images}`)
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

/** Human lines for a publish: digest, where, representation, fallbacks, changes. */
export function renderPublish(s: PublishSummary, verb: string): string {
  const lines = [
    `${verb} ${s.source} → ${s.destination}${s.unchanged ? ' (already there, nothing pushed)' : ''}`,
    `  bundle digest   ${s.digest}`,
    `  representation  ${s.representation.index} + ${s.representation.config} (${s.representation.shape})`,
  ]
  for (const a of s.attempts.filter((x) => x.error !== undefined)) lines.push(`  fallback        ${a.step} ${a.id} refused: ${a.error}`)
  for (const c of s.changes) lines.push(`  updated         ${c.image} ${c.field}: ${c.from ?? '(none)'} → ${c.to}`)
  if (s.relocationMap) for (const [from, to] of Object.entries(s.relocationMap)) lines.push(`  relocated       ${from} → ${to}`)
  return lines.join('\n')
}
