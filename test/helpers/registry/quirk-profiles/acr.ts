/**
 * Azure Container Registry:
 * - ACR-1: OCI distribution 1.1 conformance, the referrers API included: a manifest PUT with a
 *   `subject` is answered with `OCI-Subject`, and `/referrers/<digest>` lists it (the
 *   `referrers-api` profile's emulation);
 * - ACR-3: a chunk PATCH whose `Content-Range` is not the spec's `<start>-<end>` (the HTTP form
 *   `bytes 0-N/*`) → 400 `{"Range":"bytes 0-N/*","Reason":"the Content-Range header format is invalid"}`,
 *   ACR's own body, which is not in the spec's error format.
 */
import type { QuirkProfile } from './common.js'
import { reply, routeOf } from './common.js'
import { referrersApi } from './referrers-api.js'

const SPEC_RANGE = /^\d+-\d+$/

export const acr: QuirkProfile = {
  name: 'acr',
  summary: 'Azure ACR: the referrers API [ACR-1]; a PATCH Content-Range other than <start>-<end> → 400 [ACR-3]',
  disables: [],
  unknowable: [],
  enables: ['referrers-api'],
  async handle(req, ctx, state) {
    const route = routeOf(req)
    const range = req.headers['content-range']
    if (req.method === 'PATCH' && route?.endpoint === 'uploads' && range !== undefined && !SPEC_RANGE.test(range))
      return reply(req, ctx, 400, { Range: range, Reason: 'the Content-Range header format is invalid' })
    return referrersApi.handle(req, ctx, state)
  },
}
