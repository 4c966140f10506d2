/**
 * Docker Hub as cnab-to-oci met it in 2019: no OCI image index, and no custom config media types.
 * - HUB-1: an OCI index PUT → 400 `{"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid","detail":{}}]}`
 *   "because the Docker Hub does not currently support the OCI image index type" (cnab-to-oci README).
 * - HUB-2: 2019, no custom config types (oras#129); the status is not recorded, so the same 400 is sent.
 * Docker manifest lists, also over OCI children (cnab-to-oci's fallback that worked there), pass.
 */
import type { QuirkProfile } from './common.js'
import { manifestPut, reply, routeOf } from './common.js'

const MANIFEST_INVALID = { errors: [{ code: 'MANIFEST_INVALID', message: 'manifest invalid', detail: {} }] }
const IMAGE_CONFIG_TYPES = ['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']

export const dockerhub2019: QuirkProfile = {
  name: 'dockerhub-2019',
  summary:
    'Docker Hub in 2019: OCI index PUT → 400 MANIFEST_INVALID [HUB-1]; config types other than the OCI and Docker image config refused [HUB-2]',
  // The referrers tag schema stores an OCI index, so it goes with the index.
  disables: ['oci-index', 'custom-config-media-type', 'referrers-tag-schema'],
  unknowable: [],
  async handle(req, ctx) {
    const route = routeOf(req)
    if (req.method !== 'PUT' || route?.endpoint !== 'manifests') return false
    const { mediaType, doc } = await manifestPut(req, ctx)
    if (mediaType === 'application/vnd.oci.image.index.v1+json') return reply(req, ctx, 400, MANIFEST_INVALID)
    const config = doc?.config as { mediaType?: unknown } | undefined
    if (config !== undefined && !IMAGE_CONFIG_TYPES.includes(String(config.mediaType))) return reply(req, ctx, 400, MANIFEST_INVALID)
    return false
  },
}
