import * as Args from '@oclif/core/args'
import { BaseCommand } from '../cli/base-command.js'
import { logout, type LogoutResult } from '../registry/credentials/login.js'

export default class Logout extends BaseCommand<LogoutResult> {
  static override summary = 'remove the stored credentials of a registry'
  static override description = `Erases the registry's credentials from its credential helper and from auths in $DOCKER_CONFIG/config.json, as docker logout does. Succeeds (with a note) when none were stored.`
  static override examples = [
    { description: 'Forget a registry login', command: '<%= config.bin %> <%= command.id %> registry.example.com' },
  ]
  static override args = { registry: Args.string({ description: 'registry host[:port]', required: true }) }

  async run(): Promise<LogoutResult> {
    const { args } = await this.parse(Logout)
    const result = await logout(args.registry)
    this.out(result.removed ? `Removed the credentials of ${result.registry}` : `No credentials were stored for ${result.registry}`)
    return result
  }
}
