/**
 * The registry compatibility probe (`registry check`): runs the checklist of docs/registries.md
 * ("Capabilities") against a scratch repository and returns a CapabilityReport.
 *
 * Order: P0 connection, credentials and where to write → P1 upload modes → P2 mount → P3 manifest
 * acceptance → P4 reads → P5 tag list → P6 referrers → P9 CNAB round trip (using what P0–P6
 * found) → P7 deletion, with the clean-up. P8 (limits, timing) is not run: it takes load, not a
 * yes or no. Which checklist item measures each capability is in CAPABILITY_CHECKS.
 *
 * A refused capability is a result, never an exception. The probe throws only when P0 fails:
 * the registry cannot be reached or does not serve `/v2/` (OcibundleError), or refuses our
 * credentials or push rights (AuthenticationError, or the 403 RegistryResponseError); and when
 * `signal` aborts.
 */
import type { RegistryClient } from '../registry/http/client.js'
import type { CapabilityReport } from './capabilities.js'
import { probeDeletesAndCleanUp } from './probe/cleanup.js'
import { chooseWorkspace, probeConnection } from './probe/connection.js'
import { probeManifests } from './probe/manifests.js'
import { probeReads, probeReferrers, probeTags } from './probe/reads.js'
import { probeRoundTrip } from './probe/round-trip.js'
import { ProbeSession } from './probe/probe-session.js'
import { probeMount, probeUploads } from './probe/uploads.js'
import { describeRepresentation } from './strategies.js'

/** Options of probeRegistry. */
export interface ProbeOptions {
  /** Registry as written in references (`ghcr.io`, `localhost:5000`). */
  registry: string
  /**
   * A repository the user may push to. The probe writes to `<repository>/probe-<random>` (and
   * `…-mount`), or to `ocibundle-probe/probe-<random>` without one; where the registry does not
   * create repositories on push (ECR), it writes to `repository` itself under throwaway tags.
   */
  repository?: string
  /** Stops the probe; the call rejects with the signal's reason. */
  signal?: AbortSignal
}

/**
 * Probes `options.registry` through `client` (its credentials and host settings): the checklist
 * of `registry check` (connection, upload modes, mount, manifest acceptance, reads, tag list,
 * referrers, a CNAB round trip, deletion) in a scratch repository, removed again afterwards;
 * what could not be removed is listed in the report's `leftovers`. A refused capability is a
 * result, never an exception. Throws only when the connection check fails: OcibundleError when
 * the registry cannot be reached or does not serve `/v2/`, AuthenticationError or a 403
 * RegistryResponseError when it refuses the credentials or push rights; and the signal's reason.
 */
export async function probeRegistry(client: RegistryClient, options: ProbeOptions): Promise<CapabilityReport> {
  const s = new ProbeSession(client, options.registry, options.signal)
  const auth = await probeConnection(s)
  const probedAt = new Date().toISOString()
  const report = (verdict: string, leftovers: string[] = [], representation?: CapabilityReport['representation']): CapabilityReport => ({
    version: 1,
    host: options.registry,
    repository: s.repository || (options.repository ?? ''),
    probedAt,
    auth,
    capabilities: s.results,
    ...(representation && { representation }),
    verdict,
    leftovers,
  })
  const workspace = await chooseWorkspace(s, options.repository)
  if (!workspace.ok) return report(`bundles cannot be published here: ${workspace.reason}`)
  let leftovers: string[]
  let outcome: Awaited<ReturnType<typeof probeRoundTrip>>
  try {
    await probeMount(s, await probeUploads(s))
    const found = await probeManifests(s)
    await probeReads(s, found)
    await probeTags(s, found)
    await probeReferrers(s, found)
    outcome = await probeRoundTrip(s, report(''))
  } finally {
    leftovers = await probeDeletesAndCleanUp(s)
  }
  return 'representation' in outcome
    ? report(`bundles publish here as: ${describeRepresentation(outcome.representation)}`, leftovers, outcome.representation)
    : report(`bundles cannot be published here: ${outcome.reason}`, leftovers)
}
