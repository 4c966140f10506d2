import { existsSync } from 'node:fs'
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { BaseCommand } from '../cli/base-command.js'
import {
  publishFlags,
  publishFromFile,
  publishSession,
  renderBundleCopy,
  renderPublish,
  type BundleCopySummary,
  type PublishSummary,
} from '../cli/bundle-publishing.js'
import { createProgress } from '../cli/progress.js'
import { registriesOf, registryFlags, TargetFactory } from '../cli/targets.js'
import { copyBundle } from '../publish/relocate.js'
import { UsageError } from '../errors.js'
import { formatReference, referenceSelector } from '../oci/reference.js'

export default class Push extends BaseCommand<PublishSummary | BundleCopySummary> {
  static override summary = 'publish a bundle to a registry, from bundle.json, a built layout or another registry'
  static override description = `From a bundle.json file: every image is resolved (from --images, then registries) and
copied into the destination repository (mounted when it is in the same registry), then the
bundle is pushed. From a built layout (ocidir://) or another registry: the bundle and all its
images are copied with their bytes unchanged, so the bundle digest and any signature on it stay
valid.

The tag defaults to v<version> ("+" becomes "_"). An existing tag that names another bundle is
not moved without --force. The output gives the bundle digest, the relocation map and the
representation the registry accepted (with every fallback taken).

When \`ocibundle registry check\` has saved a report of the destination registry (in the XDG
cache directory), the representation is chosen from it up front, so the push makes no failed
request. Otherwise each representation is tried in turn, falling back only when the registry
refuses the representation itself (docs/registries.md). --index-format, --config-variant and
--manifest-refs force a choice; --no-fallback fails at the first refusal.`
  static override examples = [
    {
      description: 'Publish a bundle and its images',
      command: '<%= config.bin %> <%= command.id %> bundle.json registry.example.com/acme/shop --auto-update',
    },
    {
      description: 'Publish what `build` wrote, keeping its digest',
      command: '<%= config.bin %> <%= command.id %> ocidir://./shop-oci:v2.3.1 registry.example.com/acme/shop:v2.3.1',
    },
    {
      description: 'Relocate a bundle to another registry',
      command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/shop:v2.3.1 mirror.internal:5000/acme/shop',
    },
  ]
  static override args = {
    source: Args.string({ description: 'bundle.json, ocidir://dir[:tag], or a registry reference of a bundle', required: true }),
    destination: Args.string({ description: 'registry repository, optionally with :tag', required: true }),
  }
  static override flags = {
    concurrency: Flags.integer({ min: 1, max: 64, default: 4, summary: 'blobs transferred at once when copying a bundle' }),
    ...publishFlags,
    ...registryFlags,
  }

  async run(): Promise<PublishSummary | BundleCopySummary> {
    const { args, flags } = await this.parse(Push)
    const dst = TargetFactory.parse(args.destination, { defaultTag: false, allowLayout: false })
    if (dst.kind !== 'registry') throw new UsageError('push publishes to a registry; to write a layout use build')
    const fromFile = !args.source.startsWith('ocidir://') && existsSync(args.source)
    const src = fromFile ? undefined : TargetFactory.parse(args.source)
    const targets = new TargetFactory(flags, registriesOf(dst, ...(src ? [src] : [])))
    const progress = createProgress(!this.jsonEnabled())
    try {
      if (src !== undefined) {
        const selector = referenceSelector(src)
        if (selector === undefined) throw new UsageError(`${args.source} names no tag or digest`)
        // The bytes are copied as they are; of the representation flags only --manifest-refs and --no-fallback apply.
        const session = await publishSession(dst, flags, (m) => this.warning(m))
        const copied = await copyBundle(
          await targets.open(src),
          selector,
          { target: await targets.open(dst, { create: true }), repository: dst },
          dst.tag,
          {
            session,
            force: flags.force,
            concurrency: flags.concurrency,
            ...(src.kind === 'registry' && { sourceRepository: src }),
            onProgress: (p) => progress.update(p.descriptor.digest, p.bytes, p.total),
          },
        )
        progress.finish()
        const summary: BundleCopySummary = {
          source: formatReference(src),
          destination: formatReference({ ...dst, tag: copied.tag }),
          ...copied,
        }
        for (const w of summary.warnings) this.warning(w)
        this.out(renderBundleCopy(summary))
        return summary
      }
      const result = await publishFromFile(args.source, dst, flags, targets, progress, (m) => this.warning(m))
      for (const w of result.warnings) this.warning(w)
      this.out(renderPublish(result, 'Pushed'))
      return result
    } finally {
      progress.finish()
      await targets.close()
    }
  }
}
