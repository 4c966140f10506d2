import * as Args from '@oclif/core/args'
import { artifactFlags, artifactOptions } from '../../cli/artifact-flags.js'
import { BaseCommand } from '../../cli/base-command.js'
import { registryFlags } from '../../cli/registry-flags.js'
import { renderPushed } from '../../cli/render-artifacts.js'
import { pushArtifact, type ArtifactPushed } from '../../publish/push-artifact.js'

export default class ArtifactPush extends BaseCommand<ArtifactPushed> {
  static override summary = 'push files as an OCI artifact (Helm charts, WASM, policies, SBOMs)'
  static override description =
    'Pushes each file as one layer titled with its base name (org.opencontainers.image.title), and each directory as one tar+gzip layer packed deterministically (sorted entries, mtime 0, no owner, fixed modes) that `artifact pull` and oras unpack. The manifest follows image spec 1.1: an artifactType and the empty config (application/vnd.oci.empty.v1+json, content {}) unless --config gives one. The same files give the same digest on every run and machine: nothing time-dependent is written unless an --annotation says so.\n\nA file is pushed as application/vnd.oci.image.layer.v1.tar and a directory as application/vnd.oci.image.layer.v1.tar+gzip (as oras does) unless file:mediaType says otherwise. Where a registry refuses the artifactType field or the empty config, the artifact is written in the next form it takes (the artifact type as the config media type, as oras 1.0 did; then an image config with the type in an annotation), and the output says so; --no-fallback fails instead.'
  static override examples = [
    {
      description: 'Push a Helm-style chart archive and its values file',
      command:
        '<%= config.bin %> <%= command.id %> registry.example.com/acme/charts/shop:2.3.1 shop-2.3.1.tgz:application/vnd.cncf.helm.chart.content.v1.tar+gzip values.yaml --artifact-type application/vnd.cncf.helm.config.v1+json',
    },
    {
      description: 'Push a directory of policies into a layout, with a creation date',
      command:
        '<%= config.bin %> <%= command.id %> ocidir://./policies:v1 ./policies --artifact-type application/vnd.example.policy.v1 --annotation org.opencontainers.image.created=2026-01-01T00:00:00Z',
    },
  ]
  static override strict = false
  static override args = {
    reference: Args.string({ description: 'where to push: registry reference or ocidir://dir[:tag]', required: true }),
    file: Args.string({ description: 'file or directory, optionally with :mediaType; repeatable', required: false }),
  }
  static override flags = { ...artifactFlags, ...registryFlags }

  async run(): Promise<ArtifactPushed> {
    const { args, argv, flags } = await this.parse(ArtifactPush)
    const files = (argv as string[]).slice(1)
    const pushed = await pushArtifact(args.reference, files, { ...artifactOptions(flags), onWarning: (m) => this.warning(m) })
    this.out(renderPushed(pushed))
    return pushed
  }
}
