import * as Args from '@oclif/core/args'
import { archiveReadOptions, maxExpansionFlag } from '../cli/archive-flags.js'
import { bundleReferrersFlags, referrersOptions } from '../cli/artifact-flags.js'
import { BaseCommand } from '../cli/base-command.js'
import { exitCodeForVerify } from '../cli/exit-codes.js'
import { registryFlags, registryOptions } from '../cli/registry-flags.js'
import { renderVerify } from '../cli/render-archive.js'
import { verify, type VerifyResult } from '../publish/verify-bundle.js'

export default class Verify extends BaseCommand<VerifyResult> {
  static override summary = 'check that a bundle (registry, layout or archive) is complete and intact'
  static override description = [
    'Walks the bundle (in a registry, an OCI layout, an ociarchive:// file or a .tgz archive) and reads everything it leads to: the bundle index, the config manifest and bundle.json, every image manifest, config and layer, and the referrers listed for the bundle and its images (signatures, SBOMs; --no-referrers skips them). Each is checked against the digest and size of the descriptor that names it, and every image of bundle.json must be there with its contentDigest. In a .tgz archive every entry of its layout is checked too.',
    'Something missing and something present but wrong are told apart: the bundle is incomplete (exit 8: copy it again) or corrupt (exit 9: damaged or tampered with; do not install it); corrupt wins when both are found. Every problem is listed with the digest, where it was expected (the path from the bundle to it) and what is wrong, in --json under result.missing and result.corrupt. A complete bundle exits 0.',
  ].join('\n\n')
  static override examples = [
    { description: 'Check an archive after carrying it across the gap', command: '<%= config.bin %> <%= command.id %> shop-2.3.1.tgz' },
    {
      description: 'Check a mirror, as JSON',
      command: '<%= config.bin %> <%= command.id %> --json registry.internal:5000/acme/shop:v2.3.1',
    },
  ]
  static override args = {
    target: Args.string({
      description:
        'the bundle: registry reference, ocidir://dir[:tag|@digest], ociarchive://file[:tag|@digest], or a .tgz/.tar archive file',
      required: true,
    }),
  }
  static override flags = {
    ...bundleReferrersFlags('also check the signatures, SBOMs and other artifacts that refer to the bundle or its images'),
    ...maxExpansionFlag,
    ...registryFlags,
  }

  async run(): Promise<VerifyResult> {
    const { args, flags } = await this.parse(Verify)
    const bars = this.progressBars()
    const result = await verify(args.target, {
      ...registryOptions(flags),
      ...referrersOptions(flags),
      ...archiveReadOptions(flags),
      onProgress: (p) => bars.update(p.descriptor.digest, p.bytes, p.total),
    })
    for (const w of result.warnings) this.warning(w)
    this.out(renderVerify(result))
    this.setExitCode(exitCodeForVerify(result.status))
    return result
  }
}
