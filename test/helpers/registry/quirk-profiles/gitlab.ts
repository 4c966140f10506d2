/**
 * GitLab's container registry as GITLAB-1 records it (oras-project/oras-go#1396): the
 * reference `<alg>-<hex>` in a manifest GET or HEAD is read as the digest `<alg>:<hex>`, so the
 * referrers tag of a manifest answers with that manifest itself; and there is no referrers API
 * (a 404, as distribution's own). What a PUT to such a tag does is not recorded: it is passed to
 * distribution, which stores the tag, and no read can reach it.
 */
import type { QuirkProfile } from './common.js'
import { forwardRewritten, routeOf } from './common.js'

const DIGEST_TAG = /^(sha256|sha512)-([0-9a-f]{64}|[0-9a-f]{128})$/

export const gitlab: QuirkProfile = {
  name: 'gitlab',
  summary: 'GitLab: manifests/<alg>-<hex> is answered with the manifest <alg>:<hex> itself [GITLAB-1]; no referrers API',
  disables: ['referrers-tag-schema'],
  unknowable: [],
  async handle(req, ctx, state) {
    const route = routeOf(req)
    if (route?.endpoint !== 'manifests' || (req.method !== 'GET' && req.method !== 'HEAD')) return false
    const m = DIGEST_TAG.exec(route.reference)
    if (m === null) return false
    const path = `/v2/${route.name}/manifests/${m[1]}:${m[2]}`
    return forwardRewritten(req, ctx, state, (answer) => answer, path)
  },
}
