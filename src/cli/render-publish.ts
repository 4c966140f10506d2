/**
 * Human output of `build` and `push`: where the bundle went, its digest, the representation the
 * destination accepted and why it was chosen, every fallback taken, every change made to the
 * bundle, and the relocation map.
 */
import type { BundleBuilt, BundleCopied, PublishOutcome } from '../publish/publish.js'
import type { PublishAttempt } from '../publish/publish-errors.js'

export function renderPublish(s: PublishOutcome, verb: string): string {
  return s.kind === 'copied' ? renderCopied(s) : renderBuilt(s, verb)
}

/** A bundle copied as it is (from a layout or another registry): same bytes, same digest. */
function renderCopied(s: BundleCopied): string {
  const lines = [
    `Pushed ${s.source} → ${s.reference}${s.unchanged ? ' (already there)' : ''}`,
    `  bundle digest   ${s.digest} (unchanged: index and config bytes copied as they are)`,
    `  copied          ${s.stats.copied} of ${s.stats.nodes} objects (${s.stats.skipped} already there, ${s.stats.mounted} mounted)`,
  ]
  if (s.referrers !== undefined)
    lines.push(
      `  referrers       ${s.referrers.length} came along (signatures, SBOMs and other artifacts that refer to the bundle or its images)`,
    )
  if (s.relocationMap) for (const [from, to] of Object.entries(s.relocationMap)) lines.push(`  relocated       ${from} → ${to}`)
  return lines.join('\n')
}

function renderBuilt(s: BundleBuilt, verb: string): string {
  const refs = s.manifestRefs === 'digest' ? 'digest' : 'digest and under ocibundle-<alg>-<hex> tags'
  const lines = [
    `${verb} ${s.source} → ${s.reference}${s.unchanged ? ' (already there, nothing pushed)' : ''}`,
    `  bundle digest   ${s.digest}${s.archived !== undefined ? ` (archived as ${s.archived.digest})` : ''}`,
    ...(s.archived !== undefined
      ? [
          `  not as archived the registry refused the archived bundle (${s.archived.refusal}); published from bundle.json with the archive's images`,
        ]
      : []),
    `  representation  ${s.representation.index} + ${s.representation.config} (${s.representation.shape}), manifests by ${refs}`,
    `  chosen          ${chosen(s)}`,
  ]
  for (const r of s.plan.reasons) lines.push(`                  ${r}`)
  for (const a of s.attempts) {
    if (a.error !== undefined && a.classification?.fallback === true) lines.push(`  fallback        ${attemptName(a)} refused: ${a.error}`)
    else if (a.error !== undefined) lines.push(`  failed          ${attemptName(a)}: ${a.error}`)
    else if (a.skipped !== undefined) lines.push(`  skipped         ${attemptName(a)}: ${a.skipped}`)
  }
  for (const c of s.changes.filter((x) => x.reason === undefined)) {
    lines.push(`  updated         ${c.image} ${c.field}: ${c.from ?? '(none)'} → ${c.to}`)
  }
  // A conversion changes digest, size and media type at once: one line per image, with why.
  for (const c of s.changes.filter((x) => x.reason !== undefined && x.field === 'contentDigest')) {
    lines.push(`  converted       ${c.image} ${c.from ?? '(none)'} → ${c.to}: ${c.reason}`)
  }
  for (const stale of s.staleReferrers) {
    const which =
      stale.referrers.length > 0 ? stale.referrers.map((r) => `${r.artifactType ?? r.mediaType} ${r.digest}`).join(', ') : 'any signature'
    lines.push(`  not signed      ${stale.image}: ${which} over ${stale.original} does not apply to the published ${stale.published}`)
  }
  if (s.relocationMap) for (const [from, to] of Object.entries(s.relocationMap)) lines.push(`  relocated       ${from} → ${to}`)
  return lines.join('\n')
}

function chosen(s: BundleBuilt): string {
  if (s.plan.source === 'report') return `up front, from the saved \`registry check\` report (probed ${s.plan.probedAt ?? 'earlier'})`
  if (s.plan.source === 'plan') return 'up front, from the given plan'
  return s.attempts.some((a) => a.error !== undefined)
    ? 'by trying each representation in turn (no saved `registry check` report)'
    : 'first choice of every tier (no saved `registry check` report)'
}

function attemptName(a: PublishAttempt): string {
  return `${a.step} ${a.id}${a.image !== undefined ? ` of ${a.image}` : ''}`
}
