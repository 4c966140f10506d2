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
  'cert-file': Flags.string({
    summary: 'PEM file of the client certificate to present to the registries of this command (mutual TLS)',
    helpGroup: 'REGISTRY',
    helpValue: 'pem',
  }),
  'key-file': Flags.string({
    summary: 'PEM file of the private key of --cert-file (default: in the --cert-file file)',
    helpGroup: 'REGISTRY',
    helpValue: 'pem',
    dependsOn: ['cert-file'],
  }),
  proxy: Flags.string({
    summary:
      'proxy for the registries of this command, http://[user:password@]host:port (default: HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY)',
    helpGroup: 'REGISTRY',
    helpValue: 'url',
  }),
}

export interface RegistryFlagValues extends TimeoutFlagValues {
  'plain-http'?: boolean
  insecure?: boolean
  'ca-file'?: string
  'cert-file'?: string
  'key-file'?: string
  proxy?: string
}

/** The library options the transport flags stand for. */
export function registryOptions(flags: RegistryFlagValues): RegistryOptions {
  return {
    ...(flags['plain-http'] !== undefined && { plainHttp: flags['plain-http'] }),
    ...(flags.insecure !== undefined && { insecure: flags.insecure }),
    ...(flags['ca-file'] !== undefined && { caFile: flags['ca-file'] }),
    ...timeoutOptions(flags),
    ...(flags['cert-file'] !== undefined && { certFile: flags['cert-file'] }),
    ...(flags['key-file'] !== undefined && { keyFile: flags['key-file'] }),
    ...(flags.proxy !== undefined && { proxy: flags.proxy }),
  }
}
