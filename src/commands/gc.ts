import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { BaseCommand } from '../cli/base-command.js'
import { renderGarbage } from '../cli/render-gc.js'
import type { GarbageCollectionResult } from '../layout/gc.js'
import { collectGarbage } from '../publish/collect-garbage.js'

export default class Gc extends BaseCommand<GarbageCollectionResult> {
  static override summary = 'remove unreachable blobs and crash leftovers from an OCI layout'
  static override description = [
    'Removes the blobs of an OCI layout that no tag, index.json entry or referrer (a manifest whose subject is reachable) reaches, and the partial files that interrupted writers left in .ingest. Content another process is still writing into the layout is left alone.',
    'With --dry-run, lists what would be removed and removes nothing.',
  ].join('\n\n')
  static override examples = [
    { description: 'See what would be removed', command: '<%= config.bin %> <%= command.id %> --dry-run ocidir://./airgap' },
    { description: 'Reclaim the space', command: '<%= config.bin %> <%= command.id %> ocidir://./airgap' },
  ]
  static override args = { layout: Args.string({ description: 'OCI layout directory: ocidir://dir or its path', required: true }) }
  static override flags = { 'dry-run': Flags.boolean({ summary: 'list what would be removed, remove nothing' }) }

  async run(): Promise<GarbageCollectionResult> {
    const { args, flags } = await this.parse(Gc)
    const result = await collectGarbage(args.layout, { dryRun: flags['dry-run'] })
    this.out(renderGarbage(result))
    return result
  }
}
