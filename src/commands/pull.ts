import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { bundleReferrersFlags, referrersOptions } from '../cli/artifact-flags.js'
import { BaseCommand } from '../cli/base-command.js'
import { registryFlags, registryOptions } from '../cli/registry-flags.js'
import { pull, type PullOutcome } from '../publish/pull.js'

export default class Pull extends BaseCommand<PullOutcome> {
  static override summary = 'pull a bundle for an installer: bundle.json, relocation map and its images'
  static override description = `Reads a bundle from a registry or an OCI layout directory — an OCI index or a Docker manifest list, in the current or legacy cnab-to-oci forms, whatever the config media type, or ocibundle's form without index — verifies every digest and size, and checks that the invocation image is the one bundle.json pins. Where a registry does not serve manifests by digest, they are read by the ocibundle-<alg>-<hex> tags a publish put them under, and verified all the same.

Writes into --output: bundle.json, byte-identical to the published config blob (so signatures over it verify), and relocation-mapping.json (CNAB 103: original image → where it is now; bundles read from a layout have none). With --with-images, every image is also written into <output>/artifacts/layout, an OCI layout whose tags are the image references bundle.json uses: the thick-bundle layout installers and air-gapped sites read.`
  static override examples = [
    {
      description: 'Get a bundle ready for an installer',
      command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/shop:v2.3.1 --output ./shop',
    },
    {
      description: 'Take a bundle and all its images to an air-gapped site',
      command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/shop:v2.3.1 --output ./shop --with-images',
    },
  ]
  static override args = {
    reference: Args.string({ description: 'bundle: registry reference, or OCI layout directory with :tag or @digest', required: true }),
  }
  static override flags = {
    output: Flags.string({
      char: 'o',
      required: true,
      summary: 'directory to write bundle.json and relocation-mapping.json into',
      helpValue: 'dir',
    }),
    'with-images': Flags.boolean({ default: false, summary: 'also write every image into <output>/artifacts/layout' }),
    ...bundleReferrersFlags(
      'with --with-images, also write the signatures, SBOMs and other artifacts that refer to the bundle or its images',
    ),
    'allow-missing-digest': Flags.boolean({
      default: false,
      summary: 'accept an invocation image without contentDigest (a warning instead of an error)',
    }),
    ...registryFlags,
  }

  async run(): Promise<PullOutcome> {
    const { args, flags } = await this.parse(Pull)
    const bars = this.progressBars(flags['with-images'])
    const pulled = await pull(args.reference, flags.output, {
      ...registryOptions(flags),
      ...referrersOptions(flags),
      withImages: flags['with-images'],
      allowMissingDigest: flags['allow-missing-digest'],
      onProgress: (p) => bars.update(p.descriptor.digest, p.bytes, p.total),
      onWarning: (m) => this.warning(m),
    })
    this.out(
      [
        `Pulled ${pulled.source} (${pulled.digest}), every digest verified`,
        `  stored as ${pulled.representation.index}, config ${pulled.representation.config}`,
        `  ${pulled.bundle} (${pulled.bundleSize} bytes, as published)`,
        ...(pulled.relocationMapping ? [`  ${pulled.relocationMapping}`] : []),
        ...(pulled.images
          ? [`  ${pulled.images.layout} (${Object.keys(pulled.images.manifests).length} images, tagged by their bundle references)`]
          : []),
        ...(pulled.images?.referrers ? [`  ${pulled.images.referrers.length} referrers came along (signatures, SBOMs)`] : []),
      ].join('\n'),
    )
    return pulled
  }
}
