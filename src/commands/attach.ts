import * as Args from '@oclif/core/args'
import { artifactFlags, artifactOptions } from '../cli/artifact-flags.js'
import { BaseCommand } from '../cli/base-command.js'
import { registryFlags } from '../cli/registry-flags.js'
import { renderAttached } from '../cli/render-artifacts.js'
import { attach, type Attached } from '../publish/push-artifact.js'

export default class Attach extends BaseCommand<Attached> {
  static override summary = 'attach a signature, SBOM or other files to an image, bundle or artifact'
  static override description =
    'Pushes the files as an artifact whose subject is what the reference names, in the same repository or layout, and prints its digest. Copies with referrers (copy, push and pull of bundles) carry it along, and `discover` lists it.\n\nOn a registry with the referrers API the registry records it (checked with the OCI-Subject answer); on one without, it is added to the sha256-<hex> tag index of the subject as the distribution spec describes, keeping every entry other tools wrote and surviving a concurrent attach. --referrers-mode api or tag forces one of the two.'
  static override examples = [
    {
      description: 'Attach an SPDX SBOM to a published bundle',
      command:
        '<%= config.bin %> <%= command.id %> registry.example.com/acme/shop:v2.3.1 sbom.spdx.json:application/spdx+json --artifact-type application/spdx+json',
    },
    {
      description: 'Attach a signature to an image in a layout, as JSON',
      command:
        '<%= config.bin %> <%= command.id %> --json ocidir://./airgap:app app.sig --artifact-type application/vnd.dev.cosign.artifact.sig.v1+json',
    },
  ]
  static override strict = false
  static override args = {
    subject: Args.string({ description: 'what to attach to: registry reference or ocidir://dir[:tag|@digest]', required: true }),
    file: Args.string({ description: 'file or directory, optionally with :mediaType; repeatable', required: false }),
  }
  static override flags = { ...artifactFlags, ...registryFlags }

  async run(): Promise<Attached> {
    const { args, argv, flags } = await this.parse(Attach)
    const attached = await attach(args.subject, (argv as string[]).slice(1), {
      ...artifactOptions(flags),
      onWarning: (m) => this.warning(m),
    })
    this.out(renderAttached(attached))
    return attached
  }
}
