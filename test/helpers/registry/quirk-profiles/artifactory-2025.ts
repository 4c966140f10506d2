/**
 * JFrog Artifactory as Porter users met it in 2025 (ART-6: Artifactory 7.104.15,
 * getporter/porter#3398, cnabio/cnab-to-oci#181): the PUT of a bundle index is answered
 * `400 Bad Request` when the bundle has component images (Porter's `images:`), and taken when it
 * has only the invocation image; cnab-to-oci's Docker manifest list fallback was refused the
 * same way. What Artifactory objects to is not recorded, so the emulation refuses any index (OCI
 * or Docker) with an entry annotated `io.cnab.manifest.type: component`; the body starts with
 * `quirk proxy (artifactory-2025)`.
 */
import type { QuirkProfile } from './common.js'
import { errorBody, INDEX_TYPES, manifestPut, reply, routeOf } from './common.js'

const ROLE = 'io.cnab.manifest.type'

export const artifactory2025: QuirkProfile = {
  name: 'artifactory-2025',
  summary: 'Artifactory 7.104 (2025): a bundle index listing component images → 400 Bad Request, OCI index and Docker list alike [ART-6]',
  // The probe's tiny bundle has no components: nothing it measures differs from distribution 2.8.
  disables: [],
  unknowable: [],
  async handle(req, ctx) {
    const route = routeOf(req)
    if (req.method !== 'PUT' || route?.endpoint !== 'manifests') return false
    const { mediaType, doc } = await manifestPut(req, ctx)
    if (!INDEX_TYPES.includes(mediaType) || !Array.isArray(doc?.manifests)) return false
    const roles = (doc.manifests as Array<{ annotations?: Record<string, unknown> }>).map((d) => d?.annotations?.[ROLE])
    if (!roles.includes('component')) return false
    return reply(
      req,
      ctx,
      400,
      errorBody('MANIFEST_INVALID', 'quirk proxy (artifactory-2025): a bundle index with components; ART-6 records only 400 Bad Request'),
    )
  },
}
