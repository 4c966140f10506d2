/**
 * A registry with the referrers API of distribution-spec v1.1 (Harbor has it since 2.8, with
 * `OCI-Subject` since 2.9: HAR-4), emulated on top of distribution 2.8, which has none (D2-1):
 * - a manifest PUT with a `subject` is forwarded, and its 201 answered with `OCI-Subject:
 *   <subject digest>`; the manifest is remembered as a referrer of its subject;
 * - GET `/v2/<name>/referrers/<digest>` answers 200 with an OCI index of the referrers pushed
 *   through this proxy (artifactType, else the config media type; the annotations), filtered by
 *   `?artifactType=` with `OCI-Filters-Applied: artifactType`;
 * - a DELETE of a manifest by digest forgets it.
 * Content pushed straight to the registry, past the proxy, is not listed.
 * Reference: https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#listing-referrers
 */
import { createHash } from 'node:crypto'
import type { QuirkProfile, QuirkState, ReferrerEntry } from './common.js'
import { forwardRewritten, manifestPut, reply, routeOf } from './common.js'

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'

function referrersOf(state: QuirkState, name: string): Map<string, ReferrerEntry[]> {
  let byName = state.referrers.get(name)
  if (byName === undefined) {
    byName = new Map()
    state.referrers.set(name, byName)
  }
  return byName
}

export const referrersApi: QuirkProfile = {
  name: 'referrers-api',
  summary: 'a registry with the referrers API: GET /referrers/<digest> lists what was pushed through it; PUT with subject → OCI-Subject',
  disables: [],
  unknowable: [],
  enables: ['referrers-api'],
  async handle(req, ctx, state) {
    const route = routeOf(req)
    if (route === undefined) return false
    if (route.endpoint === 'referrers' && req.method === 'GET') {
      const url = new URL(req.url ?? '/', ctx.proxyUrl)
      const digest = decodeURIComponent(route.reference.split('?')[0]!)
      const artifactType = url.searchParams.get('artifactType') ?? undefined
      const all = referrersOf(state, route.name).get(digest) ?? []
      const manifests = artifactType === undefined ? all : all.filter((d) => d.artifactType === artifactType)
      return reply(
        req,
        ctx,
        200,
        { schemaVersion: 2, mediaType: OCI_INDEX, manifests },
        { 'content-type': OCI_INDEX, ...(artifactType !== undefined && { 'oci-filters-applied': 'artifactType' }) },
      )
    }
    if (route.endpoint === 'manifests' && req.method === 'DELETE') {
      for (const list of referrersOf(state, route.name).values()) {
        const at = list.findIndex((d) => d.digest === route.reference)
        if (at !== -1) list.splice(at, 1)
      }
      return false
    }
    if (route.endpoint !== 'manifests' || req.method !== 'PUT') return false
    const { mediaType, doc } = await manifestPut(req, ctx)
    const subject = (doc?.subject as { digest?: unknown } | undefined)?.digest
    if (doc === undefined || typeof subject !== 'string') return false
    const body = await ctx.body()
    const config = doc.config as { mediaType?: string } | undefined
    const artifactType = typeof doc.artifactType === 'string' ? doc.artifactType : config?.mediaType
    const entry: ReferrerEntry = {
      mediaType,
      digest: `sha256:${createHash('sha256').update(body).digest('hex')}`,
      size: body.length,
      ...(artifactType !== undefined && { artifactType }),
      ...(doc.annotations !== undefined && { annotations: doc.annotations as Record<string, string> }),
    }
    return forwardRewritten(req, ctx, state, (answer) => {
      if (answer.status !== 201) return answer
      const list = referrersOf(state, route.name).get(subject) ?? []
      if (!list.some((d) => d.digest === entry.digest)) list.push(entry)
      referrersOf(state, route.name).set(subject, list)
      return { ...answer, headers: { ...answer.headers, 'oci-subject': subject } }
    })
  },
}
