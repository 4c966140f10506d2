/**
 * P1 (blob upload modes) and P2 (cross-repository mount) of the checklist. Chunked uploads are the
 * least portable path (ACR-3, ZOT-3 and those below), so their oddities are recorded separately
 * from whether the blob arrives: PATCH answered 201 (ECR-3) or 204 (OTH-2), a `Range` that stops
 * advancing (ECR-4), a 4 MiB cap per request (GHCR-3).
 */
import { blobPath } from '../../registry/urls.js'
import { randomBlob, type Content } from './content.js'
import { answerHeader, judge, withNote, type ProbeSession } from './probe-session.js'
import { blobReadsBack, cancelUpload, chunkedUpload, locationOf, monolithicUpload, PROBE_CHUNK_BYTES, startUpload } from './transfer.js'

/** Above GHCR's 4.00 MiB limit per request (GHCR-3), as the checklist's "one of 5 MiB". */
const LARGE_CHUNK_BYTES = 5 * 1024 * 1024

/**
 * Runs P1.2 (POST + PUT), P1.3 (single POST), P1.5 (chunked, and a 5 MiB chunk). Returns the
 * blob of the monolithic upload when it was stored, as the source of the mount probe.
 */
export async function probeUploads(s: ProbeSession): Promise<Content | undefined> {
  const stored = await probeMonolithic(s)
  await probeSinglePost(s)
  await probeChunked(s)
  await probeLargeChunk(s)
  return stored
}

async function probeMonolithic(s: ProbeSession): Promise<Content | undefined> {
  const blob = randomBlob(1024)
  const put = await monolithicUpload(s, blob)
  if (put.status !== 201) {
    s.record('monolithic-upload', judge(false, put), put.evidence)
    return undefined
  }
  s.pushed(s.repository, blob.desc)
  // The checklist's confirmation: HEAD names the digest, GET returns the bytes.
  const head = await s.send({ method: 'HEAD', path: blobPath(s.repository, blob.desc.digest), scopes: s.scopes('pull') })
  const headOk = head.status === 200 && answerHeader(head, 'docker-content-digest') === blob.desc.digest
  const readBack = await blobReadsBack(s, blob.desc.digest)
  const ok = headOk && readBack
  const problem = headOk ? 'the blob does not read back as uploaded' : 'HEAD does not confirm the uploaded digest'
  s.record('monolithic-upload', ok ? 'supported' : 'unsupported', ok ? put.evidence : withNote(head.evidence, problem))
  return ok ? blob : undefined
}

/** P1.3: 201 means the body was taken; 202 opens a session instead (distribution 2.8 drops the body). */
async function probeSinglePost(s: ProbeSession): Promise<void> {
  const blob = randomBlob(512)
  const post = await startUpload(s, s.repository, { digest: blob.desc.digest }, blob.bytes)
  if (post.status === 201) {
    s.pushed(s.repository, blob.desc)
    s.record('single-post-upload', 'supported', post.evidence)
    return
  }
  if (post.status === 202) {
    await cancelUpload(s, locationOf(s, post))
    s.record(
      'single-post-upload',
      'unsupported',
      withNote(post.evidence, 'the registry opened an upload session instead; POST then PUT is needed'),
    )
    return
  }
  s.record('single-post-upload', judge(false, post), post.evidence)
}

/** P1.5 with 1 MiB chunks: `chunked-upload` is whether the blob arrives, `chunk-range-header` whether PATCH answers as the spec says. */
async function probeChunked(s: ProbeSession): Promise<void> {
  const blob = randomBlob(2 * PROBE_CHUNK_BYTES + 1000)
  const { answer, patches } = await chunkedUpload(s, blob)
  const arrived = answer.status === 201 && (await blobReadsBack(s, blob.desc.digest))
  if (arrived) s.pushed(s.repository, blob.desc)
  const flags: string[] = []
  const statuses = [...new Set(patches.map((p) => p.status))].filter((st) => st !== 202)
  if (statuses.length > 0)
    flags.push(`PATCH answered ${statuses.join(', ')} instead of 202${statuses.includes(201) ? ' (as ECR does, ECR-3)' : ''}`)
  const stale = patches.filter((p) => p.range === undefined || !p.range.trim().endsWith(`-${p.sent - 1}`))
  if (stale.length > 0) {
    const ranges = patches.map((p) => p.range ?? '(none)').join(', ')
    flags.push(
      `Range did not follow the bytes sent: ${ranges} after ${patches.map((p) => p.sent).join(', ')} bytes${stale.length < patches.length ? ' (stuck, as ECR-4)' : ''}`,
    )
  }
  const note = flags.join('; ')
  s.record('chunked-upload', judge(arrived, answer), note ? withNote(answer.evidence, note) : answer.evidence)
  if (patches.length === 0 || !arrived) return
  s.record('chunk-range-header', flags.length === 0 ? 'supported' : 'unsupported', flags.length === 0 ? answer.evidence : { note })
}

/** P1.5's 5 MiB chunk: GHCR answers 416 with "exceeds the maximum permissible limit of 4.00MiB" (GHCR-3). */
async function probeLargeChunk(s: ProbeSession): Promise<void> {
  const post = await startUpload(s, s.repository)
  const location = locationOf(s, post)
  if (post.status !== 202 || location === undefined) {
    s.record('chunk-over-4mib', 'unknown', withNote(post.evidence, 'no upload session to send the chunk in'))
    return
  }
  const chunk = randomBlob(LARGE_CHUNK_BYTES).bytes
  const patch = await s.send({
    method: 'PATCH',
    path: location,
    headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${chunk.length - 1}` },
    body: chunk,
    scopes: s.scopes('pull,push'),
  })
  await cancelUpload(s, locationOf(s, patch) ?? location)
  s.record('chunk-over-4mib', judge([201, 202, 204].includes(patch.status), patch), patch.evidence)
}

/**
 * P2.1: mount `blob` from the probe repository into the second one. 201 mounts; 202 is the
 * documented "not mounted, here is an upload instead" (cancelled); other answers are
 * non-conformant (Harbor 401, HAR-3; Docker Hub 400, HUB-6). Unknown without a second
 * repository (a registry that does not create repositories on push) or without a source blob.
 */
export async function probeMount(s: ProbeSession, blob: Content | undefined): Promise<void> {
  if (s.mountRepository === undefined || blob === undefined) {
    const note =
      blob === undefined
        ? 'no blob to mount: the upload probe failed'
        : 'needs a second repository, and the registry does not create repositories on push'
    s.record('cross-repo-mount', 'unknown', { note })
    return
  }
  const target = s.mountRepository
  const post = await startUpload(s, target, { mount: blob.desc.digest, from: s.repository }, undefined, s.scopes('pull'))
  if (post.status === 201) {
    s.pushed(target, blob.desc)
    const there = await blobReadsBack(s, blob.desc.digest, target)
    const evidence = there ? post.evidence : withNote(post.evidence, 'mounted, but the blob does not read back in the target repository')
    s.record('cross-repo-mount', there ? 'supported' : 'unsupported', evidence)
    return
  }
  if (post.status === 202) {
    await cancelUpload(s, locationOf(s, post), target)
    s.record('cross-repo-mount', 'unsupported', withNote(post.evidence, 'the registry opened an upload instead of mounting'))
    return
  }
  s.record('cross-repo-mount', judge(false, post), post.evidence)
}
