import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { join } from 'node:path'
import { mkdir } from 'node:fs/promises'
import { BaseCommand } from '../cli/base-command.js'
import { createProgress } from '../cli/progress.js'
import { registriesOf, registryFlags, TargetFactory } from '../cli/targets.js'
import { pullBundle } from '../publish/pull-bundle.js'
import { OciLayoutStore } from '../layout/layout-store.js'
import type { Descriptor } from '../oci/descriptor.js'
import { formatReference } from '../oci/reference.js'
import { writeFileAtomic } from '../util/files.js'

export interface PullCommandResult {
  source: string
  digest: string
  bundle: string
  relocationMapping?: string
  relocationMap?: Record<string, string>
  images?: { layout: string; manifests: Record<string, Descriptor> }
  representation: { index: string; configManifest: string; config: string }
  warnings: string[]
}

export default class Pull extends BaseCommand<PullCommandResult> {
  static override summary = 'pull a bundle for an installer: bundle.json, relocation map and, with --images, every image'
  static override description = `Reads a bundle from a registry or an OCI layout — an OCI index or a Docker manifest list, in
the current or legacy cnab-to-oci forms, whatever the config media type, or ocibundle's form
without index — verifies every digest and size, and checks that the invocation image is the one
bundle.json pins. Where a registry does not serve manifests by digest, they are read by the
ocibundle-<alg>-<hex> tags a publish put them under, and verified all the same.

Writes into --output: bundle.json, byte-identical to the published config blob (so signatures
over it verify), and relocation-mapping.json (CNAB 103: original image → where it is now;
bundles read from a layout have none). With --images, every image is also written into
<output>/artifacts/layout, an OCI layout whose tags are the image references bundle.json uses:
the thick-bundle layout installers and air-gapped sites read.`
  static override examples = [
    {
      description: 'Get a bundle ready for an installer',
      command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/shop:v2.3.1 --output ./shop',
    },
    {
      description: 'Take a bundle and all its images to an air-gapped site',
      command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/shop:v2.3.1 --output ./shop --images',
    },
  ]
  static override args = {
    reference: Args.string({ description: 'bundle: registry reference or ocidir://dir[:tag|@digest]', required: true }),
  }
  static override flags = {
    output: Flags.string({
      char: 'o',
      required: true,
      summary: 'directory to write bundle.json and relocation-mapping.json into',
      helpValue: 'dir',
    }),
    images: Flags.boolean({ default: false, summary: 'also write every image into <output>/artifacts/layout' }),
    'allow-missing-digest': Flags.boolean({
      default: false,
      summary: 'accept an invocation image without contentDigest (a warning instead of an error)',
    }),
    ...registryFlags,
  }

  async run(): Promise<PullCommandResult> {
    const { args, flags } = await this.parse(Pull)
    const { ref, selector } = TargetFactory.parseSelected(args.reference)
    const targets = new TargetFactory(flags, registriesOf(ref))
    const progress = createProgress(!this.jsonEnabled() && flags.images)
    try {
      await mkdir(flags.output, { recursive: true })
      const layoutDir = join(flags.output, 'artifacts', 'layout')
      const images = flags.images ? await OciLayoutStore.open(layoutDir, { create: true }) : undefined
      const pulled = await pullBundle(await targets.open(ref), selector, {
        ...(images && { images }),
        allowMissingContentDigest: flags['allow-missing-digest'],
        onProgress: (_image, p) => progress.update(p.descriptor.digest, p.bytes, p.total),
      })
      progress.finish()
      const bundleFile = join(flags.output, 'bundle.json')
      await writeFileAtomic(bundleFile, pulled.bundleBytes)
      let relocationFile: string | undefined
      if (pulled.relocationMap) {
        relocationFile = join(flags.output, 'relocation-mapping.json')
        await writeFileAtomic(relocationFile, Buffer.from(`${JSON.stringify(pulled.relocationMap, null, 2)}\n`))
      }
      for (const w of pulled.warnings) this.warning(w)
      this.out(
        [
          `Pulled ${formatReference(ref)} (${pulled.digest}), every digest verified`,
          `  stored as ${pulled.representation.index}, config ${pulled.representation.config}`,
          `  ${bundleFile} (${pulled.bundleBytes.length} bytes, as published)`,
          ...(relocationFile ? [`  ${relocationFile}`] : []),
          ...(pulled.images ? [`  ${layoutDir} (${pulled.images.size} images, tagged by their bundle references)`] : []),
        ].join('\n'),
      )
      return {
        source: formatReference(ref),
        digest: pulled.digest,
        bundle: bundleFile,
        ...(relocationFile && { relocationMapping: relocationFile, relocationMap: pulled.relocationMap }),
        ...(pulled.images && { images: { layout: layoutDir, manifests: Object.fromEntries(pulled.images) } }),
        representation: pulled.representation,
        warnings: pulled.warnings,
      }
    } finally {
      progress.finish()
      await targets.close()
    }
  }
}
