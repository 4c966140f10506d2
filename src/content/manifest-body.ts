/**
 * Reading a pushed manifest: stores index the content graph when a manifest arrives, so they
 * need its bytes parsed, not just stored.
 */
import { SizeLimitError } from '../errors.js'
import type { Descriptor } from '../oci/descriptor.js'
import { MAX_MANIFEST_BYTES, parseManifest, successors } from '../oci/manifest.js'
import type { Body } from './storage.js'
import { consumeVerified, discardBody } from './verify.js'

/** A verified, parsed manifest push body. */
export interface ManifestBody {
  /** Exactly the pushed bytes; they hash to the expected digest. */
  bytes: Buffer
  /** The nodes the manifest points at (config, layers, child manifests, subject). */
  successors: Descriptor[]
}

/**
 * Reads and verifies a manifest push body, then parses it. Refuses a descriptor above 4 MiB
 * before reading anything, so the claimed size never drives allocation past that bound.
 * Throws SizeLimitError, SizeMismatchError, DigestMismatchError or InvalidContentError; a store
 * calls this before writing, so an unparseable manifest is never stored.
 */
export async function readManifestBody(expected: Descriptor, body: Body, signal?: AbortSignal): Promise<ManifestBody> {
  if (expected.size > MAX_MANIFEST_BYTES) {
    discardBody(body)
    throw new SizeLimitError(`manifest ${expected.digest} (${expected.size} bytes)`, MAX_MANIFEST_BYTES)
  }
  const chunks: Buffer[] = []
  await consumeVerified(body, expected, (chunk) => void chunks.push(chunk), signal)
  const bytes = Buffer.concat(chunks)
  return { bytes, successors: successors(parseManifest(bytes, expected.mediaType)) }
}
