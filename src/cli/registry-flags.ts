/**
 * The transport flags of every command that can reach a registry, and the one mapping from
 * those flags to the library's RegistryOptions.
 */
import * as Flags from '@oclif/core/flags'
import type { RegistryOptions } from '../registry/config/registry-options.js'
import { timeoutFlags, timeoutOptions, type TimeoutFlagValues } from './timeout-flags.js'

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
  ...timeoutFlags,
}

export interface RegistryFlagValues extends TimeoutFlagValues {
  'plain-http'?: boolean
  insecure?: boolean
  'ca-file'?: string
}

/** The library options the transport flags stand for. */
export function registryOptions(flags: RegistryFlagValues): RegistryOptions {
  return {
    ...(flags['plain-http'] !== undefined && { plainHttp: flags['plain-http'] }),
    ...(flags.insecure !== undefined && { insecure: flags.insecure }),
    ...(flags['ca-file'] !== undefined && { caFile: flags['ca-file'] }),
    ...timeoutOptions(flags),
  }
}
