import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { BaseCommand } from '../../cli/base-command.js'
import { registryFlags, registryOptions } from '../../cli/registry-flags.js'
import { UsageError } from '../../errors.js'
import type { Descriptor } from '../../oci/descriptor.js'
import { fetchBlob } from '../../publish/read-content.js'

export interface BlobGetResult {
  descriptor: Descriptor
  output: string
}

export default class BlobGet extends BaseCommand<BlobGetResult> {
  static override summary = 'download one blob, verified against its digest'
  static override description = `Streams a blob (a layer, a config, a bundle.json) to a file or to stdout. The bytes are hashed while they arrive; a file is written under a temporary name and renamed into place only when size and digest match, so a failed download never leaves a wrong file behind.`
  static override examples = [
    {
      description: 'Save a layer',
      command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/app@sha256:4c1e…9a0b --output layer.tar.gz',
    },
    {
      description: 'Print a small blob (a config) to stdout',
      command: '<%= config.bin %> <%= command.id %> ./out@sha256:4c1e…9a0b --output - | jq .',
    },
  ]
  static override args = {
    reference: Args.string({ description: 'registry repository or OCI layout directory, with @digest', required: true }),
  }
  static override flags = {
    output: Flags.string({ char: 'o', required: true, summary: 'file to write, or - for stdout', helpValue: 'file' }),
    ...registryFlags,
  }

  async run(): Promise<BlobGetResult> {
    const { args, flags } = await this.parse(BlobGet)
    const toStdout = flags.output === '-'
    if (toStdout && this.jsonEnabled()) throw new UsageError('--json and -o - both want stdout; write the blob to a file')
    const bars = this.progressBars(!toStdout)
    const descriptor = await fetchBlob(args.reference, toStdout ? process.stdout : flags.output, {
      ...registryOptions(flags),
      onProgress: (bytes, total) => bars.update(args.reference, bytes, total),
    })
    if (!toStdout) this.out(`${descriptor.digest} → ${flags.output} (${descriptor.size} bytes, verified)`)
    return { descriptor, output: flags.output }
  }
}
