/**
 * Human output of `archive` and `verify`: what went into an archive, and whether a bundle is
 * complete and intact, with every problem and where it was expected.
 */
import type { ArchiveResult } from '../publish/archive-bundle.js'
import type { VerifyProblem, VerifyResult } from '../publish/verify-bundle.js'
import { formatSize, plural, style } from './render.js'

export function renderArchive(r: ArchiveResult): string {
  const lines = [
    `Archived ${r.source} → ${r.file} (${formatSize(r.size)})`,
    `  bundle digest   ${r.digest} (tag ${r.tag} in the archive)`,
    `  content         ${plural(r.content.blobs, 'object')} (manifests and blobs), ${formatSize(r.content.bytes)} before compression, every digest verified`,
    `  images          ${Object.keys(r.images).length}`,
  ]
  for (const [image, desc] of Object.entries(r.images)) lines.push(`                  ${image} ${style.dim(desc.digest)}`)
  if (r.referrers !== undefined)
    lines.push(`  referrers       ${r.referrers.length} (signatures, SBOMs and other artifacts that refer to the bundle or its images)`)
  return lines.join('\n')
}

export function renderVerify(r: VerifyResult): string {
  const verdict =
    r.status === 'complete'
      ? style.green('complete: every descriptor is present and matches its digest and size')
      : r.status === 'incomplete'
        ? style.yellow(`incomplete: ${plural(r.missing.length, 'item')} missing`)
        : style.red(
            `corrupt: ${plural(r.corrupt.length, 'item')} present but wrong${r.missing.length > 0 ? `, ${r.missing.length} missing` : ''}`,
          )
  const lines = [
    `${r.source}${r.digest !== undefined ? ` (${r.digest})` : ''}: ${verdict}`,
    `  checked         ${plural(r.checked.manifests, 'manifest')}, ${plural(r.checked.blobs, 'blob')}, ${formatSize(r.checked.bytes)}; ${plural(r.referrers, 'referrer')}`,
  ]
  for (const image of r.images)
    lines.push(`  ${image.status.padEnd(15)} ${image.image}${image.digest !== undefined ? ` ${style.dim(image.digest)}` : ''}`)
  for (const p of r.corrupt) lines.push(problemLine('corrupt', p))
  for (const p of r.missing) lines.push(problemLine('missing', p))
  return lines.join('\n')
}

function problemLine(kind: 'corrupt' | 'missing', p: VerifyProblem): string {
  const label = kind === 'corrupt' ? style.red('corrupt') : style.yellow('missing')
  return `  ${label}${' '.repeat(9)}${p.digest ?? ''}${p.digest !== undefined ? ' ' : ''}at ${p.where}${p.problem !== 'missing' ? `: ${p.problem}` : ''}`
}
