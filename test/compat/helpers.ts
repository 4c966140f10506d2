/**
 * Shared by the compat tests: synthetic capability reports, so planning and rendering can be
 * tested without a registry.
 */
import { CAPABILITIES, unknownCapabilities, type Capability, type CapabilityReport, type Support } from '../../src/compat/capabilities.js'

/** What the probe finds on distribution 2.8 with delete enabled (test/compat/probes.test.ts checks it for real). */
export const DISTRIBUTION_UNSUPPORTED: readonly Capability[] = ['single-post-upload', 'tag-list-pagination', 'referrers-api', 'delete-tag']

/**
 * A report of `host` where every capability is supported except `unsupported` (and distribution's
 * own gaps), and `unknown` ones are unknown.
 */
export function syntheticReport(
  options: { unsupported?: readonly Capability[]; unknown?: readonly Capability[]; host?: string } = {},
): CapabilityReport {
  const capabilities = unknownCapabilities()
  for (const c of CAPABILITIES) {
    const support: Support = options.unknown?.includes(c)
      ? 'unknown'
      : options.unsupported?.includes(c) || DISTRIBUTION_UNSUPPORTED.includes(c)
        ? 'unsupported'
        : 'supported'
    capabilities[c] = {
      support,
      evidence: support === 'unsupported' ? { request: `PUT /v2/x/manifests/${c}`, status: 400, codes: ['MANIFEST_INVALID'] } : {},
    }
  }
  return {
    version: 1,
    host: options.host ?? 'registry.example',
    repository: 'acme/app/probe-0000',
    probedAt: '2026-01-02T03:04:05.000Z',
    auth: { scheme: 'bearer', realm: 'https://auth.example/token', service: 'registry.example' },
    capabilities,
    verdict: 'bundles publish here as: oci-index + cnab-config (portable)',
    leftovers: [],
  }
}
