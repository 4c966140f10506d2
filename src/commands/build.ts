import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { BaseCommand } from '../cli/base-command.js'
import { publishFlags, publishOptions } from '../cli/publish-flags.js'
import { registryFlags } from '../cli/registry-flags.js'
import { renderPublish } from '../cli/render-publish.js'
import { build, type BundleBuilt } from '../publish/publish.js'

export default class Build extends BaseCommand<BundleBuilt> {
  static override summary = 'build the OCI representation of a bundle into an OCI layout directory'
  static override description = `Validates bundle.json as for publishing (before any request), resolves every invocation and component image (from --images, then from registries), copies them into the output, and writes the bundle: its canonical bundle.json as a config blob, the config manifest, and the index that points at the config manifest and every image — the layout cnab-to-oci, Porter and Harbor read. The same input gives the same bytes and the same bundle digest on every run and machine (nothing time-dependent is written).

--output is an OCI layout directory (dir or dir:tag; ocidir:// is optional), created when missing. A registry is written only when the output names its host (registry.example.com/acme/shop, localhost:5000/shop, docker.io/acme/shop); a bare name such as out or acme/shop is a directory. The tag defaults to v<version> of the bundle. Without --auto-update the images must match the contentDigest, size and mediaType written in bundle.json.`
  static override examples = [
    {
      description: 'Build the example shop bundle offline, with images from a local layout',
      command: '<%= config.bin %> <%= command.id %> bundles/shop/bundle.json --images ./example-images --auto-update --output ./shop-oci',
    },
    {
      description: 'Build for linux/amd64 only',
      command: '<%= config.bin %> <%= command.id %> bundle.json --auto-update --platform linux/amd64 --output ./out:v1.0.0',
    },
  ]
  static override args = { bundle: Args.string({ description: 'bundle.json to build', required: true }) }
  static override flags = {
    output: Flags.string({
      char: 'o',
      required: true,
      summary: 'OCI layout directory to write (dir[:tag]), or a registry repository named with its host',
      helpValue: 'dir',
    }),
    ...publishFlags,
    ...registryFlags,
  }

  async run(): Promise<BundleBuilt> {
    const { args, flags } = await this.parse(Build)
    const bars = this.progressBars()
    const result = await build(args.bundle, flags.output, {
      ...publishOptions(flags),
      onProgress: (p) => bars.update(p.descriptor.digest, p.bytes, p.total),
      onWarning: (m) => this.warning(m),
    })
    this.out(renderPublish(result, 'Built'))
    return result
  }
}
