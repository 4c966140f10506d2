/**
 * Converting image manifests and indexes between the OCI and the Docker schema 2 family, for
 * registries that refuse an index whose children are of the other family (GCR answered 400,
 * cnab-to-oci#69, GCR-1..3 in docs/evidence.md) or refuse one index format altogether (Docker Hub
 * refused OCI image indexes in 2019, HUB-1).
 *
 * Only lossless mappings are made: the blobs (config, layers) stay exactly as they are and only
 * their media types change, between types that name the same bytes (tar, tar+gzip, the image
 * config JSON, a foreign tar+gzip layer). Anything the other family cannot express stops the
 * conversion with ConversionError: zstd or uncompressed non-distributable layers, artifact
 * configs, annotations, `subject` and `artifactType` (Docker schema 2 has none of them). A
 * converted manifest has new bytes and so a new digest; whoever records the old digest (bundle.json's
 * contentDigest, the relocation map) must take the new one.
 *
 * Serialisation follows each family's reference implementation: Docker documents as
 * distribution's `MarshalIndent` with three spaces and its field order (mediaType, size,
 * digest); OCI documents compact in image-spec's field order (mediaType, digest, size).
 */
import type { Fetcher, OpOptions } from '../content/storage.js'
import { fetchAll } from '../content/verify.js'
import { InputError } from '../errors.js'
import type { Descriptor, Platform } from '../oci/descriptor.js'
import { digestOf } from '../oci/digest.js'
import { parseManifest, type ImageIndex, type ImageManifest } from '../oci/manifest.js'
import { baseMediaType, isManifest, MediaTypes } from '../oci/media-types.js'
import { GoMap, goMarshal, type GoStruct, type GoValue } from '../cnab/oci/go-json.js'

/** A manifest family: OCI (image manifest, image index) or Docker schema 2 (manifest, manifest list). */
export type Family = 'oci' | 'docker'

/** distribution's schema2 and manifestlist packages indent with three spaces. */
const DOCKER_INDENT = '   '

/** The family of a manifest or index media type; undefined for anything else. */
export function familyOf(mediaType: string): Family | undefined {
  const m = baseMediaType(mediaType)
  if (m === MediaTypes.OciManifest || m === MediaTypes.OciIndex) return 'oci'
  if (m === MediaTypes.DockerManifest || m === MediaTypes.DockerManifestList) return 'docker'
  return undefined
}

/** Blob media types with the same bytes in the other family (OCI → Docker; read backwards for Docker → OCI). */
const BLOB_TYPES: ReadonlyArray<readonly [oci: string, docker: string]> = [
  [MediaTypes.OciConfig, MediaTypes.DockerConfig],
  [MediaTypes.OciLayer, MediaTypes.DockerLayer],
  [MediaTypes.OciLayerGzip, MediaTypes.DockerLayerGzip],
  [MediaTypes.OciLayerNondistributableGzip, MediaTypes.DockerForeignLayer],
]

const MANIFEST_TYPE: Record<Family, string> = { oci: MediaTypes.OciManifest, docker: MediaTypes.DockerManifest }
const INDEX_TYPE: Record<Family, string> = { oci: MediaTypes.OciIndex, docker: MediaTypes.DockerManifestList }
const FAMILY_NAME: Record<Family, string> = { oci: 'OCI', docker: 'Docker schema 2' }

/** A manifest that cannot be written in the other family without losing something. */
export class ConversionError extends InputError {
  override readonly code: string = 'ERR_CONVERSION'
}

/** A manifest made by a conversion. */
export interface ConvertedManifest {
  /** Its descriptor: the new media type, and digest and size of `bytes`. */
  desc: Descriptor
  /** The serialised manifest, to push as is. */
  bytes: Buffer
}

/** What convertGraph made: the new root and the manifests to push for it. */
export interface Conversion {
  /** The root in the wanted family; the original root when nothing had to change. */
  root: Descriptor
  /** The manifests made, each after the manifests it points at: push them in this order. */
  created: ConvertedManifest[]
}

/** Options of convertGraph. */
export interface ConvertOptions extends OpOptions {
  /**
   * Convert the children of an index too (default true). False converts only the root index and
   * keeps its children as they are: for a registry that takes mixed indexes but not this index format.
   */
  children?: boolean
}

/**
 * Converts the graph of `root` (read from `src`) to `family`: every manifest and index of
 * another family is rewritten, and every index whose children changed. Throws ConversionError
 * for content without a lossless mapping (naming the manifest and what stops it), and what
 * fetchAll and parseManifest throw.
 */
export async function convertGraph(src: Fetcher, root: Descriptor, family: Family, options: ConvertOptions = {}): Promise<Conversion> {
  const created: ConvertedManifest[] = []
  const done = new Map<string, Descriptor>()
  const convert = async (desc: Descriptor, depth: number): Promise<Descriptor> => {
    const seen = done.get(desc.digest)
    if (seen !== undefined) return seen
    const raw = await fetchAll(src, desc, options)
    const parsed = parseManifest(raw, desc.mediaType)
    let made: ConvertedManifest | undefined
    if (parsed.kind === 'index') {
      const children = new Map<string, Descriptor>()
      for (const child of parsed.index.manifests) {
        if (isManifest(child.mediaType) && (options.children ?? true) && depth < MAX_DEPTH)
          children.set(child.digest, await convert(child, depth + 1))
      }
      const changed = [...children].some(([digest, d]) => d.digest !== digest)
      if (changed || familyOf(desc.mediaType) !== family) made = indexIn(family, parsed.index, children, desc, created)
    } else if (familyOf(desc.mediaType) !== family) {
      made = manifestIn(family, parsed.manifest, desc)
    }
    const result = made?.desc ?? desc
    if (made !== undefined) created.push(made)
    done.set(desc.digest, result)
    return result
  }
  return { root: await convert(root, 0), created }
}

/** Indexes of indexes deeper than this are not images anyone builds; the limit keeps a cyclic graph from recursing forever. */
const MAX_DEPTH = 8

function manifestIn(family: Family, m: ImageManifest, original: Descriptor): ConvertedManifest {
  const what = `image manifest ${original.digest}`
  if (family === 'docker') refuseOciOnly(m, what)
  const blob = (d: Descriptor, role: string): GoStruct => {
    const lost = (['annotations', 'artifactType', 'data'] as const).filter((k) => d[k] !== undefined)
    if (family === 'docker' && lost.length > 0)
      throw new ConversionError(`${what}: its ${role} ${d.digest} has ${lost.join(', ')}, which Docker schema 2 cannot hold`)
    return descriptorIn(family, { ...d, mediaType: blobTypeIn(family, d.mediaType, `${what}: its ${role} ${d.digest}`) })
  }
  const layers = (m.layers ?? []).map((l) => blob(l, 'layer'))
  const body: GoStruct =
    family === 'docker'
      ? { schemaVersion: 2, mediaType: MediaTypes.DockerManifest, config: blob(m.config, 'config'), layers }
      : {
          schemaVersion: 2,
          mediaType: MediaTypes.OciManifest,
          artifactType: m.artifactType,
          config: blob(m.config, 'config'),
          layers,
          subject: m.subject && descriptorIn(family, m.subject),
          annotations: m.annotations && stringMap(m.annotations),
        }
  return made(MANIFEST_TYPE[family], body, family)
}

function indexIn(
  family: Family,
  index: ImageIndex,
  children: ReadonlyMap<string, Descriptor>,
  original: Descriptor,
  created: readonly ConvertedManifest[],
): ConvertedManifest {
  const what = `image index ${original.digest}`
  if (family === 'docker') refuseOciOnly(index, what)
  const manifests = index.manifests.map((entry) => {
    const lost = (['annotations', 'artifactType', 'data'] as const).filter((k) => entry[k] !== undefined)
    if (family === 'docker' && lost.length > 0)
      throw new ConversionError(`${what}: its entry ${entry.digest} has ${lost.join(', ')}, which a Docker manifest list cannot hold`)
    const child = children.get(entry.digest) ?? entry
    // Embedded data is a copy of the child: a converted child's new bytes replace it.
    const bytes =
      child.digest !== entry.digest && entry.data !== undefined ? created.find((m) => m.desc.digest === child.digest)?.bytes : undefined
    return descriptorIn(family, {
      ...entry,
      mediaType: child.mediaType,
      digest: child.digest,
      size: child.size,
      ...(bytes !== undefined && { data: bytes.toString('base64') }),
    })
  })
  // An OCI index rebuilt in its own family (its children converted) keeps every OCI field.
  const body: GoStruct = {
    schemaVersion: 2,
    mediaType: INDEX_TYPE[family],
    artifactType: family === 'oci' ? index.artifactType : undefined,
    manifests,
    subject: family === 'oci' && index.subject ? descriptorIn(family, index.subject) : undefined,
    annotations: index.annotations && stringMap(index.annotations),
  }
  return made(INDEX_TYPE[family], body, family)
}

/** Fields of OCI manifests and indexes that Docker schema 2 does not have. */
function refuseOciOnly(doc: ImageManifest | ImageIndex, what: string): void {
  const lost = (['annotations', 'subject', 'artifactType'] as const).filter((k) => doc[k] !== undefined)
  if (lost.length > 0) throw new ConversionError(`${what} has ${lost.join(', ')}, which ${FAMILY_NAME.docker} cannot hold`)
}

/** The blob type naming the same bytes in `family`. */
function blobTypeIn(family: Family, mediaType: string, what: string): string {
  const m = baseMediaType(mediaType)
  const pair = BLOB_TYPES.find(([oci, docker]) => m === oci || m === docker)
  if (pair === undefined) {
    throw new ConversionError(
      `${what} is "${mediaType}", which has no ${FAMILY_NAME[family]} equivalent (only tar and tar+gzip layers and image configs convert)`,
      {
        suggestions: [
          "publish with an index format and config variant of the images' own family (--index-format, --config-variant), or rebuild the images with gzip layers",
        ],
      },
    )
  }
  return family === 'oci' ? pair[0] : pair[1]
}

/** A descriptor in the field order of `family`'s Go struct; undefined fields are left out. */
function descriptorIn(family: Family, d: Descriptor): GoStruct {
  const urls = d.urls && (d.urls as GoValue[])
  const platform = d.platform && platformStruct(d.platform)
  return family === 'docker'
    ? { mediaType: d.mediaType, size: d.size, digest: d.digest, urls, platform }
    : {
        mediaType: d.mediaType,
        digest: d.digest,
        size: d.size,
        urls,
        annotations: d.annotations && stringMap(d.annotations),
        data: d.data,
        platform,
        artifactType: d.artifactType,
      }
}

function platformStruct(p: Platform): GoStruct {
  return {
    architecture: p.architecture,
    os: p.os,
    'os.version': p['os.version'],
    'os.features': p['os.features'],
    variant: p.variant,
    features: p.features,
  }
}

/** Annotations: a Go map, written with its keys sorted. */
function stringMap(map: Record<string, string>): GoMap {
  return new GoMap(map)
}

function made(mediaType: string, body: GoStruct, family: Family): ConvertedManifest {
  const bytes = goMarshal(body, family === 'docker' ? DOCKER_INDENT : '')
  return { desc: { mediaType, digest: digestOf(bytes), size: bytes.length }, bytes }
}
