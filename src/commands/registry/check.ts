import * as Args from '@oclif/core/args'
import { BaseCommand } from '../../cli/base-command.js'
import { ExitCode } from '../../cli/exit-codes.js'
import { registryFlags, registryOptions } from '../../cli/registry-flags.js'
import { renderReport } from '../../cli/render-report.js'
import { checkRegistry, type RegistryCheckResult } from '../../publish/check-registry.js'

export default class RegistryCheck extends BaseCommand<RegistryCheckResult> {
  static override summary = 'find out what a registry supports and how bundles will be published there'
  static override description = `Runs the capability probes in a scratch repository: connection and authentication, blob upload modes, cross-repository mount, which manifest and index forms are accepted (custom config types, empty layers, OCI index, Docker manifest list, mixed families, untagged pushes), reads by tag and by digest, tag listing, referrers, deletion — and a full round trip of a small bundle. Then it cleans up what the registry lets it delete and prints each capability with its evidence (HTTP status, error code) and a verdict: how bundles publish here.

The report is cached per host (in \${XDG_CACHE_HOME:-~/.cache}/ocibundle/registries/); push and build read it to choose the working representation directly, without failed attempts. Give a repository where you may push (on ECR, one that exists). Exits 4 when bundles cannot be published on the registry at all.`
  static override examples = [
    { description: 'Check a registry before the first publish', command: '<%= config.bin %> <%= command.id %> registry.example.com/acme' },
    {
      description: 'The full report as JSON',
      command: '<%= config.bin %> <%= command.id %> --json 123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/shop',
    },
  ]
  static override args = {
    registry: Args.string({ description: 'registry host[:port], optionally with /repository to probe in', required: true }),
  }
  static override flags = { ...registryFlags }

  async run(): Promise<RegistryCheckResult> {
    const { args, flags } = await this.parse(RegistryCheck)
    const report = await checkRegistry(args.registry, registryOptions(flags))
    if (!report.representation) this.setExitCode(ExitCode.Incompatible)
    for (const left of report.leftovers) this.warning(`the registry kept ${left} (it refused the delete); remove it by hand if you want`)
    this.out(`${renderReport(report)}\n\nreport cached in ${report.cachedAt}`)
    return report
  }
}
