/**
 * A registry that wants every manifest pushed with a tag: a manifest PUT by digest (no tag in the
 * URL) is refused with 400, in one of the forms registries use for it (QuirkState.untaggedRefusal,
 * chosen when the proxy is started; `TAG_INVALID` by default). ECR's 2019 answer to the same
 * push, 405, is the `ecr-2019` profile (docker/app#563, carvel-dev/kbld#2).
 * - `TAG_INVALID` with distribution's own message for that code, "manifest tag did not match URI"
 *   (registry/api/v2/errors.go: the code of a manifest PUT whose tag the registry refuses);
 * - `MANIFEST_INVALID` or `UNSUPPORTED` with a message about the missing tag.
 * No public report quotes a registry's exact words for these 400s: the messages that are not
 * distribution's start with `quirk proxy (tag-required)` and say so.
 */
import type { QuirkProfile, UntaggedRefusal } from './common.js'
import { errorBody, reply, routeOf } from './common.js'

const BODIES: Record<UntaggedRefusal, object> = {
  TAG_INVALID: errorBody('TAG_INVALID', 'manifest tag did not match URI'),
  MANIFEST_INVALID: errorBody('MANIFEST_INVALID', 'manifest invalid', {
    message: 'quirk proxy (tag-required): manifest must be pushed with a tag',
  }),
  UNSUPPORTED: errorBody('UNSUPPORTED', 'quirk proxy (tag-required): pushing a manifest without a tag is unsupported'),
}

const DIGEST_REFERENCE = /^sha(256|512):[0-9a-f]+$/

export const tagRequired: QuirkProfile = {
  name: 'tag-required',
  summary: 'manifest PUT by digest (no tag) → 400 TAG_INVALID, or MANIFEST_INVALID / UNSUPPORTED with a message about the tag',
  disables: ['untagged-manifest-push'],
  unknowable: [],
  async handle(req, ctx, state) {
    const route = routeOf(req)
    if (req.method !== 'PUT' || route?.endpoint !== 'manifests' || !DIGEST_REFERENCE.test(route.reference)) return false
    return reply(req, ctx, 400, BODIES[state.untaggedRefusal])
  },
}
