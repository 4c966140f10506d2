/** Human output of `copy`: what was copied where, and only the counts that are not zero; a dry run's plan. */
import type { CopyReferenceResult } from '../publish/copy-reference.js'
import { formatSize, plural } from './render.js'
import { renderPlan } from './render-plan.js'

export function renderCopy(r: CopyReferenceResult): string {
  if (r.dryRun !== undefined) {
    return [
      `Dry run: copy ${r.source} → ${r.destination} (nothing was written)`,
      `  digest  ${r.descriptor.digest}`,
      ...renderPlan(r.dryRun),
    ].join('\n')
  }
  const s = r.stats
  if (s.copied === 0 && s.mounted === 0) {
    return [`Copied ${r.source} → ${r.destination} (already there, nothing copied)`, `  digest  ${r.descriptor.digest}`].join('\n')
  }
  const parts = [
    `${s.copied} copied (${formatSize(s.bytesCopied)})`,
    ...(s.mounted > 0 ? [`${s.mounted} mounted`] : []),
    ...(s.skipped > 0 ? [`${s.skipped} already there`] : []),
  ]
  return [
    `Copied ${r.source} → ${r.destination}`,
    `  digest  ${r.descriptor.digest}`,
    `  ${plural(s.nodes, 'object')}: ${parts.join(', ')}`,
    ...(r.referrers ? [`  ${plural(r.referrers.length, 'referrer')} copied`] : []),
  ].join('\n')
}
