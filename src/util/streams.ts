/**
 * Stream helpers that know nothing of OCI content: bounded reads of untrusted input.
 */
import { Readable } from 'node:stream'
import { SizeLimitError } from '../errors.js'

/**
 * Reads a whole stream into memory, failing with SizeLimitError as soon as it exceeds `limit`
 * bytes so a hostile or broken source cannot exhaust memory.
 */
export async function readBounded(source: AsyncIterable<Uint8Array>, limit: number, what = 'content'): Promise<Buffer> {
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of source) {
    total += chunk.length
    if (total > limit) {
      if (source instanceof Readable) source.destroy()
      throw new SizeLimitError(what, limit)
    }
    chunks.push(Buffer.from(chunk))
  }
  return Buffer.concat(chunks, total)
}
