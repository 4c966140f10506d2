/** The human output of `ocibundle gc`. */
import { formatBytes } from '../errors.js'
import type { GarbageCollectionResult } from '../layout/gc.js'

/** One line per blob and leftover removed (or that would be), then a summary. */
export function renderGarbage(r: GarbageCollectionResult): string {
  const verb = r.dryRun ? 'would remove' : 'removed'
  const lines = [
    ...r.blobs.map((b) => `${verb} blob ${b.digest} (${b.size} bytes)`),
    ...r.ingest.map((f) => `${verb} leftover .ingest/${f.file} (${f.size} bytes)`),
    ...r.inUse.map((b) => `kept blob ${b.digest}: another process is writing to the layout and may still link it`),
  ]
  const total = r.bytes >= 1024 && r.bytes % 1024 !== 0 ? `${(r.bytes / (1024 * 1024)).toFixed(1)} MiB` : formatBytes(r.bytes)
  lines.push(
    `${r.dryRun ? 'would free' : 'freed'} ${total} in ${r.layout}: ${r.blobs.length} blobs, ${r.ingest.length} leftovers; ${r.reachable} blobs reachable`,
  )
  return lines.join('\n')
}
