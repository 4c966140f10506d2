import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { rename, rm } from 'node:fs/promises'
import { createWriteStream } from 'node:fs'
import { dirname, basename, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { BaseCommand } from '../../cli/base-command.js'
import { createProgress } from '../../cli/progress.js'
import { registriesOf, registryFlags, TargetFactory } from '../../cli/targets.js'
import { canResolveBlob } from '../../content/storage.js'
import { fetchVerified } from '../../content/verify.js'
import { UnsupportedError, UsageError } from '../../errors.js'
import type { Descriptor } from '../../oci/descriptor.js'
import { formatReference } from '../../oci/reference.js'

export interface BlobGetResult {
  descriptor: Descriptor
  output: string
}

export default class BlobGet extends BaseCommand<BlobGetResult> {
  static override summary = 'download one blob, verified against its digest'
  static override description = `Streams a blob (a layer, a config, a bundle.json) to a file or to stdout. The bytes are
hashed while they arrive; a file is written under a temporary name and renamed into place
only when size and digest match, so a failed download never leaves a wrong file behind.`
  static override examples = [
    {
      description: 'Save a layer',
      command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/app@sha256:4c1e…9a0b -o layer.tar.gz',
    },
    {
      description: 'Print a small blob (a config) to stdout',
      command: '<%= config.bin %> <%= command.id %> ocidir://./out@sha256:4c1e…9a0b -o - | jq .',
    },
  ]
  static override args = { reference: Args.string({ description: 'repository or ocidir://path, with @digest', required: true }) }
  static override flags = {
    output: Flags.string({ char: 'o', required: true, summary: 'file to write, or - for stdout', helpValue: 'file' }),
    ...registryFlags,
  }

  async run(): Promise<BlobGetResult> {
    const { args, flags } = await this.parse(BlobGet)
    const ref = TargetFactory.parse(args.reference, { defaultTag: false })
    if (ref.digest === undefined) throw new UsageError(`${args.reference} has no @digest; blobs are addressed by digest only`)
    if (flags.output === '-' && this.jsonEnabled()) throw new UsageError('--json and -o - both want stdout; write the blob to a file')
    const targets = new TargetFactory(flags, registriesOf(ref))
    const progress = createProgress(!this.jsonEnabled() && flags.output !== '-')
    try {
      const target = await targets.open(ref)
      if (!canResolveBlob(target)) throw new UnsupportedError(`${formatReference(ref)} cannot look up blobs by digest`)
      const descriptor = await target.resolveBlob(ref.digest)
      const body = await fetchVerified(target, descriptor)
      let bytes = 0
      const count = new Transform({
        transform(chunk: Buffer, _e, done) {
          bytes += chunk.length
          progress.update(descriptor.digest, bytes, descriptor.size)
          done(null, chunk)
        },
      })
      if (flags.output === '-') {
        await pipeline(body, count, process.stdout, { end: false })
      } else {
        const tmp = join(dirname(flags.output), `.${basename(flags.output)}.${randomBytes(6).toString('hex')}.part`)
        try {
          await pipeline(body, count, createWriteStream(tmp, { flags: 'wx' }))
          await rename(tmp, flags.output)
        } catch (err) {
          await rm(tmp, { force: true })
          throw err
        }
        progress.finish()
        this.out(`${descriptor.digest} → ${flags.output} (${descriptor.size} bytes, verified)`)
      }
      return { descriptor, output: flags.output }
    } finally {
      progress.finish()
      await targets.close()
    }
  }
}
