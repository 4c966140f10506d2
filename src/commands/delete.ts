import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { BaseCommand } from '../cli/base-command.js'
import { confirm, requireConfirmation } from '../cli/confirm.js'
import { registryFlags, registryOptions } from '../cli/registry-flags.js'
import { deleteReference, type DeleteReferenceResult } from '../publish/manage-tags.js'

export default class Delete extends BaseCommand<DeleteReferenceResult> {
  static override summary = 'delete a tag, or a manifest with every tag that names it'
  static override description = `With a tag (repo:tag), the tag is removed and the content stays: registries that refuse to delete tags get a fallback (the tag is moved onto a throwaway manifest, which is then deleted by digest, as regctl does). With a digest (repo@sha256:…), the manifest is deleted, and every tag that names it goes with it; the blobs stay until the registry's garbage collection. Works on registries that allow deletion and on OCI layout directories.

Asks for confirmation on a terminal; with --yes, or when stdin is not a terminal, it does not ask, and without --yes it refuses to run where it cannot ask.`
  static override examples = [
    {
      description: 'Remove a tag that was published by mistake',
      command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/shop:v2.3.1-rc1',
    },
    {
      description: 'Delete a manifest from CI, without a question',
      command: '<%= config.bin %> <%= command.id %> --yes registry.example.com/acme/shop@sha256:4c1e…9a0b',
    },
  ]
  static override args = {
    reference: Args.string({ description: 'registry reference or OCI layout directory, with :tag or @digest', required: true }),
  }
  static override flags = {
    yes: Flags.boolean({ char: 'y', default: false, summary: 'do not ask for confirmation' }),
    ...registryFlags,
  }

  async run(): Promise<DeleteReferenceResult> {
    const { args, flags } = await this.parse(Delete)
    requireConfirmation(flags.yes, `delete ${args.reference}`)
    const result = await deleteReference(args.reference, {
      ...registryOptions(flags),
      ...(!flags.yes && {
        confirm: (plan) =>
          confirm(
            plan.removes === 'tag'
              ? `Remove the tag ${plan.reference} (it names ${plan.descriptor.digest}, which stays)?`
              : `Delete the manifest ${plan.reference} and every tag that names it?`,
          ),
      }),
    })
    if (!result.deleted) this.out('Nothing deleted')
    else if (result.removes === 'tag') this.out(`Removed the tag ${result.reference} (${result.descriptor.digest} stays)`)
    else this.out(`Deleted ${result.reference} and the tags that named it`)
    return result
  }
}
