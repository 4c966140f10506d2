/**
 * A capability report for people: a heading, one table row per capability (with the checklist
 * item that measured it), the verdict, and what the probe could not delete. Pure: the command
 * prints the string; `--json` prints the report itself (docs/registries.md).
 */
import {
  CAPABILITIES,
  CAPABILITY_CHECKS,
  formatEvidence,
  referrersModes,
  type CapabilityReport,
  type Support,
} from '../compat/capabilities.js'

const RESULT_WORDS: Record<Support, string> = { supported: 'yes', unsupported: 'NO', unknown: '?' }

/** Renders `report` as text lines; no trailing newline. */
export function renderReport(report: CapabilityReport): string {
  const rows = CAPABILITIES.map(
    (c) =>
      [
        `${c} (${CAPABILITY_CHECKS[c]})`,
        RESULT_WORDS[report.capabilities[c].support],
        formatEvidence(report.capabilities[c].evidence),
      ] as const,
  )
  const header = ['capability', 'result', 'evidence'] as const
  const widths = [0, 1].map((i) => Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell))
      .join('  ')
      .trimEnd()
  const { scheme, realm, service } = report.auth
  const auth =
    scheme === 'none'
      ? 'none (anonymous access)'
      : [scheme, realm && `realm ${realm}`, service && `service ${service}`].filter(Boolean).join(', ')
  return [
    `registry:   ${report.host}`,
    `repository: ${report.repository}`,
    `probed at:  ${report.probedAt}`,
    `auth:       ${auth}`,
    '',
    line(header),
    line(header.map((h, i) => '-'.repeat(i < 2 ? widths[i]! : h.length))),
    ...rows.map(line),
    '',
    referrersLine(report),
    report.verdict,
    ...(report.leftovers.length > 0
      ? ['', `left behind (the registry refused to delete them):`, ...report.leftovers.map((l) => `  ${l}`)]
      : []),
  ].join('\n')
}

/** `--referrers-mode`: which modes work, and what auto uses. */
function referrersLine(report: CapabilityReport): string {
  const modes = referrersModes(report)
  const works = (['api', 'tag'] as const).filter((m) => modes[m] === 'supported')
  return modes.auto === undefined
    ? `referrers (signatures, SBOMs): no mode is known to work here (api: ${RESULT_WORDS[modes.api]}, tag: ${RESULT_WORDS[modes.tag]})`
    : `referrers (signatures, SBOMs): --referrers-mode ${works.join(' or ')} works; auto uses ${modes.auto === 'api' ? 'the referrers API' : 'the sha256-<hex> tag schema'}`
}
