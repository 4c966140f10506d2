/** Human output of a dry run (DryRunPlan): one line per write that would be made, then what is there already. */
import type { DryRunPlan } from '../copy/dry-run.js'
import { formatSize, plural } from './render.js'

/** The plan as lines, indented by two spaces; nothing was written. */
export function renderPlan(plan: DryRunPlan): string[] {
  const lines = plan.writes.map((w) => {
    const d = w.descriptor
    if (w.action === 'tag') return `  would tag      ${w.tag} → ${d.digest}`
    const what = `${d.digest}  ${shortType(d.mediaType)}  ${formatSize(d.size)}`
    return w.action === 'mount'
      ? `  would mount    ${what}  from ${w.from} (uploaded where the registry will not)`
      : `  would push     ${what}`
  })
  const pushes = plan.writes.filter((w) => w.action === 'push')
  const bytes = pushes.reduce((n, w) => n + w.descriptor.size, 0)
  const mounts = plan.writes.filter((w) => w.action === 'mount').length
  const tags = plan.writes.filter((w) => w.action === 'tag').length
  lines.push(
    `  in all: ${plural(pushes.length, 'push')} (${formatSize(bytes)}), ${plural(mounts, 'mount')}, ${plural(tags, 'tag')}; ${plan.present.length} already there`,
  )
  return lines
}

function shortType(mediaType: string): string {
  return mediaType.replace(/^application\/vnd\./, '')
}
