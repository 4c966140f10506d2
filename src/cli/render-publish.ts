/**
 * Human output of `build` and `push`: where the bundle went, its digest and representation, and
 * then one line for each thing that changed or was unusual: why the representation was chosen
 * when it was not simply the first choice, every fallback taken, each image whose description
 * was filled in or converted, the signatures that do not apply to a converted image, the
 * relocation map. A bundle that was there already gets its digest and, since the images
 * published still are not covered by them, those signatures; a dry run gets its plan.
 */
import type { FixupChange } from '../publish/fixup.js'
import type { BundleBuilt, BundleCopied, PublishOutcome } from '../publish/publish.js'
import type { PublishAttempt } from '../publish/publish-errors.js'
import { describeOutcome, type PublishManyResult } from '../publish/publish-many.js'
import { describeBundleRepresentation } from '../publish/refit-errors.js'
import { renderPlan } from './render-plan.js'

/** `verb` says what happened (`Pushed`, `Built`); a dry run says what would have (`Dry run: push`). */
export function renderPublish(s: PublishOutcome, verb: 'Pushed' | 'Built'): string {
  const lines = s.kind === 'copied' ? renderCopied(s) : renderBuilt(s, verb)
  if (s.dryRun !== undefined) lines.push(...renderPlan(s.dryRun))
  return lines.join('\n')
}

/** A bundle copied as it is (from a layout or another registry): same bytes, same digest. */
function renderCopied(s: BundleCopied): string[] {
  const head = headline(s.dryRun !== undefined ? 'Dry run: push' : 'Pushed', s.source, s.reference, s.unchanged, s.dryRun !== undefined)
  const lines = [head, `  bundle digest   ${s.digest} (unchanged: index and config bytes copied as they are)`]
  if (s.unchanged || s.dryRun !== undefined) return lines
  lines.push(
    `  copied          ${s.stats.copied} of ${s.stats.nodes} objects (${s.stats.skipped} already there, ${s.stats.mounted} mounted)`,
  )
  if (s.referrers !== undefined) {
    lines.push(
      `  referrers       ${s.referrers.length} came along (signatures, SBOMs and other artifacts that refer to the bundle or its images)`,
    )
  }
  if (s.relocationMap) for (const [from, to] of Object.entries(s.relocationMap)) lines.push(`  relocated       ${from} → ${to}`)
  return lines
}

function renderBuilt(s: BundleBuilt, verb: 'Pushed' | 'Built'): string[] {
  const dry = s.dryRun !== undefined
  const refs = s.manifestRefs === 'digest' ? 'digest' : 'digest and under ocibundle-<alg>-<hex> tags'
  const lines = [
    headline(dry ? `Dry run: ${verb === 'Pushed' ? 'push' : 'build'}` : verb, s.source, s.reference, s.unchanged, dry),
    `  bundle digest   ${s.digest}${s.archived !== undefined ? ` (archived as ${s.archived.digest})` : ''}`,
    ...(s.archived !== undefined
      ? [
          `  not as archived the registry refused the archived bundle (${s.archived.refusal}); published from bundle.json with the archive's images`,
        ]
      : []),
    `  representation  ${s.representation.index} + ${s.representation.config} (${s.representation.shape}), manifests by ${refs}`,
    ...refitLines(s),
  ]
  // Nothing was written, but the published images still are not covered by these signatures.
  if (s.unchanged) return [...lines, ...notSigned(s)]
  const why = chosen(s, dry)
  if (why !== undefined) lines.push(`  chosen          ${why}`, ...s.plan.reasons.map((r) => `                  ${r}`))
  for (const a of s.attempts) {
    if (a.error !== undefined && a.classification?.fallback === true) lines.push(`  fallback        ${attemptName(a)} refused: ${a.error}`)
    else if (a.error !== undefined) lines.push(`  failed          ${attemptName(a)}: ${a.error}`)
    else if (a.skipped !== undefined) lines.push(`  skipped         ${attemptName(a)}: ${a.skipped}`)
  }
  // One line per image: what --auto-update wrote, or what a conversion for the registry changed, and why.
  for (const [image, changes] of byImage(s.changes)) {
    const digest = changes.find((c) => c.field === 'contentDigest')
    const reason = changes.find((c) => c.reason !== undefined)?.reason
    const fields = changes.map((c) => c.field).join(', ')
    lines.push(
      reason !== undefined
        ? `  converted       ${image} ${digest?.from ?? '(none)'} → ${digest?.to ?? '?'}: ${reason}`
        : `  filled in       ${image} ${fields}${digest !== undefined ? ` (${digest.to})` : ''}`,
    )
  }
  lines.push(...notSigned(s))
  if (s.relocationMap && !dry) for (const [from, to] of Object.entries(s.relocationMap)) lines.push(`  relocated       ${from} → ${to}`)
  return lines
}

/** A published bundle re-fitted for the registry: what it was, why, and the signatures of its old index that do not apply. */
function refitLines(s: BundleBuilt): string[] {
  if (s.refit === undefined) return []
  const { from, reasons, staleReferrers } = s.refit
  return [
    `  re-fitted       from ${from.digest} (${describeBundleRepresentation(from.representation)}); bundle.json ${s.changes.length === 0 ? 'byte for byte as published' : 'changed as listed below'}`,
    ...reasons.map((r) => `                  ${r}`),
    ...staleReferrers.map(
      (r) => `  not signed      the bundle: ${r.artifactType ?? r.mediaType} ${r.digest} over ${from.digest} does not apply to ${s.digest}`,
    ),
    ...(s.referrers !== undefined ? [`  referrers       ${s.referrers.length} of the unchanged images came along`] : []),
  ]
}

/** One line per converted image: the referrers of its original manifest, which do not apply to the published one. */
function notSigned(s: BundleBuilt): string[] {
  return s.staleReferrers.map((stale) => {
    const which =
      stale.referrers.length > 0 ? stale.referrers.map((r) => `${r.artifactType ?? r.mediaType} ${r.digest}`).join(', ') : 'any signature'
    return `  not signed      ${stale.image}: ${which} over ${stale.original} does not apply to the published ${stale.published}`
  })
}

function headline(verb: string, source: string, reference: string, unchanged: boolean, dry: boolean): string {
  const state = unchanged ? ' (already there, nothing written)' : dry ? ' (nothing was written)' : ''
  return `${verb} ${source} → ${reference}${state}`
}

/** The flag that forces each decision. */
const FLAGS = { index: '--index-format', config: '--config-variant', manifestRefs: '--manifest-refs' } as const

/** Why this representation, when that is worth a line: a saved report, a given plan, or fallbacks. */
function chosen(s: BundleBuilt, dry: boolean): string | undefined {
  const forced = Object.entries(s.plan.forced ?? {}).map(([decision, id]) => `${FLAGS[decision as keyof typeof FLAGS]} ${id}`)
  if (forced.length > 0) return `as asked (${forced.join(', ')})`
  if (s.plan.source === 'report') return `up front, from the saved \`registry check\` report (probed ${s.plan.probedAt ?? 'earlier'})`
  if (s.plan.source === 'plan') return 'up front, from the given plan'
  if (s.attempts.some((a) => a.error !== undefined)) return 'by trying each representation in turn (no saved `registry check` report)'
  return dry ? 'the first choice (no saved `registry check` report; a registry that refuses it gets the next one)' : undefined
}

function byImage(changes: readonly FixupChange[]): Map<string, FixupChange[]> {
  const out = new Map<string, FixupChange[]>()
  for (const c of changes) out.set(c.image, [...(out.get(c.image) ?? []), c])
  return out
}

function attemptName(a: PublishAttempt): string {
  return `${a.step} ${a.id}${a.image !== undefined ? ` of ${a.image}` : ''}`
}

/** `push` to several destinations: each destination's output, then a table (digest, representation, fallbacks and re-fit) and the note on the digests. */
function renderPublishMany(r: PublishManyResult, verb: 'Pushed'): string {
  const blocks = r.destinations.map((d) =>
    d.status === 'published'
      ? renderPublish(d.outcome, verb)
      : [`Failed ${r.source} → ${d.destination}`, `  error           ${d.message}`, ...d.suggestions.map((s) => `  → ${s}`)].join('\n'),
  )
  const rows = r.destinations.map((d) => {
    if (d.status === 'failed') return [d.destination, 'failed', d.code, '']
    const o = d.outcome
    const fallbacks = o.kind === 'built' ? o.attempts.filter((a) => a.error !== undefined && a.classification?.fallback === true).length : 0
    return [d.destination, o.digest, describeOutcome(o), fallbacks > 0 ? `${fallbacks} fallback${fallbacks === 1 ? '' : 's'}` : '']
  })
  const table = [['DESTINATION', 'DIGEST', 'REPRESENTATION', 'FALLBACKS'], ...rows]
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)))
  const lines = table.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  )
  const failed = r.failed > 0 ? [`${r.failed} of ${r.destinations.length} destinations failed`] : []
  return [...blocks, '', ...lines, '', r.note, ...failed].join('\n')
}

/** The JSON form of publishToMany's result: each failure as `{name, code, message, suggestions}` (an Error does not serialise). */
function publishManyJson(r: PublishManyResult): PublishManyJson {
  return {
    ...r,
    destinations: r.destinations.map((d) =>
      d.status === 'published'
        ? d
        : { destination: d.destination, status: d.status, error: { code: d.code, message: d.message, suggestions: d.suggestions } },
    ),
  }
}

/** What `push --json` prints as result for several destinations. */
export interface PublishManyJson extends Omit<PublishManyResult, 'destinations'> {
  destinations: Array<
    | { destination: string; status: 'published'; outcome: PublishOutcome }
    | { destination: string; status: 'failed'; error: { code: string; message: string; suggestions: string[] } }
  >
}

/**
 * What `push` prints and returns for `r`: with one destination, its output as a single push has
 * it (its error thrown, so it exits as that error does); with several, the table and the JSON of
 * every outcome, and `failed`, the first error, which decides the exit code.
 */
export function pushOutput(
  r: PublishManyResult,
  single: boolean,
): { text: string; json: PublishOutcome | PublishManyJson; failed?: unknown } {
  const [only] = r.destinations
  if (single && only !== undefined) {
    if (only.status === 'failed') throw only.error
    return { text: renderPublish(only.outcome, 'Pushed'), json: only.outcome }
  }
  const failed = r.destinations.find((d) => d.status === 'failed')
  return { text: renderPublishMany(r, 'Pushed'), json: publishManyJson(r), ...(failed !== undefined && { failed: failed.error }) }
}
