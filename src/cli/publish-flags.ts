/**
 * The flags that shape a publish (`build` and `push`), and the one mapping from them to the
 * library's publish options.
 */
import * as Flags from '@oclif/core/flags'
import { DEFAULT_COPY_CONCURRENCY } from '../copy/copy-session.js'
import type { PublishCallOptions } from '../publish/publish.js'
import { registryOptions, type RegistryFlagValues } from './registry-flags.js'

/** `--concurrency`, for the commands that copy blobs (`summary` says when they do). */
export function concurrencyFlag(summary: string) {
  return { concurrency: Flags.integer({ min: 1, max: 64, default: DEFAULT_COPY_CONCURRENCY, summary }) }
}

export const publishFlags = {
  images: Flags.string({
    summary:
      'OCI layout directory holding the images, tagged with the references bundle.json uses (thick-bundle convention); looked up before any registry',
    helpValue: 'dir',
  }),
  'auto-update': Flags.boolean({
    default: false,
    summary: "write each image's resolved contentDigest, size and mediaType into the published bundle (your file is not changed)",
  }),
  platform: Flags.string({
    multiple: true,
    multipleNonGreedy: true,
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

export interface PublishFlagValues extends RegistryFlagValues {
  images?: string
  'auto-update': boolean
  platform?: string[]
  shape?: PublishCallOptions['shape']
  force: boolean
  fallback: boolean
  'index-format'?: PublishCallOptions['indexFormat']
  'config-variant'?: PublishCallOptions['configVariant']
  'manifest-refs'?: PublishCallOptions['manifestRefs']
  concurrency?: number
}

/** The library options the publish and transport flags stand for. */
export function publishOptions(flags: PublishFlagValues): PublishCallOptions {
  return {
    ...registryOptions(flags),
    ...(flags.images !== undefined && { images: flags.images }),
    autoUpdate: flags['auto-update'],
    ...(flags.platform !== undefined && { platforms: flags.platform }),
    ...(flags.shape !== undefined && { shape: flags.shape }),
    force: flags.force,
    allowFallback: flags.fallback,
    ...(flags['index-format'] !== undefined && { indexFormat: flags['index-format'] }),
    ...(flags['config-variant'] !== undefined && { configVariant: flags['config-variant'] }),
    ...(flags['manifest-refs'] !== undefined && { manifestRefs: flags['manifest-refs'] }),
    ...(flags.concurrency !== undefined && { concurrency: flags.concurrency }),
  }
}
