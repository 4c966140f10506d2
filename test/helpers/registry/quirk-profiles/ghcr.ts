/**
 * GitHub Container Registry (ghcr.io):
 * - GHCR-3: a PATCH body above 4.00 MiB → 416 with the made-up code
 *   `{"errors":[{"code":"REQUESTED_RANGE_NOT_SATISFIABLE","message":"the request body is too large and exceeds the maximum permissible limit of 4.00MiB"}]}`.
 * - GHCR-2: no deletion through the registry API: DELETE of manifests (by digest or tag) and
 *   blobs → 405 `{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}`.
 * - GHCR-1: no referrers API: 404 (the body is not recorded; not NAME_UNKNOWN).
 */
import type { QuirkProfile } from './common.js'
import { errorBody, reply, routeOf } from './common.js'

const MAX_PATCH_BYTES = 4 * 1024 * 1024

export const ghcr: QuirkProfile = {
  name: 'ghcr',
  summary:
    'ghcr.io: PATCH bodies over 4 MiB → 416 REQUESTED_RANGE_NOT_SATISFIABLE [GHCR-3]; DELETE → 405 UNSUPPORTED [GHCR-2]; referrers API → 404 [GHCR-1]',
  disables: ['chunk-over-4mib', 'delete-manifest', 'delete-tag', 'delete-blob'],
  unknowable: [],
  async handle(req, ctx) {
    const route = routeOf(req)
    if (route === undefined) return false
    if (req.method === 'PATCH' && route.endpoint === 'uploads' && (await ctx.body()).length > MAX_PATCH_BYTES) {
      return reply(
        req,
        ctx,
        416,
        errorBody('REQUESTED_RANGE_NOT_SATISFIABLE', 'the request body is too large and exceeds the maximum permissible limit of 4.00MiB'),
      )
    }
    if (req.method === 'DELETE' && (route.endpoint === 'manifests' || route.endpoint === 'blobs')) {
      return reply(req, ctx, 405, errorBody('UNSUPPORTED', 'The operation is unsupported.'))
    }
    if (route.endpoint === 'referrers')
      return reply(req, ctx, 404, errorBody('NOT_FOUND', 'quirk proxy (ghcr): no referrers API; GHCR-1 records only the 404'))
    return false
  },
}
