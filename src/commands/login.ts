import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { BaseCommand } from '../cli/base-command.js'
import { registryFlags, registryOptions } from '../cli/registry-flags.js'
import { promptSecret, readSecretFromStdin } from '../cli/secret-input.js'
import { login, parseRegistryHost, type LoginResult } from '../registry/credentials/login.js'

export default class Login extends BaseCommand<LoginResult> {
  static override summary = 'log in to a registry and store the credentials the way docker login does'
  static override description = `Checks the credentials against the registry first (GET /v2/, through its token server when it has one), then stores them where Docker would: in the credential helper configured for the registry (credHelpers, credsStore), or base64-encoded in auths of $DOCKER_CONFIG/config.json (default ~/.docker/config.json, written with mode 0600). Docker, skopeo's docker transport and ocibundle then share the login. The password is never printed or logged.`
  static override examples = [
    {
      description: 'Log in from CI with a token in an environment variable',
      command: 'echo "$REGISTRY_TOKEN" | <%= config.bin %> <%= command.id %> ghcr.io --username ci-bot --password-stdin',
    },
    {
      description: 'Log in interactively (the password is not echoed)',
      command: '<%= config.bin %> <%= command.id %> registry.example.com --username alice',
    },
  ]
  static override args = { registry: Args.string({ description: 'registry host[:port] (docker.io for Docker Hub)', required: true }) }
  static override flags = {
    username: Flags.string({ char: 'u', required: true, summary: 'user name' }),
    'password-stdin': Flags.boolean({ default: false, summary: 'read the password (or token) from stdin' }),
    ...registryFlags,
  }

  async run(): Promise<LoginResult> {
    const { args, flags } = await this.parse(Login)
    const registry = parseRegistryHost(args.registry)
    const password = flags['password-stdin']
      ? await readSecretFromStdin()
      : await promptSecret(`Password for ${flags.username}@${registry}: `)
    const result = await login(registry, { username: flags.username, password }, registryOptions(flags))
    const where = result.storedIn.kind === 'helper' ? `docker-credential-${result.storedIn.helper}` : result.storedIn.path
    this.out(`Login succeeded for ${flags.username} at ${result.registry}; credentials stored in ${where}`)
    return result
  }
}
