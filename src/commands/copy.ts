import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { BaseCommand } from '../cli/base-command.js'
import { createProgress } from '../cli/progress.js'
import { plural } from '../cli/render.js'
import { parsePlatform } from '../cli/platform-arg.js'
import { registriesOf, registryFlags, TargetFactory } from '../cli/targets.js'
import { copy, DEFAULT_COPY_CONCURRENCY, type CopyStats } from '../copy/index.js'
import type { Descriptor } from '../oci/descriptor.js'
import { formatReference, referenceSelector, withSelector, type Reference } from '../oci/reference.js'

export interface CopyCommandResult {
  source: string
  destination: string
  descriptor: Descriptor
  tag?: string
  referrers?: Descriptor[]
  stats: CopyStats
}

export default class Copy extends BaseCommand<CopyCommandResult> {
  static override summary = 'copy an image, index or artifact with everything it references'
  static override description = `Copies the whole graph below a manifest or index between any two places: registry to
registry, registry to an OCI layout directory (ocidir://) and back, layout to layout. Children
are copied before their parents, each blob once, in parallel; content already at the
destination is skipped, and blobs are mounted instead of uploaded when both sides are
repositories of the same registry. Every byte is verified against its digest, and digests are
preserved exactly.

When the destination names no tag, the source's tag is used; a source given by digest alone
is copied by digest.`
  static override examples = [
    {
      description: 'Mirror an image into another registry',
      command: '<%= config.bin %> <%= command.id %> docker.io/library/nginx:1.27 registry.example.com/mirror/nginx:1.27',
    },
    {
      description: 'Save an image, with its signatures and SBOMs, into a layout for an air-gapped site',
      command: '<%= config.bin %> <%= command.id %> --referrers ghcr.io/acme/app:2.0.0 ocidir://./airgap:app-2.0.0',
    },
    {
      description: 'Publish from a layout to a local registry, linux/arm64 only',
      command: '<%= config.bin %> <%= command.id %> --platform linux/arm64 ocidir://./out:v1 localhost:5000/acme/app:v1-arm64',
    },
  ]
  static override args = {
    source: Args.string({ description: 'what to copy: registry reference or ocidir://path[:tag|@digest]', required: true }),
    destination: Args.string({ description: 'where to: registry reference or ocidir://path[:tag]', required: true }),
  }
  static override flags = {
    concurrency: Flags.integer({ min: 1, max: 64, default: DEFAULT_COPY_CONCURRENCY, summary: 'blobs transferred at once' }),
    platform: Flags.string({
      summary: 'copy only this platform of an index (os/arch[/variant]); the copied digest is the platform manifest',
      helpValue: 'os/arch',
    }),
    referrers: Flags.boolean({
      default: false,
      summary: 'also copy signatures, SBOMs and other artifacts that refer to the copied manifests',
    }),
    ...registryFlags,
  }

  async run(): Promise<CopyCommandResult> {
    const { args, flags } = await this.parse(Copy)
    const { ref: src, selector } = TargetFactory.parseSelected(args.source)
    const dst = destinationReference(TargetFactory.parse(args.destination, { defaultTag: false }), src)
    const targets = new TargetFactory(flags, registriesOf(src, dst))
    const progress = createProgress(!this.jsonEnabled())
    try {
      const source = await targets.open(src)
      const destination = await targets.open(dst, { create: true })
      const result = await copy(source, selector, destination, referenceSelector(dst), {
        concurrency: flags.concurrency,
        referrers: flags.referrers,
        ...(flags.platform !== undefined && { platform: parsePlatform(flags.platform) }),
        ...(src.kind === 'registry' &&
          dst.kind === 'registry' &&
          src.registry === dst.registry &&
          src.repository !== dst.repository && { mountFrom: () => [src.repository] }),
        onProgress: (p) => progress.update(p.descriptor.digest, p.bytes, p.total),
        onCopied: (d) => progress.done(d.digest, d.size, 'copied'),
        onCopySkipped: (d) => progress.done(d.digest, d.size, 'skipped'),
        onMounted: (d) => progress.done(d.digest, d.size, 'mounted'),
      })
      progress.finish()
      const s = result.stats
      this.out(
        `Copied ${formatReference(src)} → ${formatReference(dst)}\n` +
          `  digest  ${result.descriptor.digest}\n` +
          `  ${plural(s.nodes, 'node')}: ${s.copied} copied (${formatSize(s.bytesCopied)}), ${s.skipped} already there, ${s.mounted} mounted` +
          (result.referrers ? `\n  ${plural(result.referrers.length, 'referrer')} copied` : ''),
      )
      return {
        source: formatReference(src),
        destination: formatReference(dst),
        descriptor: result.descriptor,
        ...(result.tag !== undefined && { tag: result.tag }),
        ...(result.referrers && { referrers: result.referrers }),
        stats: result.stats,
      }
    } finally {
      progress.finish()
      await targets.close()
    }
  }
}

/** A destination without tag or digest takes the source's tag. */
function destinationReference(dst: Reference, src: Reference): Reference {
  if (dst.tag !== undefined || dst.digest !== undefined || src.tag === undefined) return dst
  return withSelector(dst, { tag: src.tag })
}

function formatSize(n: number): string {
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`
}
