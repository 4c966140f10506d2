import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { BaseCommand } from '../../cli/base-command.js'
import { registryFlags, registryOptions } from '../../cli/registry-flags.js'
import type { Descriptor } from '../../oci/descriptor.js'
import { fetchManifest } from '../../publish/read-content.js'

export interface ManifestGetResult {
  descriptor: Descriptor
  manifest: unknown
}

export default class ManifestGet extends BaseCommand<ManifestGetResult> {
  static override summary = 'print a manifest or index exactly as stored'
  static override description = `Fetches the manifest a reference names, verifies it against its digest, and writes its exact bytes to stdout (no reformatting, so the output hashes to the digest). --descriptor prints the descriptor instead; --json prints both, the manifest parsed.`
  static override examples = [
    { description: 'Look at an index', command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/app:1.0.0 | jq .' },
    { description: 'Media type, digest and size only', command: '<%= config.bin %> <%= command.id %> --descriptor ./out:v1' },
  ]
  static override args = {
    reference: Args.string({ description: 'registry reference, or OCI layout directory with :tag or @digest', required: true }),
  }
  static override flags = {
    descriptor: Flags.boolean({ default: false, summary: 'print the descriptor (mediaType, digest, size) instead of the manifest' }),
    ...registryFlags,
  }

  async run(): Promise<ManifestGetResult> {
    const { args, flags } = await this.parse(ManifestGet)
    const { descriptor, bytes, manifest } = await fetchManifest(args.reference, registryOptions(flags))
    // The exact bytes, not a re-serialisation: what is printed hashes to the digest.
    if (!this.jsonEnabled()) process.stdout.write(flags.descriptor ? `${JSON.stringify(descriptor, null, 2)}\n` : bytes)
    return { descriptor, manifest }
  }
}
