/**
 * Content graphs for copy tests: a multi-platform image index whose images share a layer, an
 * index of indexes of any depth, and pushing a graph into a store children first.
 */
import type { Storage, Tagger } from '../../src/content/storage.js'
import type { Descriptor, Platform } from '../../src/oci/descriptor.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { blob, image, manifest, type Content } from './content.js'

/** An OCI image config for `platform`; `label` makes the bytes unique. */
export function platformConfig(platform: Platform, label: string): Content {
  const doc = { ...platform, rootfs: { type: 'layers', diff_ids: [] }, config: { Labels: { label } } }
  return blob(JSON.stringify(doc), MediaTypes.OciConfig)
}

/** An OCI index over `children`, whose descriptors get the given platforms (and other fields). */
export function indexOf(
  children: ReadonlyArray<{ content: Content; extra?: Partial<Descriptor> }>,
  extra: Record<string, unknown> = {},
): Content {
  const doc = {
    schemaVersion: 2,
    mediaType: MediaTypes.OciIndex,
    manifests: children.map((c) => ({ ...c.content.desc, ...c.extra })),
    ...extra,
  }
  return blob(JSON.stringify(doc), MediaTypes.OciIndex)
}

export interface PlatformImage {
  platform: Platform
  config: Content
  layer: Content
  manifest: Content
}

export interface MultiPlatformGraph {
  index: Content
  amd64: PlatformImage
  arm64: PlatformImage
  /** The base layer both images list. */
  shared: Content
  /** Every node once, children before parents. */
  all: Content[]
}

/** index → linux/amd64 and linux/arm64 manifests → a config, the shared layer and an own layer each. */
export function multiPlatformGraph(label = 'app'): MultiPlatformGraph {
  const shared = blob(`${label} shared base layer`)
  const platformImage = (platform: Platform): PlatformImage => {
    const config = platformConfig(platform, label)
    const layer = blob(`${label} ${platform.architecture} layer`)
    return { platform, config, layer, manifest: manifest(config, [shared, layer]) }
  }
  const amd64 = platformImage({ os: 'linux', architecture: 'amd64' })
  const arm64 = platformImage({ os: 'linux', architecture: 'arm64', variant: 'v8' })
  const index = indexOf([amd64, arm64].map((i) => ({ content: i.manifest, extra: { platform: i.platform } })))
  const all = [shared, amd64.config, amd64.layer, amd64.manifest, arm64.config, arm64.layer, arm64.manifest, index]
  return { index, amd64, arm64, shared, all }
}

/**
 * An index of indexes `depth` levels deep: level 0 is an image; every level above is an index
 * over the level below and one image of its own.
 */
export function deepIndexGraph(depth: number): { root: Content; all: Content[] } {
  const first = image('deep-0')
  let root = first.manifest
  const all: Content[] = [first.config, first.layer, first.manifest]
  for (let level = 1; level <= depth; level++) {
    const own = image(`deep-${level}`)
    all.push(own.config, own.layer, own.manifest)
    root = indexOf([{ content: root }, { content: own.manifest }])
    all.push(root)
  }
  return { root, all }
}

/** Pushes `contents` in order (children first) and tags the last one when `tag` is given. */
export async function seed(store: Storage & Tagger, contents: readonly Content[], tag?: string): Promise<void> {
  for (const c of contents) await store.push(c.desc, c.bytes)
  const root = contents.at(-1)
  if (tag !== undefined && root !== undefined) await store.tag(root.desc, tag)
}
