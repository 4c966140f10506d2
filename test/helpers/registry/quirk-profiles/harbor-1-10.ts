/**
 * Harbor before 2.0 (1.8 to 1.10), which stored Docker images only:
 * - HAR-5: a Docker manifest list PUT is blocked by Harbor's own middleware with 415
 *   `{"errors":[{"code":"UNSUPPORTED_MEDIA_TYPE","message":"Manifest.list is not supported.","detail":"Manifest.list is not supported."}]}`
 *   (goharbor/harbor#7597, src/core/middlewares/multiplmanifest/handler.go), and an OCI image
 *   index is answered 500 (goharbor/harbor#11932);
 * - HAR-6: an OCI image manifest is answered 500 too ("OCI registry is not supported in version
 *   1.10.1", goharbor/harbor#10952, #11328).
 * The reports record only the 500 status: those bodies start with `quirk proxy (harbor-1.10)`.
 * A 500 is never a reason to fall back: ocibundle stops there, and publishes Docker images as
 * `no-index + docker-config` when told to (docs/registries.md).
 */
import type { QuirkProfile } from './common.js'
import { errorBody, reply, routeOf } from './common.js'

const OCI_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json']
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'
const LIST_REFUSED = 'Manifest.list is not supported.'

export const harbor110: QuirkProfile = {
  name: 'harbor-1.10',
  summary:
    'Harbor 1.8–1.10: Docker manifest list → 415 UNSUPPORTED_MEDIA_TYPE "Manifest.list is not supported." [HAR-5]; OCI index and OCI manifests → 500 [HAR-5, HAR-6]',
  // The probe's tiny bundle is made of OCI manifests: it cannot be published here.
  disables: ['docker-manifest-list', 'bundle-round-trip'],
  // Answered 500, which says nothing about support; and what the probe builds on an OCI manifest cannot be measured.
  unknowable: [
    'untagged-manifest-push',
    'fetch-by-digest',
    'head-manifest',
    'tag-list-pagination',
    'delete-tag',
    'delete-manifest',
    'oci-index',
    'oci-image-manifest',
    'custom-config-media-type',
    'empty-layers',
    'artifact-type-field',
    'mixed-index-children',
    'referrers-tag-schema',
  ],
  async handle(req, ctx) {
    const route = routeOf(req)
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim()
    if (req.method !== 'PUT' || route?.endpoint !== 'manifests') return false
    if (mediaType === DOCKER_LIST)
      return reply(req, ctx, 415, { errors: [{ code: 'UNSUPPORTED_MEDIA_TYPE', message: LIST_REFUSED, detail: LIST_REFUSED }] })
    if (OCI_TYPES.includes(mediaType))
      return reply(
        req,
        ctx,
        500,
        errorBody('UNKNOWN', `quirk proxy (harbor-1.10): ${mediaType} is not supported; HAR-5 and HAR-6 record only 500`),
      )
    return false
  },
}
