import * as Args from '@oclif/core/args'
import { BaseCommand } from '../cli/base-command.js'
import { removeCredentials } from '../registry/credentials/save-credentials.js'
import { canonicalRegistry } from './login.js'

export interface LogoutResult {
  registry: string
  removed: boolean
}

export default class Logout extends BaseCommand<LogoutResult> {
  static override summary = 'remove the stored credentials of a registry'
  static override description = `Erases the registry's credentials from its credential helper and from auths in
$DOCKER_CONFIG/config.json, as docker logout does. Succeeds (with a note) when none were stored.`
  static override examples = [
    { description: 'Forget a registry login', command: '<%= config.bin %> <%= command.id %> registry.example.com' },
  ]
  static override args = { registry: Args.string({ description: 'registry host[:port]', required: true }) }

  async run(): Promise<LogoutResult> {
    const { args } = await this.parse(Logout)
    const registry = canonicalRegistry(args.registry)
    const removed = await removeCredentials(registry)
    this.out(removed ? `Removed the credentials of ${registry}` : `No credentials were stored for ${registry}`)
    return { registry, removed }
  }
}
