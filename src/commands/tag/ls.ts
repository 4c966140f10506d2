import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { BaseCommand } from '../../cli/base-command.js'
import { registryFlags, registryOptions } from '../../cli/registry-flags.js'
import { listTags, type TagList } from '../../publish/read-content.js'

export default class TagLs extends BaseCommand<TagList> {
  static override summary = 'list the tags of a repository or OCI layout'
  static override description = `Lists every tag, one per line, following the registry's pagination to the end (or up to --limit). A repository that does not exist is an error (exit 6), not an empty list.`
  static override examples = [
    { description: 'Tags of a repository', command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/app' },
    { description: 'Tags in an OCI layout, as JSON', command: '<%= config.bin %> <%= command.id %> --json ./out' },
  ]
  static override args = {
    repository: Args.string({ description: 'registry repository (no tag) or OCI layout directory', required: true }),
  }
  static override flags = {
    limit: Flags.integer({ min: 1, summary: 'stop after this many tags' }),
    ...registryFlags,
  }

  async run(): Promise<TagList> {
    const { args, flags } = await this.parse(TagLs)
    const result = await listTags(args.repository, { ...registryOptions(flags), ...(flags.limit !== undefined && { limit: flags.limit }) })
    for (const tag of result.tags) this.out(tag)
    return result
  }
}
