/**
 * A minimal, deterministic POSIX ustar writer: owner 0:0, mtime 0, the entries in the order
 * given, so the same input always gives the same bytes (and digest). Used for the example images
 * and for test layers.
 * Reference: https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html#tag_20_92_13_06
 */
const BLOCK = 512

export interface TarEntry {
  path: string
  content: Uint8Array
  mode: number
  /** '0' regular file, '5' directory. */
  type: '0' | '5'
}

export function ustarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const e of entries) {
    parts.push(header(e), Buffer.from(e.content), Buffer.alloc((BLOCK - (e.content.length % BLOCK)) % BLOCK))
  }
  parts.push(Buffer.alloc(2 * BLOCK)) // end of archive: two zero blocks
  return Buffer.concat(parts)
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`
}

function header(e: TarEntry): Buffer {
  if (Buffer.byteLength(e.path) > 100) throw new Error(`tar entry name longer than 100 bytes: ${e.path}`)
  const h = Buffer.alloc(BLOCK)
  h.write(e.path, 0, 100, 'utf8')
  h.write(octal(e.mode, 8), 100)
  h.write(octal(0, 8), 108) // uid
  h.write(octal(0, 8), 116) // gid
  h.write(octal(e.content.length, 12), 124)
  h.write(octal(0, 12), 136) // mtime: the epoch
  h.write(' '.repeat(8), 148) // the checksum is computed with its own field as spaces
  h.write(e.type, 156)
  h.write('ustar\0', 257)
  h.write('00', 263)
  let sum = 0
  for (const byte of h) sum += byte
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
  return h
}
