/**
 * Human output of the artifact and referrer commands: what was pushed and in which form (with
 * the fallbacks taken), what was written, and the referrers as a tree.
 */
import type { TierAttempt } from '../compat/classify.js'
import type { ArtifactPushed, Attached } from '../publish/push-artifact.js'
import type { ArtifactPulled } from '../publish/pull-artifact.js'
import type { ReferrerNode, ReferrerTree } from '../publish/referrer-tree.js'
import { FORM_WORDS } from './artifact-flags.js'
import { formatSize } from './render.js'

export function renderPushed(p: ArtifactPushed, verb = 'Pushed'): string {
  return [
    `${verb} ${p.reference}`,
    `  digest         ${p.descriptor.digest}`,
    `  artifact type  ${p.artifactType}`,
    `  form           ${FORM_WORDS[p.form]}`,
    ...fallbacks(p.attempts),
    ...p.layers.map(
      (l) =>
        `  layer          ${l.title}${l.directory ? '/ (directory, tar+gzip)' : ''} ${l.descriptor.digest} (${formatSize(l.descriptor.size)})`,
    ),
  ].join('\n')
}

export function renderAttached(a: Attached): string {
  const how =
    a.recordedBy === 'registry'
      ? 'by the registry (referrers API, OCI-Subject)'
      : a.recordedBy === 'tag-schema'
        ? `in the referrers tag ${a.referrersTag}`
        : 'in the layout (found through its subject)'
  return [renderPushed(a, 'Attached'), `  subject        ${a.subjectReference}`, `  recorded       ${how}`].join('\n')
}

export function renderPulled(p: ArtifactPulled): string {
  return [
    `Pulled ${p.source} (${p.digest}), every layer verified`,
    ...(p.artifactType !== undefined ? [`  artifact type  ${p.artifactType}`] : []),
    ...p.files.map((f) => `  ${f.directory ? 'directory' : 'file     '}      ${f.path}`),
  ].join('\n')
}

/** The subject, then one line per referrer, indented by level with tree branches. */
export function renderTree(t: ReferrerTree): string {
  const lines = [t.reference]
  const walk = (nodes: readonly ReferrerNode[], indent: string): void => {
    nodes.forEach((n, i) => {
      const last = i === nodes.length - 1
      lines.push(`${indent}${last ? '└── ' : '├── '}${n.artifactType ?? n.mediaType}  ${n.digest}`)
      walk(n.referrers, `${indent}${last ? '    ' : '│   '}`)
    })
  }
  walk(t.referrers, '')
  if (t.referrers.length === 0) lines.push('  (no referrers)')
  return lines.join('\n')
}

/** Counts every node of a tree. */
export function countReferrers(nodes: readonly ReferrerNode[]): number {
  return nodes.reduce((n, r) => n + 1 + countReferrers(r.referrers), 0)
}

function fallbacks(attempts: readonly TierAttempt[]): string[] {
  return attempts.flatMap((a) =>
    a.outcome === 'refused'
      ? [`  fallback       ${a.id} refused: ${a.reason ?? ''}`]
      : a.outcome === 'skipped'
        ? [`  skipped        ${a.id}: ${a.reason ?? ''}`]
        : [],
  )
}
