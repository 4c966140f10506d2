import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { referrersModeFlag, referrersOptions } from '../cli/artifact-flags.js'
import { BaseCommand } from '../cli/base-command.js'
import { registryFlags, registryOptions } from '../cli/registry-flags.js'
import { renderTree } from '../cli/render-artifacts.js'
import { listReferrers, type ReferrerTree } from '../publish/referrer-tree.js'

export default class Discover extends BaseCommand<ReferrerTree> {
  static override summary = 'list the referrers (signatures, SBOMs) of an image, bundle or artifact'
  static override description =
    'Shows the referrers of what the reference names, and their referrers in turn, as a tree (--json: result.referrers[] with digest, mediaType, artifactType, size, annotations and nested referrers). Registries answer through the referrers API, or else through the sha256-<hex> tag index, whose entries count only when their manifest really names the subject (a registry that answers that tag with the subject itself, as GitLab does, lists nothing). OCI layouts answer from their own content.'
  static override examples = [
    {
      description: 'Everything attached to a bundle',
      command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/shop:v2.3.1',
    },
    {
      description: 'Only the SBOMs, one level, as JSON',
      command: '<%= config.bin %> <%= command.id %> --json --artifact-type application/spdx+json --depth 1 ocidir://./airgap:shop',
    },
  ]
  static override args = {
    reference: Args.string({ description: 'the subject: registry reference or ocidir://dir[:tag|@digest]', required: true }),
  }
  static override flags = {
    'artifact-type': Flags.string({ summary: 'only referrers of this artifact type (first level)', helpValue: 'type' }),
    depth: Flags.integer({ min: 1, summary: 'levels to list (default: all)' }),
    ...referrersModeFlag,
    ...registryFlags,
  }

  async run(): Promise<ReferrerTree> {
    const { args, flags } = await this.parse(Discover)
    const tree = await listReferrers(args.reference, {
      ...registryOptions(flags),
      ...referrersOptions(flags),
      ...(flags['artifact-type'] !== undefined && { artifactType: flags['artifact-type'] }),
      ...(flags.depth !== undefined && { depth: flags.depth }),
    })
    this.out(renderTree(tree))
    return tree
  }
}
