import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { referrersModeFlag, referrersOptions } from '../cli/artifact-flags.js'
import { concurrencyFlag } from '../cli/publish-flags.js'
import { BaseCommand } from '../cli/base-command.js'
import { copyProgress } from '../cli/progress.js'
import { registryFlags, registryOptions } from '../cli/registry-flags.js'
import { renderCopy } from '../cli/render-copy.js'
import { copyReference, type CopyReferenceResult } from '../publish/copy-reference.js'

export default class Copy extends BaseCommand<CopyReferenceResult> {
  static override summary = 'copy an image, index or artifact with everything it references'
  static override description = `Copies the whole graph below a manifest or index between any two places: registry to registry, registry to an OCI layout directory and back, layout to layout. Children are copied before their parents, each blob once, in parallel; content already at the destination is skipped, and blobs are mounted instead of uploaded when both sides are repositories of the same registry. Every byte is verified against its digest, and digests are preserved exactly.

When the destination names no tag, the source's tag is used; a source given by digest alone is copied by digest. A local path (an existing directory, ./…, ../…, /…) is an OCI layout directory, never a registry.

With one --platform, the copied root is that platform's manifest (as oras, crane and regctl copy it); with several, a reduced index listing only them is written, which has a new digest.

Signatures, SBOMs and other artifacts that refer to the copied manifests (their referrers) come along, and theirs in turn, unless --no-referrers is given; with several --platform values they are not copied (they refer to the original index).

--dry-run reads both sides and prints the plan (each blob and manifest that would be copied or mounted, the tag, what is there already) without writing anything.`
  static override examples = [
    {
      description: 'Mirror an image into another registry',
      command: '<%= config.bin %> <%= command.id %> docker.io/library/nginx:1.27 registry.example.com/mirror/nginx:1.27',
    },
    {
      description: 'Save an image, with its signatures and SBOMs, into a layout for an air-gapped site',
      command: '<%= config.bin %> <%= command.id %> ghcr.io/acme/app:2.0.0 ./airgap:app-2.0.0',
    },
    {
      description: 'Publish from a layout to a local registry, linux/arm64 only',
      command: '<%= config.bin %> <%= command.id %> --platform linux/arm64 ./out:v1 localhost:5000/acme/app:v1-arm64',
    },
  ]
  static override args = {
    source: Args.string({ description: 'what to copy: registry reference, or OCI layout directory with :tag or @digest', required: true }),
    destination: Args.string({
      description: 'where to: registry reference, or OCI layout directory with an optional :tag',
      required: true,
    }),
  }
  static override flags = {
    ...concurrencyFlag('blobs transferred at once'),
    platform: Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      summary: 'copy only these platforms of a multi-platform image (os/arch[/variant]); repeatable',
      helpValue: 'os/arch',
    }),
    'dry-run': Flags.boolean({ default: false, summary: 'print what would be copied, mounted and tagged; write nothing' }),
    referrers: Flags.boolean({
      allowNo: true,
      summary:
        'copy the signatures, SBOMs and other artifacts that refer to the copied manifests (default: yes, except with several --platform values)',
    }),
    ...referrersModeFlag,
    ...registryFlags,
  }

  async run(): Promise<CopyReferenceResult> {
    const { args, flags } = await this.parse(Copy)
    const result = await copyReference(args.source, args.destination, {
      ...registryOptions(flags),
      concurrency: flags.concurrency,
      ...referrersOptions(flags),
      dryRun: flags['dry-run'],
      ...(flags.platform !== undefined && { platforms: flags.platform }),
      ...copyProgress(this.progressBars()),
    })
    this.out(renderCopy(result))
    return result
  }
}
