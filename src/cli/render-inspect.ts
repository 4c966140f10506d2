/** Human output of `inspect`: the bundle, its images with digests and platforms, and what an installer asks for. */
import type { InspectResult } from '../publish/inspect.js'

export function renderInspect(r: InspectResult): string {
  const lines = [`${r.name} ${r.version}  ${r.digest}`]
  if (r.description) lines.push(`  ${r.description}`)
  lines.push(`  stored as ${r.representation.index}, config ${r.representation.config}`)
  for (const role of ['invocation', 'component'] as const) {
    const list = r.images.filter((i) => i.role === role)
    if (list.length === 0) continue
    lines.push(role === 'invocation' ? 'invocation image' : 'images')
    for (const i of list) {
      lines.push(`  ${i.name ? `${i.name}: ` : ''}${i.image}${i.description ? `  (${i.description})` : ''}`)
      if (i.relocated) lines.push(`    at        ${i.relocated}`)
      lines.push(
        `    digest    ${i.digest ?? '(none)'}  ${i.size ?? '?'} bytes  ${shortType(i.mediaType)}${i.platforms.length ? `  ${i.platforms.join(', ')}` : ''}`,
      )
    }
  }
  if (r.parameters.length) {
    lines.push('parameters')
    for (const p of r.parameters)
      lines.push(
        `  ${p.name}${p.type ? ` (${p.type})` : ''}${p.required ? ' required' : ''}${p.default !== undefined ? ` default ${JSON.stringify(p.default)}` : ''}${p.env ? ` → $${p.env}` : ''}${p.path ? ` → ${p.path}` : ''}`,
      )
  }
  if (r.credentials.length) {
    lines.push('credentials')
    for (const c of r.credentials)
      lines.push(`  ${c.name}${c.required ? ' required' : ''}${c.env ? ` → $${c.env}` : ''}${c.path ? ` → ${c.path}` : ''}`)
  }
  if (r.outputs.length) {
    lines.push('outputs')
    for (const o of r.outputs)
      lines.push(
        `  ${o.name}${o.type ? ` (${o.type})` : ''}${o.path ? ` ← ${o.path}` : ''}${o.applyTo ? ` on ${o.applyTo.join(', ')}` : ''}`,
      )
  }
  if (r.actions.length) {
    lines.push('actions')
    for (const a of r.actions) lines.push(`  ${a.name}${a.modifies ? ' (modifies)' : ''}${a.description ? `: ${a.description}` : ''}`)
  }
  return lines.join('\n')
}

function shortType(mt: string | undefined): string {
  if (mt === undefined) return ''
  if (mt.includes('index')) return 'OCI index'
  if (mt.includes('manifest.list')) return 'Docker manifest list'
  if (mt.includes('oci.image.manifest')) return 'OCI manifest'
  if (mt.includes('docker.distribution.manifest.v2')) return 'Docker manifest'
  return mt
}
