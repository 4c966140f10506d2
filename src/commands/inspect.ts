import * as Args from '@oclif/core/args'
import { BaseCommand } from '../cli/base-command.js'
import { registryFlags, registryOptions } from '../cli/registry-flags.js'
import { renderInspect } from '../cli/render-inspect.js'
import { inspect, type InspectResult } from '../publish/inspect.js'

export default class Inspect extends BaseCommand<InspectResult> {
  static override summary = 'show what a published or built bundle contains'
  static override description = `Reads a bundle (every digest verified) and prints its name, version and description, the invocation and component images with their original and relocated references, digests, sizes and platforms, and its parameters, credentials, outputs and custom actions. Works on registry references and on OCI layout directories (written by build).`
  static override examples = [
    { description: 'Look inside a published bundle', command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/shop:v2.3.1' },
    {
      description: 'The same, as JSON, for a layout written by build',
      command: '<%= config.bin %> <%= command.id %> --json ./shop-oci:v2.3.1',
    },
  ]
  static override args = {
    reference: Args.string({ description: 'bundle: registry reference, or OCI layout directory with :tag or @digest', required: true }),
  }
  static override flags = { ...registryFlags }

  async run(): Promise<InspectResult> {
    const { args, flags } = await this.parse(Inspect)
    const result = await inspect(args.reference, registryOptions(flags))
    for (const w of result.warnings) this.warning(w)
    this.out(renderInspect(result))
    return result
  }
}
