/**
 * Amazon ECR:
 * - ECR-1: repositories are not created on push; any request to one that was not created
 *   (QuirkProxy.createRepository, standing in for `aws ecr create-repository`) → 404 NAME_UNKNOWN
 *   "The repository with name '<name>' does not exist in the registry with id '<account>'".
 * - ECR-3: a chunk PATCH is answered 201 Created, not 202.
 * - ECR-4: the `Range` header stays at the first PATCH's range; the data is stored all the same.
 * Manifests pushed by digest are accepted (ECR-11). `ecr-2019` adds the 2019 refusal of them.
 */
import type { QuirkProfile, QuirkState } from './common.js'
import { errorBody, forwardRewritten, reply, routeOf } from './common.js'
import type { IncomingMessage } from 'node:http'
import type { InterceptContext } from '../fault-proxy.js'

/** The account id ECR names in its messages (any 12 digits). */
const ACCOUNT = '123456789012'

async function handleEcr(req: IncomingMessage, ctx: InterceptContext, state: QuirkState): Promise<boolean> {
  const route = routeOf(req)
  if (route === undefined) return false
  if (!state.repositories.has(route.name)) {
    return reply(
      req,
      ctx,
      404,
      errorBody('NAME_UNKNOWN', `The repository with name '${route.name}' does not exist in the registry with id '${ACCOUNT}'`),
    )
  }
  if (req.method === 'PATCH' && route.endpoint === 'uploads') {
    const upload = route.reference
    return forwardRewritten(req, ctx, state, ({ status, headers }) => {
      const range = headers.range
      if (range !== undefined && !state.firstRanges.has(upload)) state.firstRanges.set(upload, range)
      const stuck = state.firstRanges.get(upload)
      return { status: status === 202 ? 201 : status, headers: stuck === undefined ? headers : { ...headers, range: stuck } }
    })
  }
  return false
}

export const ecr: QuirkProfile = {
  name: 'ecr',
  summary:
    'AWS ECR: repositories must exist before a push → 404 NAME_UNKNOWN [ECR-1]; chunk PATCH → 201 [ECR-3] with a Range stuck at the first chunk [ECR-4]',
  disables: ['repository-auto-create', 'chunk-range-header'],
  // The probe writes to the one existing repository, so there is no second one to mount into.
  unknowable: ['cross-repo-mount'],
  handle: handleEcr,
}

/**
 * ECR in 2019: as `ecr`, and a manifest PUT by digest (no tag) → 405 Method Not Allowed
 * (docker/app#563: `failed commit on ref "manifest-sha256:…": unexpected status: 405 Method Not
 * Allowed`; carvel-dev/kbld#2: "uploading of manifests must use tags instead of digest").
 * Accepted since 2020 (awslabs/amazon-ecr-containerd-resolver#19). The reports record only the
 * status. kbld#2 also says ECR had no manifest lists then; left out here so that this profile
 * isolates the untagged-push behaviour (nexus-2020 covers registries without indexes).
 */
export const ecr2019: QuirkProfile = {
  name: 'ecr-2019',
  summary: 'AWS ECR in 2019: as ecr, and manifest PUT by digest → 405 (docker/app#563, kbld#2)',
  disables: [...ecr.disables, 'untagged-manifest-push'],
  unknowable: ecr.unknowable,
  async handle(req, ctx, state) {
    const route = routeOf(req)
    if (
      req.method === 'PUT' &&
      route?.endpoint === 'manifests' &&
      route.reference.startsWith('sha256:') &&
      state.repositories.has(route.name)
    ) {
      return reply(
        req,
        ctx,
        405,
        errorBody('UNSUPPORTED', 'quirk proxy (ecr-2019): manifest push by digest refused; the 2019 reports record only the 405 status'),
      )
    }
    return handleEcr(req, ctx, state)
  },
}
