/**
 * Small helpers for human output. Colour only on a terminal and never when NO_COLOR is set
 * (https://no-color.org).
 */

function colourful(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb'
}

function paint(open: number, close: number): (s: string) => string {
  return (s) => (colourful(process.stdout) && colourful(process.stderr) ? `\u001B[${open}m${s}\u001B[${close}m` : s)
}

export const style = {
  red: paint(31, 39),
  green: paint(32, 39),
  yellow: paint(33, 39),
  dim: paint(2, 22),
  bold: paint(1, 22),
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(rows: ReadonlyArray<ReadonlyArray<string>>, indent = ''): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))))
  return rows
    .map(
      (row) =>
        indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visibleLength(cell)))).join('  '),
    )
    .join('\n')
}

function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001B\[[0-9;]*m/g, '').length
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : /(s|sh|ch|x)$/.test(word) ? 'es' : 's'}`
}

/** A byte count for people: B, KiB, MiB or GiB. */
export function formatSize(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`
  return `${(n / 1024 ** 3).toFixed(2)} GiB`
}
