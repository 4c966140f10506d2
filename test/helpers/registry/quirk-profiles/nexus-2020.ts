/**
 * Sonatype Nexus as Porter met it ("doesn't handle indexes", getporter/porter#809) and as
 * NEXUS-5 records it: an OCI index or Docker manifest list PUT → 400 Bad Request. The report
 * records only the status; the body is distribution-style.
 */
import type { QuirkProfile } from './common.js'
import { errorBody, INDEX_TYPES, reply, routeOf } from './common.js'

export const nexus2020: QuirkProfile = {
  name: 'nexus-2020',
  summary: 'Sonatype Nexus (2020): OCI index and Docker manifest list PUT → 400 [NEXUS-5; porter#809]',
  disables: ['oci-index', 'docker-manifest-list', 'referrers-tag-schema'],
  // With neither index format accepted, there is no index to put mixed children in.
  unknowable: ['mixed-index-children'],
  async handle(req, ctx) {
    const route = routeOf(req)
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim()
    if (req.method !== 'PUT' || route?.endpoint !== 'manifests' || !INDEX_TYPES.includes(mediaType)) return false
    return reply(
      req,
      ctx,
      400,
      errorBody('MANIFEST_INVALID', `quirk proxy (nexus-2020): ${mediaType} is not supported; NEXUS-5 records only 400 Bad Request`),
    )
  },
}
