/**
 * P7 of the checklist (deletion) and the clean-up it makes possible. Deletion is often unavailable:
 * GHCR answers 405 UNSUPPORTED (GHCR-2), distribution 405 unless enabled (D2-4) and 400
 * DIGEST_INVALID to a DELETE by tag (its DeleteManifest takes digests only:
 * https://github.com/distribution/distribution/blob/v2.8.2/registry/handlers/manifests.go), Docker
 * Hub has none (HUB-4), ECR refuses to delete a manifest an index still lists (ECR-11: so parents
 * go first). What cannot be deleted is listed as left over.
 */
import { isIndex } from '../../oci/media-types.js'
import { blobPath, manifestPath } from '../../registry/urls.js'
import { judge, withNote, type Answer, type ProbeSession, type Pushed } from './probe-session.js'

/** Deletion answers the spec and registries give for "gone", or "already gone". */
const DELETED = [200, 202, 204]

/** Runs P7.1–P7.3 on content nothing else points at, then deletes what it can. Returns what is left. */
export async function probeDeletesAndCleanUp(s: ProbeSession): Promise<string[]> {
  const artifact = s.manifests.find((m) => m.repository === s.repository && m.tags.includes(s.tag('artifact')))
  await probeDeleteTag(s, artifact)
  await probeDeleteManifest(
    s,
    artifact ?? [...s.manifests].reverse().find((m) => m.repository === s.repository && isIndex(m.desc.mediaType)),
  )
  await probeDeleteBlob(
    s,
    s.blobs.find((b) => b.repository === s.repository),
  )
  return cleanUp(s)
}

function deleteManifest(s: ProbeSession, p: Pushed, reference: string): Promise<Answer> {
  return s.send({ method: 'DELETE', path: manifestPath(p.repository, reference), scopes: s.scopes('delete', p.repository) })
}

/** HEAD with the manifest's own type as Accept: 404 confirms a deletion. */
async function gone(s: ProbeSession, p: Pushed, reference: string, blob = false): Promise<boolean> {
  const path = blob ? blobPath(p.repository, reference) : manifestPath(p.repository, reference)
  const head = await s.send({
    method: 'HEAD',
    path,
    headers: blob ? {} : { accept: p.desc.mediaType },
    scopes: s.scopes('pull', p.repository),
  })
  return head.status === 404
}

async function probeDeleteTag(s: ProbeSession, target: Pushed | undefined): Promise<void> {
  if (target === undefined) {
    s.record('delete-tag', 'unknown', { note: 'no tagged manifest to untag' })
    return
  }
  const tag = s.tag('artifact')
  const answer = await deleteManifest(s, target, tag)
  const ok = DELETED.includes(answer.status) && (await gone(s, target, tag))
  if (ok) target.tags.splice(target.tags.indexOf(tag), 1)
  s.record(
    'delete-tag',
    judge(ok, answer),
    ok || !DELETED.includes(answer.status) ? answer.evidence : withNote(answer.evidence, 'the tag still resolves afterwards'),
  )
}

async function probeDeleteManifest(s: ProbeSession, target: Pushed | undefined): Promise<void> {
  if (target === undefined) {
    s.record('delete-manifest', 'unknown', { note: 'no manifest to delete' })
    return
  }
  const answer = await deleteManifest(s, target, target.desc.digest)
  const ok = DELETED.includes(answer.status) && (await gone(s, target, target.desc.digest))
  if (ok) s.manifests.splice(s.manifests.indexOf(target), 1)
  s.record(
    'delete-manifest',
    judge(ok, answer),
    ok || !DELETED.includes(answer.status) ? answer.evidence : withNote(answer.evidence, 'the manifest is still served afterwards'),
  )
}

async function probeDeleteBlob(s: ProbeSession, target: Pushed | undefined): Promise<void> {
  if (target === undefined) {
    s.record('delete-blob', 'unknown', { note: 'no blob to delete' })
    return
  }
  const answer = await s.send({
    method: 'DELETE',
    path: blobPath(target.repository, target.desc.digest),
    scopes: s.scopes('delete', target.repository),
  })
  // Registries may delete blobs lazily (the conformance suite tests immediate deletion apart, OCI_API_BLOBS_ATOMIC:
  // https://github.com/opencontainers/distribution-spec/blob/main/conformance/README.md); a 202 counts even if HEAD
  // still finds it.
  const ok = DELETED.includes(answer.status)
  if (ok) s.blobs.splice(s.blobs.indexOf(target), 1)
  const lingers = ok && !(await gone(s, target, target.desc.digest, true))
  s.record(
    'delete-blob',
    judge(ok, answer),
    lingers ? withNote(answer.evidence, 'accepted, but the blob is still served (deleted later?)') : answer.evidence,
  )
}

/**
 * Deletes manifests newest first (indexes before the manifests they list: ECR-11), by digest
 * when the registry allows it, else their tags; then blobs. Returns what remains:
 * `manifest <repo>@<digest>`, `tag <repo>:<tag>`, `blob <repo>@<digest>`.
 */
async function cleanUp(s: ProbeSession): Promise<string[]> {
  const left: string[] = []
  for (const m of [...s.manifests].reverse()) {
    if (s.support('delete-manifest') === 'supported') {
      const answer = await deleteManifest(s, m, m.desc.digest)
      if (DELETED.includes(answer.status) || answer.status === 404) continue
    }
    if (s.support('delete-tag') === 'supported') {
      for (const tag of [...m.tags]) if (DELETED.includes((await deleteManifest(s, m, tag)).status)) m.tags.splice(m.tags.indexOf(tag), 1)
    }
    left.push(`manifest ${m.repository}@${m.desc.digest}`, ...m.tags.map((t) => `tag ${m.repository}:${t}`))
  }
  for (const b of [...s.blobs].reverse()) {
    if (s.support('delete-blob') === 'supported') {
      const answer = await s.send({
        method: 'DELETE',
        path: blobPath(b.repository, b.desc.digest),
        scopes: s.scopes('delete', b.repository),
      })
      if (DELETED.includes(answer.status) || answer.status === 404) continue
    }
    left.push(`blob ${b.repository}@${b.desc.digest}`)
  }
  return left
}
