/**
 * Progress bars for long transfers, drawn on stderr only when it is a terminal (and never with
 * --json). One line per blob in flight plus a total line, redrawn at most ten times a second.
 */
import { formatSize } from './render.js'

export interface ProgressSink {
  /** Bytes of `digest` transferred so far out of `total`. */
  update(digest: string, bytes: number, total: number): void
  /** The blob is done (copied, skipped or mounted). */
  done(digest: string, total: number, how: 'copied' | 'skipped' | 'mounted'): void
  /** Clears the bars; call once at the end. */
  finish(): void
}

export const silentProgress: ProgressSink = { update() {}, done() {}, finish() {} }

const MAX_LINES = 6
const BAR_WIDTH = 24

/** A terminal progress display, or a silent one when `enabled` is false. */
export function createProgress(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  if (!enabled || !stream.isTTY) return silentProgress
  const active = new Map<string, { bytes: number; total: number }>()
  let doneBytes = 0
  let doneCount = 0
  let skipped = 0
  let drawnLines = 0
  let lastDraw = 0
  const started = Date.now()

  const draw = (force = false): void => {
    const now = Date.now()
    if (!force && now - lastDraw < 100) return
    lastDraw = now
    const lines: string[] = []
    for (const [digest, p] of [...active].slice(0, MAX_LINES))
      lines.push(`${bar(p.bytes, p.total)} ${short(digest)} ${formatSize(p.bytes)}/${formatSize(p.total)}`)
    if (active.size > MAX_LINES) lines.push(`  … and ${active.size - MAX_LINES} more`)
    const moving = doneBytes + [...active.values()].reduce((n, p) => n + p.bytes, 0)
    const rate = moving / Math.max(0.001, (now - started) / 1000)
    lines.push(`${doneCount} done${skipped ? ` (${skipped} already there)` : ''}, ${formatSize(moving)} at ${formatSize(rate)}/s`)
    const width = stream.columns ?? 80
    let out = drawnLines > 0 ? `\u001B[${drawnLines}A` : ''
    for (const line of lines) out += `\r\u001B[2K${line.slice(0, width - 1)}\n`
    for (let i = lines.length; i < drawnLines; i++) out += '\r\u001B[2K\n'
    if (drawnLines > lines.length) out += `\u001B[${drawnLines - lines.length}A`
    drawnLines = lines.length
    stream.write(out)
  }

  const counted = new Set<string>()
  const finishBlob = (digest: string, total: number, how: 'copied' | 'skipped' | 'mounted'): void => {
    active.delete(digest)
    if (counted.has(digest)) return
    counted.add(digest)
    doneCount++
    if (how === 'skipped') skipped++
    else doneBytes += total
    draw()
  }

  return {
    update(digest, bytes, total) {
      // Callers that only report bytes (bundle fixup) still see a finished blob leave the bars.
      if (bytes >= total) {
        finishBlob(digest, total, 'copied')
        return
      }
      active.set(digest, { bytes, total })
      draw()
    },
    done(digest, total, how) {
      finishBlob(digest, total, how)
    },
    finish() {
      if (drawnLines === 0) return
      stream.write(`\u001B[${drawnLines}A${'\r\u001B[2K\n'.repeat(drawnLines)}\u001B[${drawnLines}A`)
      drawnLines = 0
    },
  }
}

function bar(bytes: number, total: number): string {
  const ratio = total > 0 ? Math.min(1, bytes / total) : 1
  const filled = Math.round(ratio * BAR_WIDTH)
  return `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%`
}

function short(digest: string): string {
  return digest.slice(0, 19)
}

/** The callbacks of a copy that keep `sink` up to date. */
export function copyProgress(sink: ProgressSink): {
  onProgress: (p: { descriptor: { digest: string }; bytes: number; total: number }) => void
  onCopied: (d: { digest: string; size: number }) => void
  onCopySkipped: (d: { digest: string; size: number }) => void
  onMounted: (d: { digest: string; size: number }) => void
} {
  return {
    onProgress: (p) => sink.update(p.descriptor.digest, p.bytes, p.total),
    onCopied: (d) => sink.done(d.digest, d.size, 'copied'),
    onCopySkipped: (d) => sink.done(d.digest, d.size, 'skipped'),
    onMounted: (d) => sink.done(d.digest, d.size, 'mounted'),
  }
}
