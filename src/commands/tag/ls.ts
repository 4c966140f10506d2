import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { BaseCommand } from '../../cli/base-command.js'
import { registriesOf, registryFlags, TargetFactory } from '../../cli/targets.js'
import { canListTags } from '../../content/storage.js'
import { UnsupportedError, UsageError } from '../../errors.js'
import { formatReference } from '../../oci/reference.js'

export interface TagListResult {
  repository: string
  tags: string[]
}

export default class TagLs extends BaseCommand<TagListResult> {
  static override summary = 'list the tags of a repository or OCI layout'
  static override description = `Lists every tag, following the registry's pagination to the end (or up to --limit).`
  static override examples = [
    { description: 'Tags of a repository', command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/app' },
    { description: 'Tags in an OCI layout, as JSON', command: '<%= config.bin %> <%= command.id %> --json ocidir://./out' },
  ]
  static override args = { repository: Args.string({ description: 'registry repository (no tag) or ocidir://path', required: true }) }
  static override flags = {
    limit: Flags.integer({ min: 1, summary: 'stop after this many tags' }),
    ...registryFlags,
  }

  async run(): Promise<TagListResult> {
    const { args, flags } = await this.parse(TagLs)
    const ref = TargetFactory.parse(args.repository, { defaultTag: false })
    if (ref.tag !== undefined || ref.digest !== undefined)
      throw new UsageError(`give a repository without tag or digest: ${args.repository}`)
    const targets = new TargetFactory(flags, registriesOf(ref))
    try {
      const target = await targets.open(ref)
      if (!canListTags(target)) throw new UnsupportedError(`${formatReference(ref)} cannot list tags`)
      const tags: string[] = []
      for await (const tag of target.listTags()) {
        tags.push(tag)
        this.out(tag)
        if (flags.limit !== undefined && tags.length >= flags.limit) break
      }
      return { repository: formatReference(ref), tags }
    } finally {
      await targets.close()
    }
  }
}
