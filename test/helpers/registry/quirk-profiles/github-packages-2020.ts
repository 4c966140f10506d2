/**
 * GitHub Packages' Docker registry (docker.pkg.github.com, retired for ghcr.io) as Porter met it
 * (getporter/porter#695): manifests could be fetched by tag only. GET or HEAD of a manifest by
 * digest → 404, which docker printed as `manifest unknown: Docker image reference …:sha256:… not
 * found under repo`.
 */
import type { QuirkProfile } from './common.js'
import { errorBody, reply, routeOf } from './common.js'

export const githubPackages2020: QuirkProfile = {
  name: 'github-packages-2020',
  summary: 'GitHub Packages (docker.pkg.github.com, 2020): GET/HEAD of a manifest by digest → 404 MANIFEST_UNKNOWN (porter#695)',
  disables: ['fetch-by-digest'],
  unknowable: [],
  async handle(req, ctx) {
    const route = routeOf(req)
    if ((req.method !== 'GET' && req.method !== 'HEAD') || route?.endpoint !== 'manifests' || !route.reference.includes(':')) return false
    return reply(
      req,
      ctx,
      404,
      errorBody('MANIFEST_UNKNOWN', `Docker image reference ${route.name}:${route.reference} not found under repo`),
    )
  },
}
