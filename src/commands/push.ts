import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { maxExpansionFlag, archiveReadOptions } from '../cli/archive-flags.js'
import { bundleReferrersFlags, referrersOptions } from '../cli/artifact-flags.js'
import { BaseCommand } from '../cli/base-command.js'
import { concurrencyFlag, publishFlags, publishOptions } from '../cli/publish-flags.js'
import { registryFlags } from '../cli/registry-flags.js'
import { exitCodeFor } from '../cli/exit-codes.js'
import { pushOutput, type PublishManyJson } from '../cli/render-publish.js'
import { publishToMany } from '../publish/publish-many.js'
import type { PublishOutcome } from '../publish/publish.js'

export default class Push extends BaseCommand<PublishOutcome | PublishManyJson> {
  static override summary = 'publish a bundle from bundle.json, a layout, an archive or another registry'
  static override description = `From a bundle.json file: the bundle is validated as for publishing (before any request), every image is resolved (from --images, then registries) and copied into the destination repository (mounted when it is in the same registry), then the bundle is pushed. From a built layout directory or another registry: the bundle and all its images are copied with their bytes unchanged, so the bundle digest and any signature on it stay valid. Where the registry refuses that representation (or a saved report says it will, or --index-format, --config-variant or --shape ask for another), the bundle is re-fitted: rebuilt from its own bytes, bundle.json unchanged, in a representation the registry takes; the output gives the old and new digests and why. A local path (an existing file or directory, ./…, ../…, /…, *.json, *.tgz, *.tar) is never looked up in a registry. Signatures, SBOMs and other artifacts that refer to the bundle or its images come along when a bundle is copied, unless --no-referrers is given.

From a thick bundle archive (.tgz, as \`ocibundle archive\` or \`porter archive\` writes it): the bundle index, every image and every referrer in it are pushed with their digests unchanged, so signatures still verify. Where the registry refuses the bundle index as archived, and from an archive without one (Porter's), bundle.json is published with the archive's images instead, and the output says which digests changed and why. A .tgz archive is expanded into the system's temporary directory while it is read (bounded by --max-expansion) and removed afterwards.

The tag defaults to v<version> ("+" becomes "_"). An existing tag that names another bundle is not moved without --force. The output gives the bundle digest, the relocation map and the representation the registry accepted (with every fallback taken).

When \`ocibundle registry check\` has saved a report of the destination registry (in the XDG cache directory), the representation is chosen from it up front, so the push makes no failed request. Otherwise each representation is tried in turn, falling back only when the registry refuses the representation itself (docs/registries.md). --index-format, --config-variant and --manifest-refs force a choice, for every source; --no-fallback fails at the first refusal, and for a published bundle names the representation it has and the one the registry takes.

--dry-run reads what the destination has and decides everything a push decides, then prints the plan (each blob and manifest that would be pushed or mounted, each tag, what is there already, the representation) and writes nothing. Without a saved report the representation shown is the first choice.`
  static override examples = [
    {
      description: 'Publish a bundle and its images',
      command: '<%= config.bin %> <%= command.id %> bundle.json registry.example.com/acme/shop --auto-update',
    },
    {
      description: 'Publish what `build` wrote, keeping its digest',
      command: '<%= config.bin %> <%= command.id %> ./shop-oci:v2.3.1 registry.example.com/acme/shop:v2.3.1',
    },
    {
      description: 'See what a push would send, without sending anything',
      command: '<%= config.bin %> <%= command.id %> --dry-run bundle.json registry.example.com/acme/shop --auto-update',
    },
    {
      description: 'Publish an archive carried into an air gap, digests unchanged',
      command: '<%= config.bin %> <%= command.id %> shop-2.3.1.tgz registry.internal:5000/acme/shop',
    },
    {
      description: 'Relocate a bundle to another registry',
      command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/shop:v2.3.1 mirror.internal:5000/acme/shop',
    },
  ]
  static override strict = false
  static override args = {
    source: Args.string({
      description:
        'bundle.json, a .tgz archive, a built OCI layout directory with :tag, ociarchive://file[:tag], or a registry reference of a bundle',
      required: true,
    }),
    destination: Args.string({
      description: 'registry repository (optionally with :tag) or layout; give several to publish to each, in parallel',
      required: true,
    }),
  }
  static override flags = {
    ...concurrencyFlag('blobs transferred at once when copying a bundle'),
    'dry-run': Flags.boolean({
      default: false,
      summary: 'print what would be pushed, mounted and tagged, and in which representation; write nothing',
    }),
    ...bundleReferrersFlags('when copying a bundle, also copy the signatures, SBOMs and other artifacts that refer to it or its images'),
    ...maxExpansionFlag,
    ...publishFlags,
    ...registryFlags,
  }

  async run(): Promise<PublishOutcome | PublishManyJson> {
    const { args, argv, flags } = await this.parse(Push)
    const destinations = (argv as string[]).slice(1)
    const bars = this.progressBars(destinations.length === 1)
    const result = await publishToMany(args.source, destinations, {
      ...publishOptions(flags),
      ...referrersOptions(flags),
      ...archiveReadOptions(flags),
      dryRun: flags['dry-run'],
      onProgress: (p) => bars.update(p.descriptor.digest, p.bytes, p.total),
      onWarning: (m) => this.warning(m),
    })
    const output = pushOutput(result, destinations.length === 1)
    this.out(output.text)
    if (output.failed !== undefined) this.setExitCode(exitCodeFor(output.failed))
    return output.json
  }
}
