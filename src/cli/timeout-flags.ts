/**
 * The time-limit flags of every command that can reach a registry (src/registry/http/timeouts.ts),
 * in seconds, and their mapping to the library's RegistryOptions (milliseconds).
 */
import * as Flags from '@oclif/core/flags'
import type { RegistryOptions } from '../registry/config/registry-options.js'

/** A day, as the host configuration file allows. */
const MAX_SECONDS = 24 * 60 * 60

const seconds = (summary: string) => Flags.integer({ summary, helpGroup: 'REGISTRY', helpValue: 'seconds', min: 1, max: MAX_SECONDS })

export const timeoutFlags = {
  'connect-timeout': seconds('give up opening a connection after this long and retry (default 30)'),
  'headers-timeout': seconds('give up waiting for response headers after this long and retry (default 60)'),
  'idle-timeout': seconds('give up on a response body that sends nothing for this long and retry (default 60)'),
}

export interface TimeoutFlagValues {
  'connect-timeout'?: number
  'headers-timeout'?: number
  'idle-timeout'?: number
}

/** The library options the time-limit flags stand for. */
export function timeoutOptions(flags: TimeoutFlagValues): RegistryOptions {
  return {
    ...(flags['connect-timeout'] !== undefined && { connectTimeoutMs: flags['connect-timeout'] * 1000 }),
    ...(flags['headers-timeout'] !== undefined && { headersTimeoutMs: flags['headers-timeout'] * 1000 }),
    ...(flags['idle-timeout'] !== undefined && { idleTimeoutMs: flags['idle-timeout'] * 1000 }),
  }
}
