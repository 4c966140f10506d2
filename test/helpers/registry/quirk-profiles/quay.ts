/**
 * Quay (quay.io / Project Quay):
 * - QUAY-1: OCI manifests whose config type is not in the allow-list (FEATURE_GENERAL_OCI_SUPPORT,
 *   ALLOWED_OCI_ARTIFACT_TYPES) → 400 MANIFEST_INVALID, the detail listing the allowed types:
 *   `failed to parse manifest: manifest data does not match schema: '<type>' is not one of [...]`.
 *   The list is the one quoted there.
 * - QUAY-2: a Docker schema 2 manifest must use the Docker config type (status not recorded).
 */
import type { QuirkProfile } from './common.js'
import { errorBody, manifestPut, reply, routeOf } from './common.js'

const ALLOWED_OCI_CONFIG_TYPES = [
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.sylabs.sif.config.v1+json',
  'application/vnd.cncf.helm.config.v1+json',
]
const DOCKER_CONFIG_TYPE = 'application/vnd.docker.container.image.v1+json'

export const quay: QuirkProfile = {
  name: 'quay',
  summary:
    'Quay: OCI config types outside ALLOWED_OCI_ARTIFACT_TYPES → 400 MANIFEST_INVALID listing the allowed ones [QUAY-1]; Docker schema 2 needs the Docker config type [QUAY-2]',
  disables: ['custom-config-media-type'],
  unknowable: [],
  async handle(req, ctx) {
    const route = routeOf(req)
    if (req.method !== 'PUT' || route?.endpoint !== 'manifests') return false
    const { mediaType, doc } = await manifestPut(req, ctx)
    const configType = String((doc?.config as { mediaType?: unknown } | undefined)?.mediaType)
    if (mediaType === 'application/vnd.oci.image.manifest.v1+json' && !ALLOWED_OCI_CONFIG_TYPES.includes(configType)) {
      const list = ALLOWED_OCI_CONFIG_TYPES.map((t) => `'${t}'`).join(', ')
      return reply(
        req,
        ctx,
        400,
        errorBody('MANIFEST_INVALID', 'manifest invalid', {
          message: `failed to parse manifest: manifest data does not match schema: '${configType}' is not one of [${list}]`,
        }),
      )
    }
    if (mediaType === 'application/vnd.docker.distribution.manifest.v2+json' && configType !== DOCKER_CONFIG_TYPE) {
      return reply(
        req,
        ctx,
        400,
        errorBody('MANIFEST_INVALID', 'manifest invalid', {
          message: `quirk proxy (quay): config.mediaType must be ${DOCKER_CONFIG_TYPE} [QUAY-2]`,
        }),
      )
    }
    return false
  },
}
