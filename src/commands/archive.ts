import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { compressionFlag } from '../cli/archive-flags.js'
import { bundleReferrersFlags, referrersOptions } from '../cli/artifact-flags.js'
import { BaseCommand } from '../cli/base-command.js'
import { registryFlags, registryOptions } from '../cli/registry-flags.js'
import { renderArchive } from '../cli/render-archive.js'
import { archive, type ArchiveResult } from '../publish/archive-bundle.js'

export default class Archive extends BaseCommand<ArchiveResult> {
  static override summary = 'write a bundle, its images and signatures into one file for an air gap'
  static override description = [
    'Writes the bundle the reference names into a thick bundle archive, the format Porter writes and reads: a gzip tar holding bundle.json exactly as published, relocation-mapping.json, and in artifacts/layout an OCI layout with the bundle index, every image (the platforms the bundle was published with) tagged with its reference as bundle.json writes it, and every referrer of the bundle and its images (signatures, SBOMs; --no-referrers leaves them out).',
    'The same bundle always gives the same archive bytes: entries in a fixed order, modification times 0, owner 0:0, modes 0644 and 0755. Each blob streams from the source through its digest check straight into the archive, so memory does not grow with the bundle; the file is written under a temporary name beside it and renamed into place at the end, so a failure leaves nothing.',
    'Publish the archive on the other side with `ocibundle push <file.tgz> <registry>/<repository>`: the bundle digest and every image digest stay the same, so signatures still verify. Check it first with `ocibundle verify <file.tgz>`.',
  ].join('\n\n')
  static override examples = [
    {
      description: 'Archive a published bundle',
      command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/shop:v2.3.1 shop-2.3.1.tgz',
    },
    {
      description: 'Archive a built layout, compressing harder',
      command: '<%= config.bin %> <%= command.id %> ocidir://./out:v2.3.1 shop-2.3.1.tgz --compression BestCompression',
    },
  ]
  static override args = {
    reference: Args.string({
      description: 'the bundle: registry reference, ocidir://dir[:tag|@digest] or ociarchive://file[:tag|@digest]',
      required: true,
    }),
    file: Args.string({ description: 'the archive to write (.tgz)', required: true }),
  }
  static override flags = {
    ...compressionFlag,
    ...bundleReferrersFlags('also archive the signatures, SBOMs and other artifacts that refer to the bundle or its images'),
    'allow-missing-digest': Flags.boolean({
      default: false,
      summary: 'accept an invocation image without contentDigest (a warning instead of an error)',
    }),
    ...registryFlags,
  }

  async run(): Promise<ArchiveResult> {
    const { args, flags } = await this.parse(Archive)
    const bars = this.progressBars()
    const result = await archive(args.reference, args.file, {
      ...registryOptions(flags),
      ...referrersOptions(flags),
      compression: flags.compression,
      allowMissingDigest: flags['allow-missing-digest'],
      onProgress: (p) => bars.update(p.descriptor.digest, p.bytes, p.total),
      onWarning: (m) => this.warning(m),
    })
    this.out(renderArchive(result))
    return result
  }
}
