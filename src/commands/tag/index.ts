import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { BaseCommand } from '../../cli/base-command.js'
import { registryFlags, registryOptions } from '../../cli/registry-flags.js'
import { tagReference, type TagReferenceResult } from '../../publish/manage-tags.js'

export default class Tag extends BaseCommand<TagReferenceResult> {
  static override summary = 'add tags to a published manifest or index, without uploading anything'
  static override description = `Resolves the reference and writes each new tag in the same repository or layout: a registry receives the manifest's own bytes under the new tag (no blob is uploaded, the digest stays), a layout a new entry in index.json. Every tag is checked before any is written; a tag that already names other content is left alone unless --force is given. To copy content to another repository or registry, use ocibundle copy.`
  static override examples = [
    {
      description: 'Mark a published bundle as the stable release',
      command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/shop:v2.3.1 stable v2',
    },
    {
      description: 'Move an existing tag onto another digest',
      command: '<%= config.bin %> <%= command.id %> --force registry.example.com/acme/shop@sha256:4c1e…9a0b latest',
    },
  ]
  static override strict = false
  static override args = {
    reference: Args.string({
      description: 'what to tag: registry reference, or OCI layout directory with :tag or @digest',
      required: true,
    }),
    tag: Args.string({ description: 'new tag(s), in the same repository or layout', required: true }),
  }
  static override flags = {
    force: Flags.boolean({ default: false, summary: 'move a tag that names other content' }),
    ...registryFlags,
  }

  async run(): Promise<TagReferenceResult> {
    const { args, argv, flags } = await this.parse(Tag)
    const result = await tagReference(args.reference, (argv as string[]).slice(1), { ...registryOptions(flags), force: flags.force })
    for (const t of result.tags) {
      if (t.outcome === 'created') this.out(`Tagged ${t.reference} → ${result.descriptor.digest}`)
      if (t.outcome === 'moved') this.out(`Moved ${t.reference} → ${result.descriptor.digest} (was ${t.previous})`)
    }
    const unchanged = result.tags.filter((t) => t.outcome === 'unchanged').map((t) => t.tag)
    if (unchanged.length > 0) this.out(`Already there: ${unchanged.join(', ')}`)
    return result
  }
}
