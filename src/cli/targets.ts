/**
 * Turning references into storage targets for commands: an OCI layout directory for
 * `ocidir://`, a registry repository otherwise. Commands that talk to registries share the
 * transport flags defined here and one RegistryClient per run.
 */
import * as Flags from '@oclif/core/flags'
import type { Target } from '../content/storage.js'
import { OciLayoutStore } from '../layout/layout-store.js'
import { parseReference, referenceSelector, type Reference } from '../oci/reference.js'
import { UsageError } from '../errors.js'
import { createRegistryClient } from '../registry/config/create-registry-client.js'
import type { RegistryClient } from '../registry/http/client.js'
import { RegistryRepository } from '../registry/repository.js'

/** Flags of every command that can reach a registry. */
export const registryFlags = {
  'plain-http': Flags.boolean({
    summary: 'talk plain HTTP to the registries of this command (automatic for localhost, 127.0.0.0/8 and ::1)',
    helpGroup: 'REGISTRY',
  }),
  insecure: Flags.boolean({ summary: 'skip TLS certificate verification (testing only)', helpGroup: 'REGISTRY' }),
  'ca-file': Flags.string({
    summary: 'PEM file of certificate authorities to trust for the registries of this command',
    helpGroup: 'REGISTRY',
    helpValue: 'pem',
  }),
}

export interface RegistryFlagValues {
  'plain-http'?: boolean
  insecure?: boolean
  'ca-file'?: string
}

/** Creates targets for references and closes what it opened. */
export class TargetFactory {
  private client: Promise<RegistryClient> | undefined

  constructor(
    private readonly flags: RegistryFlagValues,
    private readonly registries: readonly string[],
  ) {}

  /** Parses a reference argument; a usage error (exit 2) explains what is wrong. */
  static parse(input: string, options: { defaultTag?: boolean; allowLayout?: boolean } = {}): Reference {
    return parseReference(input, options)
  }

  /** Parses a reference that must name content (a tag or a digest); a usage error otherwise. */
  static parseSelected(input: string): { ref: Reference; selector: string } {
    const ref = parseReference(input)
    const selector = referenceSelector(ref)
    if (selector === undefined) throw new UsageError(`${input} names no tag or digest`, { suggestions: [`add one, e.g. ${input}:latest`] })
    return { ref, selector }
  }

  /** The registry client for this run, created on first use. */
  registryClient(): Promise<RegistryClient> {
    this.client ??= createRegistryClient({
      flags: {
        ...(this.flags['plain-http'] !== undefined && { plainHttp: this.flags['plain-http'] }),
        ...(this.flags.insecure !== undefined && { insecure: this.flags.insecure }),
        ...(this.flags['ca-file'] !== undefined && { caFile: this.flags['ca-file'] }),
        registries: this.registries,
      },
    })
    return this.client
  }

  /**
   * The target a reference names. `create` marks a destination: layout directories are created,
   * registry repositories ask for push access up front. Reading from a missing layout is a
   * NotFoundError.
   */
  async open(ref: Reference, options: { create?: boolean } = {}): Promise<Target> {
    if (ref.kind === 'layout') return OciLayoutStore.open(ref.path, { create: options.create ?? false })
    return new RegistryRepository(ref, await this.registryClient(), { access: options.create ? 'push' : 'pull' })
  }

  async close(): Promise<void> {
    if (this.client) await (await this.client).close()
  }
}

/** The registries among some references, for applying transport flags to them only. */
export function registriesOf(...refs: Reference[]): string[] {
  return refs.flatMap((r) => (r.kind === 'registry' ? [r.registry] : []))
}
