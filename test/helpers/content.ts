/**
 * Test content: blobs, image manifests and indexes with their descriptors, large streamed
 * bodies that are generated on the fly (never held whole), and stream readers.
 */
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { descriptorFromBytes, type Descriptor } from '../../src/oci/descriptor.js'
import { digestStream, type Digest } from '../../src/oci/digest.js'
import { MediaTypes } from '../../src/oci/media-types.js'

/** Content with the descriptor that names it. */
export interface Content {
  desc: Descriptor
  bytes: Buffer
}

export function blob(data: string | Uint8Array, mediaType: string = MediaTypes.OciLayer): Content {
  const bytes = Buffer.from(data)
  return { desc: descriptorFromBytes(mediaType, bytes), bytes }
}

/** An OCI image config blob whose content differs with `label`. */
export function config(label: string): Content {
  const doc = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Labels: { label } } }
  return blob(JSON.stringify(doc), MediaTypes.OciConfig)
}

/** An OCI image manifest pointing at `cfg` and `layers` (and `subject` when given). */
export function manifest(cfg: Content, layers: readonly Content[], subject?: Descriptor): Content {
  const doc = {
    schemaVersion: 2,
    mediaType: MediaTypes.OciManifest,
    config: cfg.desc,
    layers: layers.map((l) => l.desc),
    ...(subject ? { subject } : {}),
  }
  return blob(JSON.stringify(doc), MediaTypes.OciManifest)
}

/** An OCI image index over `manifests`. */
export function index(manifests: readonly Content[]): Content {
  const doc = { schemaVersion: 2, mediaType: MediaTypes.OciIndex, manifests: manifests.map((m) => m.desc) }
  return blob(JSON.stringify(doc), MediaTypes.OciIndex)
}

/** A complete single-layer image whose bytes all differ with `label`. */
export function image(label: string): { config: Content; layer: Content; manifest: Content } {
  const cfg = config(label)
  const layer = blob(`layer of ${label}`)
  return { config: cfg, layer, manifest: manifest(cfg, [layer]) }
}

export interface PatternOptions {
  /** Bytes per chunk; undefined → 64 KiB. */
  chunkSize?: number
  /** Distinguishes two patterns of the same size. */
  seed?: number
  /** Pause before each chunk, to keep a writer busy for a while. */
  delayMs?: number
  /** Called after each chunk with the number of bytes produced so far. */
  onProgress?: (produced: number) => void | Promise<void>
}

/**
 * `total` bytes generated chunk by chunk: each chunk is filled from its index and the seed, so
 * the content is deterministic, differs between chunks, and is never materialised whole.
 */
export async function* pattern(total: number, o: PatternOptions = {}): AsyncGenerator<Buffer> {
  const chunkSize = o.chunkSize ?? 64 * 1024
  let produced = 0
  for (let i = 0; produced < total; i++) {
    if (o.delayMs) await sleep(o.delayMs)
    const chunk = Buffer.alloc(Math.min(chunkSize, total - produced), (i * 31 + (o.seed ?? 0)) % 256)
    if (chunk.length >= 4) chunk.writeUInt32BE(i, 0)
    produced += chunk.length
    yield chunk
    await o.onProgress?.(produced)
  }
}

/** The descriptor of `pattern(total, o)`, computed by streaming it once. */
export async function patternDescriptor(total: number, o: Pick<PatternOptions, 'chunkSize' | 'seed'> = {}): Promise<Descriptor> {
  const { digest, size } = await digestStream(pattern(total, o))
  return { mediaType: MediaTypes.OciLayer, digest, size }
}

/** A pattern as a Readable stream (the shape push bodies usually have). */
export function patternStream(total: number, o: PatternOptions = {}): Readable {
  return Readable.from(pattern(total, o), { objectMode: false })
}

/** Reads a whole stream into one buffer. */
export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}

/** A stream that yields the first `n` bytes of `bytes`, then fails with `error`. */
export function failingAfter(bytes: Uint8Array, n: number, error: Error): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.from(bytes.subarray(0, n))
      throw error
    })(),
    { objectMode: false },
  )
}

/** Sorted digests of descriptors, for order-independent comparison. */
export function digests(descs: readonly Descriptor[]): Digest[] {
  return descs.map((d) => d.digest).sort()
}
