/**
 * `ocibundle registry check` as a library call: probe what a registry supports in a scratch
 * repository (src/compat/probes.ts), and save the report where publishes read it to choose the
 * representation up front (src/compat/report-cache.ts).
 */
import type { CapabilityReport } from '../compat/capabilities.js'
import { probeRegistry } from '../compat/probes.js'
import { saveReport, type ReportCacheOptions } from '../compat/report-cache.js'
import { UsageError } from '../errors.js'
import { parseRegistryReference } from '../oci/reference.js'
import { createRegistryClient } from '../registry/config/create-registry-client.js'
import type { OperationOptions } from './open-target.js'

export interface CheckRegistryOptions extends OperationOptions {
  /** Where the report is saved; false → not saved. Undefined → `${XDG_CACHE_HOME:-~/.cache}/ocibundle/registries`. */
  reportCache?: Omit<ReportCacheOptions, 'warn'> | false
}

export interface RegistryCheckResult extends CapabilityReport {
  /** Where the report was saved; push and build read it from there. Absent when not saved. */
  cachedAt?: string
}

/**
 * Probes `registry` (`host[:port]`, or `host[:port]/repository` to probe inside a repository
 * you may push to; on ECR, one that exists) and returns the report: every capability with its
 * evidence, the representation bundles publish in (absent when none works) and a verdict.
 * Refused capabilities are results, not errors. Throws UsageError for a reference with a tag or
 * digest, AuthenticationError (or a 403 RegistryResponseError) when credentials or push rights
 * are refused, and OcibundleError when the registry cannot be reached or does not serve `/v2/`.
 */
export async function checkRegistry(registry: string, options: CheckRegistryOptions = {}): Promise<RegistryCheckResult> {
  const where = parseProbeTarget(registry)
  const client = options.client ?? (await createRegistryClient(options, [where.registry]))
  try {
    const report = await probeRegistry(client, { ...where, ...(options.signal && { signal: options.signal }) })
    if (options.reportCache === false) return report
    return {
      ...report,
      cachedAt: await saveReport(report, { ...options.reportCache, env: options.reportCache?.env ?? options.env ?? process.env }),
    }
  } finally {
    if (options.client === undefined) await client.close()
  }
}

/** `host[:port]` or `host[:port]/repository`, without tag or digest. */
function parseProbeTarget(input: string): { registry: string; repository?: string } {
  if (!input.includes('/')) {
    // A bare name would otherwise be read as a Docker Hub repository.
    return { registry: parseRegistryReference(`${input}/probe`, false).registry }
  }
  const ref = parseRegistryReference(input, false)
  if (ref.tag !== undefined || ref.digest !== undefined)
    throw new UsageError(`give a registry or repository without tag or digest: ${input}`)
  return { registry: ref.registry, repository: ref.repository }
}
