import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { BaseCommand } from '../cli/base-command.js'
import { promptSecret, readSecretFromStdin } from '../cli/secret-input.js'
import { registryFlags } from '../cli/targets.js'
import { UsageError } from '../errors.js'
import { resolveHostConfigs } from '../registry/config/resolve-host-configs.js'
import { saveCredentials, type CredentialLocation } from '../registry/credentials/save-credentials.js'
import { canonicalRegistryHost } from '../registry/credentials/server-address.js'
import { verifyCredentials } from '../registry/credentials/verify-credentials.js'

export interface LoginResult {
  registry: string
  username: string
  storedIn: CredentialLocation
}

export default class Login extends BaseCommand<LoginResult> {
  static override summary = 'log in to a registry and store the credentials the way docker login does'
  static override description = `Checks the credentials against the registry first (GET /v2/, through its token server when
it has one), then stores them where Docker would: in the credential helper configured for the
registry (credHelpers, credsStore), or base64-encoded in auths of $DOCKER_CONFIG/config.json
(default ~/.docker/config.json, written with mode 0600). Docker, skopeo's docker transport and
ocibundle then share the login. The password is never printed or logged.`
  static override examples = [
    {
      description: 'Log in from CI with a token in an environment variable',
      command: 'echo "$REGISTRY_TOKEN" | <%= config.bin %> <%= command.id %> ghcr.io -u ci-bot --password-stdin',
    },
    {
      description: 'Log in interactively (the password is not echoed)',
      command: '<%= config.bin %> <%= command.id %> registry.example.com -u alice',
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
    const registry = canonicalRegistry(args.registry)
    const password = flags['password-stdin']
      ? await readSecretFromStdin()
      : await promptSecret(`Password for ${flags.username}@${registry}: `)
    const credential = { username: flags.username, password }
    const hosts = await resolveHostConfigs({
      flags: {
        ...(flags['plain-http'] !== undefined && { plainHttp: flags['plain-http'] }),
        ...(flags.insecure !== undefined && { insecure: flags.insecure }),
        ...(flags['ca-file'] !== undefined && { caFile: flags['ca-file'] }),
        registries: [registry],
      },
    })
    await verifyCredentials({ hosts }, registry, credential)
    const storedIn = await saveCredentials(registry, credential)
    this.out(
      `Login succeeded for ${flags.username} at ${registry}; credentials stored in ${storedIn.kind === 'helper' ? `docker-credential-${storedIn.helper}` : storedIn.path}`,
    )
    return { registry, username: flags.username, storedIn }
  }
}

/** A registry argument: host[:port], no scheme, path, tag or digest. */
export function canonicalRegistry(input: string): string {
  const host = input.replace(/^https?:\/\//i, '').replace(/\/+$/, '')
  if (host.length === 0 || /[/@\s]/.test(host) || (host.includes(':') && !/^(\[[^\]]+\]|[^:]+):\d+$/.test(host))) {
    throw new UsageError(`"${input}" is not a registry host; give host[:port], e.g. registry.example.com or localhost:5000`)
  }
  return canonicalRegistryHost(host)
}
