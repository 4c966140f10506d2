/**
 * P4 (pull and content negotiation), P5 (tag listing) and P6 (referrers) of the checklist.
 * Manifests are asked for with a strict Accept (only the pushed type) and checked: Content-Type,
 * bytes, digest. GitHub Packages (docker.pkg.github.com) served manifests by tag only
 * (getporter/porter#695); distribution 2.8 ignores `n` on tags/list (D2-2); GHCR and
 * distribution have no referrers API (GHCR-1, D2-1).
 */
import { randomBytes } from 'node:crypto'
import { digestOf } from '../../oci/digest.js'
import { baseMediaType, MediaTypes } from '../../oci/media-types.js'
import { nextLink, referrersPath, tagsPath } from '../../registry/urls.js'
import type { Support } from '../capabilities.js'
import { indexOf, type TinyImage } from './content.js'
import type { ManifestFindings } from './manifests.js'
import { answerHeader, judge, manifestSupport, withNote, type Answer, type ProbeSession } from './probe-session.js'
import { accepted, fetchManifest, putManifest } from './transfer.js'

/** P4.1–P4.3: GET and HEAD by digest, HEAD by tag, of the tiny OCI image. */
export async function probeReads(s: ProbeSession, found: ManifestFindings): Promise<void> {
  if (found.ociImage === undefined) {
    for (const c of ['fetch-by-digest', 'head-manifest'] as const) s.record(c, 'unknown', { note: 'no manifest was accepted to read back' })
    return
  }
  const { image, tag } = found.ociImage
  const get = await fetchManifest(s, 'GET', image.manifest.desc.digest, image.manifest)
  const head = get.ok ? await fetchManifest(s, 'HEAD', image.manifest.desc.digest, image.manifest) : get
  s.record('fetch-by-digest', judge(head.ok, head.answer), head.answer.evidence)
  const byTag = await fetchManifest(s, 'HEAD', tag, image.manifest)
  s.record('head-manifest', judge(byTag.ok, byTag.answer), byTag.answer.evidence)
}

/** P5.1, P5.2: the tag list holds our tags; `?n=1` gives one tag and a `Link` to the next page. */
export async function probeTags(s: ProbeSession, found: ManifestFindings): Promise<void> {
  const list = await s.send({
    method: 'GET',
    path: tagsPath(s.repository),
    headers: { accept: 'application/json' },
    scopes: s.scopes('pull'),
  })
  const tags = tagsOf(list)
  const ours = found.ociImage?.tag
  const listed = tags !== undefined && (ours === undefined || tags.includes(ours))
  s.record(
    'tag-list',
    judge(listed, list),
    listed ? list.evidence : withNote(list.evidence, tags === undefined ? 'not a tag list' : `${ours} is missing from it`),
  )
  if (tags === undefined || tags.length < 2) {
    s.record('tag-list-pagination', 'unknown', { note: 'needs a tag list of two or more tags' })
    return
  }
  const first = await s.send({
    method: 'GET',
    path: tagsPath(s.repository),
    query: { n: '1' },
    headers: { accept: 'application/json' },
    scopes: s.scopes('pull'),
  })
  const page = tagsOf(first)
  const next = nextLink(answerHeader(first, 'link'), `${s.client.origin(s.registry)}${tagsPath(s.repository)}`)
  if (page === undefined || page.length !== 1 || next === undefined) {
    const what =
      page === undefined
        ? 'not a tag list'
        : `${page.length} tags and ${next === undefined ? 'no' : 'a'} Link header for n=1 (the registry ignores n, as distribution 2.x did: D2-2)`
    s.record('tag-list-pagination', page === undefined ? judge(false, first) : 'unsupported', withNote(first.evidence, what))
    return
  }
  const second = await s.send({ method: 'GET', path: next, headers: { accept: 'application/json' }, scopes: s.scopes('pull') })
  const rest = tagsOf(second)
  const ok = rest !== undefined && rest.length >= 1 && !rest.includes(page[0]!)
  s.record(
    'tag-list-pagination',
    judge(ok, second),
    ok ? first.evidence : withNote(second.evidence, 'the next page does not continue the list'),
  )
}

/**
 * P6.1: referrers of a digest nothing has: 200 with an (empty) OCI index means the API exists;
 * 404 means it does not, unless the code is NAME_UNKNOWN (then the repository is missing and
 * the answer unknown). A 200 that is not an index (GAR's sign-in page, GAR-2) is no API either.
 * P6.8: an OCI index stored under the referrers tag `sha256-<hex>` of the tiny image reads back.
 */
export async function probeReferrers(s: ProbeSession, found: ManifestFindings): Promise<void> {
  const unknownSubject = digestOf(randomBytes(32))
  const api = await s.send({
    method: 'GET',
    path: referrersPath(s.repository, unknownSubject),
    headers: { accept: MediaTypes.OciIndex },
    scopes: s.scopes('pull'),
  })
  const notIndex = api.status === 200 && !isIndexAnswer(api)
  s.record(
    'referrers-api',
    referrersSupport(api),
    notIndex ? withNote(api.evidence, 'a 200 that is not an OCI index (GAR redirects to a sign-in page, GAR-2)') : api.evidence,
  )
  await probeReferrersTag(s, found.ociImage?.image)
}

function referrersSupport(api: Answer): Support {
  if (api.status === 200) return isIndexAnswer(api) ? 'supported' : 'unsupported'
  if (api.status === 404) return api.codes.includes('NAME_UNKNOWN') ? 'unknown' : 'unsupported'
  return judge(false, api)
}

async function probeReferrersTag(s: ProbeSession, subject: TinyImage | undefined): Promise<void> {
  if (subject === undefined) {
    s.record('referrers-tag-schema', 'unknown', { note: 'no subject manifest was accepted' })
    return
  }
  const index = indexOf(MediaTypes.OciIndex, [])
  const tag = subject.manifest.desc.digest.replace(':', '-')
  const put = await putManifest(s, index, tag)
  if (!accepted(put)) {
    s.record('referrers-tag-schema', manifestSupport(false, put), put.evidence)
    return
  }
  const back = await fetchManifest(s, 'GET', tag, index)
  s.record('referrers-tag-schema', judge(back.ok, back.answer), back.ok ? put.evidence : back.answer.evidence)
}

function isIndexAnswer(answer: Answer): boolean {
  const type = answerHeader(answer, 'content-type')
  if (type === undefined || baseMediaType(type) !== MediaTypes.OciIndex) return false
  try {
    return Array.isArray((JSON.parse(answer.body.toString('utf8')) as { manifests?: unknown }).manifests)
  } catch {
    return false
  }
}

/** The `tags` of a tags/list answer, or undefined when it is not one. */
function tagsOf(answer: Answer): string[] | undefined {
  if (answer.status !== 200) return undefined
  try {
    const tags = (JSON.parse(answer.body.toString('utf8')) as { tags?: unknown }).tags
    return Array.isArray(tags) && tags.every((t) => typeof t === 'string') ? tags : undefined
  } catch {
    return undefined
  }
}
