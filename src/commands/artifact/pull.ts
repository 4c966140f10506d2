import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { BaseCommand } from '../../cli/base-command.js'
import { registryFlags, registryOptions } from '../../cli/registry-flags.js'
import { renderPulled } from '../../cli/render-artifacts.js'
import { pullArtifact, type ArtifactPulled } from '../../publish/pull-artifact.js'

export default class ArtifactPull extends BaseCommand<ArtifactPulled> {
  static override summary = 'pull the files of an OCI artifact into a directory, every layer verified'
  static override description =
    'Writes each layer under its title (org.opencontainers.image.title) in --output, after checking its digest and size; a directory layer (io.deis.oras.content.unpack, as written by `artifact push` and oras) is unpacked there. Layers without a title are skipped with a warning.\n\nTitles and archive entries come from the registry, so they are checked before anything is written: a title that is absolute, contains "..", repeats another or would be written through a symbolic link is refused, and so is a directory layer with an entry or link that leads out. Existing files are not replaced without --force. Every file and directory appears whole or not at all.'
  static override examples = [
    {
      description: 'Pull an artifact into ./out',
      command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/charts/shop:2.3.1 --output ./out',
    },
    {
      description: 'Pull again over what is there',
      command: '<%= config.bin %> <%= command.id %> ocidir://./policies:v1 -o ./policies-copy --force',
    },
  ]
  static override args = {
    reference: Args.string({ description: 'the artifact: registry reference or ocidir://dir[:tag|@digest]', required: true }),
  }
  static override flags = {
    output: Flags.string({ char: 'o', required: true, summary: 'directory to write the files into', helpValue: 'dir' }),
    force: Flags.boolean({ default: false, summary: 'replace files and directories that exist' }),
    ...registryFlags,
  }

  async run(): Promise<ArtifactPulled> {
    const { args, flags } = await this.parse(ArtifactPull)
    const pulled = await pullArtifact(args.reference, flags.output, {
      ...registryOptions(flags),
      force: flags.force,
      onWarning: (m) => this.warning(m),
    })
    this.out(renderPulled(pulled))
    return pulled
  }
}
