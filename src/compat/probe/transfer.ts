/**
 * The requests every probe step builds on: upload sessions, blob uploads in the mode the probe
 * found to work, manifest PUTs and GETs. Each returns the registry's Answer; none throws on a
 * refusal.
 */
import { digestOf } from '../../oci/digest.js'
import { blobPath, manifestPath, uploadsPath } from '../../registry/urls.js'
import type { Content } from './content.js'
import { answerHeader, type Answer, type ProbeSession } from './probe-session.js'

/** Bytes per PATCH of the probe's chunked uploads: small enough for any registry (GHCR caps at 4 MiB, GHCR-3). */
export const PROBE_CHUNK_BYTES = 1024 * 1024

/** The absolute URL of an answer's Location, or undefined when it has none. */
export function locationOf(s: ProbeSession, answer: Answer): string | undefined {
  const value = answerHeader(answer, 'location')
  return value === undefined ? undefined : new URL(value, `${s.client.origin(s.registry)}/`).toString()
}

/** POST `/blobs/uploads/` with `query` (mount, digest) and an optional body. */
export function startUpload(
  s: ProbeSession,
  repository: string,
  query: Record<string, string> = {},
  body?: Buffer,
  extraScopes: string[] = [],
): Promise<Answer> {
  return s.send({
    method: 'POST',
    path: uploadsPath(repository),
    query,
    headers: body === undefined ? {} : { 'content-type': 'application/octet-stream' },
    ...(body !== undefined && { body }),
    scopes: [...s.scopes('pull,push', repository), ...extraScopes],
  })
}

/** DELETE of an upload session we give up (best effort: the answer does not matter). */
export async function cancelUpload(s: ProbeSession, location: string | undefined, repository = s.repository): Promise<void> {
  if (location !== undefined) await s.send({ method: 'DELETE', path: location, scopes: s.scopes('pull,push', repository) })
}

/** POST, then one PUT `?digest=` with the whole body (checklist P1.2). Returns the last answer. */
export async function monolithicUpload(s: ProbeSession, blob: Content, repository = s.repository): Promise<Answer> {
  const post = await startUpload(s, repository)
  const location = locationOf(s, post)
  if (post.status !== 202 || location === undefined) return post
  const put = await s.send({
    method: 'PUT',
    path: location,
    query: { digest: blob.desc.digest },
    headers: { 'content-type': 'application/octet-stream' },
    body: blob.bytes,
    scopes: s.scopes('pull,push', repository),
  })
  if (put.status !== 201) await cancelUpload(s, location, repository)
  return put
}

/** What a chunked upload saw: the last answer, and each PATCH's status and Range. */
export interface ChunkedResult {
  answer: Answer
  patches: Array<{ status: number; range: string | undefined; sent: number }>
}

/**
 * POST, PATCH chunks of `chunkBytes` with spec-form `Content-Range` (`a-b`, ACR-3) following
 * the fresh Location after each, then PUT `?digest=` without a body (checklist P1.5). Offsets
 * come from what was sent, not from `Range` (ECR's does not advance, ECR-4). 201 and 204 answers
 * to PATCH are taken as progress (ECR-3, OTH-2) and reported by the caller.
 */
export async function chunkedUpload(
  s: ProbeSession,
  blob: Content,
  chunkBytes = PROBE_CHUNK_BYTES,
  repository = s.repository,
): Promise<ChunkedResult> {
  const patches: ChunkedResult['patches'] = []
  const post = await startUpload(s, repository)
  let location = locationOf(s, post)
  if (post.status !== 202 || location === undefined) return { answer: post, patches }
  for (let offset = 0; offset < blob.bytes.length; offset += chunkBytes) {
    const chunk = blob.bytes.subarray(offset, offset + chunkBytes)
    const patch = await s.send({
      method: 'PATCH',
      path: location,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}` },
      body: chunk,
      scopes: s.scopes('pull,push', repository),
    })
    patches.push({ status: patch.status, range: answerHeader(patch, 'range'), sent: offset + chunk.length })
    if (![201, 202, 204].includes(patch.status)) {
      await cancelUpload(s, location, repository)
      return { answer: patch, patches }
    }
    location = locationOf(s, patch) ?? location
  }
  const put = await s.send({
    method: 'PUT',
    path: location,
    query: { digest: blob.desc.digest },
    scopes: s.scopes('pull,push', repository),
  })
  if (put.status !== 201) await cancelUpload(s, location, repository)
  return { answer: put, patches }
}

/**
 * Uploads a blob the probe needs as a prerequisite, in the mode P1 found to work (monolithic
 * unless only chunked worked), and notes it for the clean-up. True when stored.
 */
export async function uploadBlob(s: ProbeSession, blob: Content, repository = s.repository): Promise<boolean> {
  const answer =
    s.support('monolithic-upload') === 'unsupported' && s.support('chunked-upload') === 'supported'
      ? (await chunkedUpload(s, blob, PROBE_CHUNK_BYTES, repository)).answer
      : await monolithicUpload(s, blob, repository)
  if (answer.status !== 201) return false
  s.pushed(repository, blob.desc)
  return true
}

/** GET of a blob, true when the bytes hash to `digest`. */
export async function blobReadsBack(s: ProbeSession, digest: string, repository = s.repository): Promise<boolean> {
  const get = await s.send({ method: 'GET', path: blobPath(repository, digest), scopes: s.scopes('pull', repository) })
  return get.status === 200 && digestOf(get.body) === digest
}

/**
 * PUT of a manifest under `reference` (tag or digest) with its media type as Content-Type. A
 * 201 whose `Docker-Content-Digest` names other bytes is turned into a failure (status kept,
 * note added): the registry stored something else. Pushed manifests are noted for the clean-up.
 */
export async function putManifest(s: ProbeSession, manifest: Content, reference: string, repository = s.repository): Promise<Answer> {
  const answer = await s.send({
    method: 'PUT',
    path: manifestPath(repository, reference),
    headers: { 'content-type': manifest.desc.mediaType },
    body: manifest.bytes,
    scopes: s.scopes('pull,push', repository),
  })
  if (answer.status !== 201) return answer
  const stored = answerHeader(answer, 'docker-content-digest')
  if (stored !== undefined && stored !== manifest.desc.digest) {
    return { ...answer, evidence: { ...answer.evidence, note: `the registry stored ${stored}, not the ${manifest.desc.digest} sent` } }
  }
  s.pushed(repository, manifest.desc, reference === manifest.desc.digest ? undefined : reference)
  return answer
}

/** A 201 to putManifest that stored the bytes sent. */
export function accepted(answer: Answer): boolean {
  return answer.status === 201 && answer.evidence.note === undefined
}

/**
 * GET (or HEAD) of a manifest with an Accept of exactly `mediaType` (checklist P4: strict
 * Accept). A 200 passes when Content-Type is `mediaType` and the digest matches: the body's
 * hash for GET, `Docker-Content-Digest` for HEAD. The note says what did not match.
 */
export async function fetchManifest(
  s: ProbeSession,
  method: 'GET' | 'HEAD',
  reference: string,
  expected: Content,
  repository = s.repository,
): Promise<{ ok: boolean; answer: Answer }> {
  const answer = await s.send({
    method,
    path: manifestPath(repository, reference),
    headers: { accept: expected.desc.mediaType },
    scopes: s.scopes('pull', repository),
  })
  if (answer.status !== 200) return { ok: false, answer }
  const problems: string[] = []
  const type = answerHeader(answer, 'content-type')?.split(';')[0]?.trim()
  if (type !== expected.desc.mediaType) problems.push(`Content-Type ${type ?? '(none)'} instead of ${expected.desc.mediaType}`)
  const digestHeader = answerHeader(answer, 'docker-content-digest')
  if (method === 'GET' && !expected.bytes.equals(answer.body)) problems.push(`the body is not the ${expected.desc.size} bytes pushed`)
  if (method === 'HEAD' && digestHeader !== expected.desc.digest) {
    problems.push(
      digestHeader === undefined
        ? 'no Docker-Content-Digest header'
        : `Docker-Content-Digest ${digestHeader} instead of ${expected.desc.digest}`,
    )
  }
  if (problems.length === 0) return { ok: true, answer }
  return { ok: false, answer: { ...answer, evidence: { ...answer.evidence, note: problems.join('; ') } } }
}
