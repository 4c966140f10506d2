import * as Args from '@oclif/core/args'
import { BaseCommand } from '../cli/base-command.js'
import { registryFlags, registryOptions } from '../cli/registry-flags.js'
import type { Descriptor } from '../oci/descriptor.js'
import { resolveReference } from '../publish/read-content.js'

export default class Resolve extends BaseCommand<Descriptor> {
  static override summary = 'print the digest a tag points at'
  static override description = `Asks the registry (or the OCI layout) which manifest a reference names and prints its digest. With --json the whole descriptor (media type, digest, size) is printed.`
  static override examples = [
    { description: 'Pin an image by digest', command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/app:1.0.0' },
    { description: 'Resolve a tag in an OCI layout', command: '<%= config.bin %> <%= command.id %> --json ./out:v1' },
  ]
  static override args = {
    reference: Args.string({ description: 'registry reference, or OCI layout directory with :tag', required: true }),
  }
  static override flags = { ...registryFlags }

  async run(): Promise<Descriptor> {
    const { args, flags } = await this.parse(Resolve)
    const descriptor = await resolveReference(args.reference, registryOptions(flags))
    this.out(descriptor.digest)
    return descriptor
  }
}
