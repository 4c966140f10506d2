/**
 * Google Container Registry (gcr.io) as cnab-to-oci met it:
 * - GCR-2 (cnab-to-oci#69): the config manifest with `"layers": null` → 400 Bad Request; so are
 *   missing and empty layers here (image spec: layers SHOULD have an entry).
 * - GCR-2, GCR-3: an index or manifest list whose children are of the other family (OCI
 *   manifest in a Docker list, Docker manifest in an OCI index) → 400.
 * - GCR-1: a manifest list holding non-manifest descriptors → 400.
 * The reports record only `400 Bad Request`; the bodies are distribution-style.
 */
import type { QuirkProfile } from './common.js'
import { errorBody, familyOf, IMAGE_MANIFEST_TYPES, INDEX_TYPES, manifestPut, reply, routeOf } from './common.js'

export const gcr: QuirkProfile = {
  name: 'gcr',
  summary:
    'gcr.io: image manifests with null/empty layers → 400 [GCR-2]; indexes mixing OCI and Docker children, or listing non-manifests → 400 [GCR-1, GCR-2, GCR-3]',
  disables: ['empty-layers', 'mixed-index-children'],
  unknowable: [],
  async handle(req, ctx) {
    const route = routeOf(req)
    if (req.method !== 'PUT' || route?.endpoint !== 'manifests') return false
    const { mediaType, doc } = await manifestPut(req, ctx)
    if (doc === undefined) return false
    if (IMAGE_MANIFEST_TYPES.includes(mediaType) && (!Array.isArray(doc.layers) || doc.layers.length === 0)) {
      return reply(
        req,
        ctx,
        400,
        errorBody('MANIFEST_INVALID', 'quirk proxy (gcr): layers must be a non-empty list; cnab-to-oci#69 records only 400 Bad Request'),
      )
    }
    if (INDEX_TYPES.includes(mediaType) && Array.isArray(doc.manifests)) {
      const family = familyOf(mediaType)
      const children = (doc.manifests as Array<{ mediaType?: unknown }>).map((d) => familyOf(d?.mediaType))
      if (children.some((f) => f !== family)) {
        return reply(
          req,
          ctx,
          400,
          errorBody(
            'MANIFEST_INVALID',
            `quirk proxy (gcr): a ${mediaType} may list only ${family} manifests; the reports record only 400 Bad Request`,
          ),
        )
      }
    }
    return false
  },
}
