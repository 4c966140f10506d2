/**
 * The index format of a multi-platform image, where the registry refuses the one it was built
 * with. Tiers, for an OCI image index (the reverse for a Docker manifest list):
 *  1. as it is (`oci-index`);
 *  2. rewritten as a Docker manifest list listing the same manifests (`docker-manifest-list`):
 *     Docker Hub refused OCI image indexes in 2019 and took such lists [HUB-1];
 *  3. a Docker manifest list of manifests converted to Docker schema 2 too
 *     (`docker-manifest-list, manifests converted`), for registries that also refuse mixed
 *     indexes [GCR-2].
 * A registry that refuses all three takes no index at all (Nexus, NEXUS-5): the image can only
 * be published as one of its platforms, which MultiPlatformImageError explains.
 */
import type { IndexFormat } from '../cnab/oci/to-oci.js'
import { NoWorkingTierError } from '../compat/classify.js'
import type { TierSpec } from '../compat/strategies.js'
import type { OpOptions, Target } from '../content/storage.js'
import { fetchAll } from '../content/verify.js'
import { platformsOf } from '../copy/platform.js'
import { CopyError } from '../copy/copy-error.js'
import { AlreadyExistsError } from '../errors.js'
import type { Descriptor } from '../oci/descriptor.js'
import { parseManifest } from '../oci/manifest.js'
import { baseMediaType, MediaTypes } from '../oci/media-types.js'
import { convertGraph, type Family } from './convert-family.js'
import { MultiPlatformImageError } from './publish-errors.js'
import type { ManifestStager } from './manifest-stager.js'
import type { PublishSession } from './publish-session.js'

const FORMAT_OF: Readonly<Record<string, { format: IndexFormat; other: IndexFormat; otherFamily: Family }>> = {
  [MediaTypes.OciIndex]: { format: 'oci-index', other: 'docker-manifest-list', otherFamily: 'docker' },
  [MediaTypes.DockerManifestList]: { format: 'docker-manifest-list', other: 'oci-index', otherFamily: 'oci' },
}

/**
 * Pushes the held manifests of image index `root` (staged in `stager`, whose destination is
 * `target`) in the first index format the registry takes, through the session's `image-index`
 * tiers. Returns the index as published: `root`, or the converted one (a new digest).
 * Throws MultiPlatformImageError when no format is taken, ConversionError when the index cannot
 * be converted, and the refusal itself when it is no reason to fall back.
 */
export async function commitImageIndex(
  image: string,
  root: Descriptor,
  stager: ManifestStager,
  target: Target,
  session: PublishSession,
  o: OpOptions = {},
): Promise<Descriptor> {
  const { format, other, otherFamily } = FORMAT_OF[baseMediaType(root.mediaType)]!
  const withConverted = `${other}, manifests converted`
  const specs: TierSpec[] = [
    { id: format, needs: [format], proves: format, addresses: 'the image index as it was built' },
    {
      id: other,
      needs: [other, 'mixed-index-children'],
      addresses: 'Docker Hub refused OCI image indexes in 2019 [HUB-1]: the other index format, listing the same manifests',
    },
    {
      id: withConverted,
      needs: [other],
      proves: other,
      addresses: 'the other index format with its manifests converted, where mixed indexes are refused too [GCR-2]',
    },
  ]
  const push = async (desc: Descriptor, bytes: Buffer): Promise<void> => {
    try {
      await target.push(desc, bytes, o)
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err
    }
  }
  try {
    const outcome = await session.run(
      'image-index',
      specs,
      async (id) => {
        if (id === format) {
          await commit(stager, root, o)
          return root
        }
        const conversion = await convertGraph(stager, root, otherFamily, { ...o, children: id === withConverted })
        if (id === other) for (const child of await childrenOf(stager, root, o)) await commit(stager, child, o)
        for (const m of conversion.created) await push(m.desc, m.bytes)
        return conversion.root
      },
      undefined,
      image,
    )
    return outcome.value
  } catch (err) {
    if (!(err instanceof NoWorkingTierError)) throw err
    throw new MultiPlatformImageError(image, await platformsOf(stager, root, o), err.attempts, err.cause)
  }
}

async function childrenOf(stager: ManifestStager, root: Descriptor, o: OpOptions): Promise<Descriptor[]> {
  const parsed = parseManifest(await fetchAll(stager, root, o), root.mediaType)
  return parsed.kind === 'index' ? parsed.index.manifests : []
}

/** Commits staged manifests, with the registry's refusal as the error (CopyError would hide it from classifyPushError). */
async function commit(stager: ManifestStager, desc: Descriptor, o: OpOptions): Promise<void> {
  try {
    await stager.commit(desc, o)
  } catch (err) {
    throw err instanceof CopyError && err.cause !== undefined ? err.cause : err
  }
}
