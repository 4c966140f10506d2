/**
 * What a published or built bundle contains, as one library call (the model `ocibundle inspect`
 * renders): name, version and description, the invocation and component images with their
 * original and relocated references, digests, sizes and platforms, and the bundle's parameters,
 * credentials, outputs and custom actions. Every digest on the way is verified.
 */
import { entriesOf, field, isRecord, itemsOf, stringField } from '../cnab/json-shape.js'
import type { ReadOnlyStorage } from '../content/storage.js'
import { platformsOf } from '../copy/platform.js'
import { isDigest } from '../oci/digest.js'
import { formatReference } from '../oci/reference.js'
import { contentReference } from './target-argument.js'
import { derivedTagReader } from './manifest-refs.js'
import { withTargets, type OperationOptions } from './open-target.js'
import { pullBundle, type PullResult } from './pull-bundle.js'

/** One image of an inspected bundle. */
export interface InspectedImage {
  /** Whether bundle.json lists it under `invocationImages` or `images`. */
  role: 'invocation' | 'component'
  /** The component's name in bundle.json (`images` key); absent for invocation images. */
  name?: string
  /** The reference exactly as bundle.json writes it. */
  image: string
  /** Where the image is now (relocation map), when the bundle is in a registry. */
  relocated?: string
  /** The manifest digest bundle.json states (`contentDigest`). */
  digest?: string
  /** The manifest size bundle.json states. */
  size?: number
  /** The manifest media type bundle.json states. */
  mediaType?: string
  /**
   * `os/arch[/variant]` of each platform (index entries, or the image config); empty unless
   * bundle.json states digest, size and media type, since the manifest is read by them.
   */
  platforms: string[]
  /** The image's `description` in bundle.json. */
  description?: string
}

/** One parameter of an inspected bundle, with what its definition says. */
export interface InspectedParameter {
  /** The parameter's key in bundle.json `parameters`. */
  name: string
  /** The JSON Schema `type` of its definition. */
  type?: string
  /** The `default` of its definition. */
  default?: unknown
  /** Whether the parameter must be given (`required: true`). */
  required: boolean
  /** The environment variable it is passed in (`destination.env`). */
  env?: string
  /** The file it is written to (`destination.path`). */
  path?: string
  /** The actions it applies to; absent means every action. */
  applyTo?: string[]
}

/** What inspect returns: the model `ocibundle inspect` renders. */
export interface InspectResult {
  /** The bundle inspected, normalised. */
  reference: string
  /** The bundle digest (what the tag names). */
  digest: string
  /** bundle.json `name`. */
  name: string
  /** bundle.json `version`. */
  version: string
  /** bundle.json `description`, when not empty. */
  description?: string
  /** bundle.json `schemaVersion` (the CNAB spec version). */
  schemaVersion?: string
  /** How the bundle is stored: index format, config manifest and config media types. */
  representation: PullResult['representation']
  /** The invocation images in order, then the component images sorted by name. */
  images: InspectedImage[]
  /** The parameters, in bundle.json order. */
  parameters: InspectedParameter[]
  /** The credentials, in bundle.json order, with where they are passed. */
  credentials: Array<{ name: string; env?: string; path?: string; required: boolean }>
  /** The outputs, in bundle.json order, with the `type` of their definition. */
  outputs: Array<{ name: string; path?: string; type?: string; applyTo?: string[] }>
  /** The custom actions, in bundle.json order. */
  actions: Array<{ name: string; modifies?: boolean; stateless?: boolean; description?: string }>
  /** What was tolerated while reading (legacy forms, a missing contentDigest, non-canonical bytes). */
  warnings: string[]
}

/**
 * Reads the bundle `source` names (`registry/repo:tag`, `@digest`, `ocidir://dir:tag`) and
 * describes it. An invocation image without contentDigest is accepted (a warning). Manifests a
 * registry serves by tag only are read by their derived tag. Throws what pullBundle throws
 * (NotABundleError, DigestMismatchError, NotFoundError, …).
 */
export async function inspect(source: string, options: OperationOptions = {}): Promise<InspectResult> {
  const { ref, selector } = contentReference(source)
  return withTargets(options, [ref], async (targets) => {
    const target = derivedTagReader(await targets.open(ref))
    const o = { signal: options.signal }
    const pulled = await pullBundle(target, selector, { allowMissingContentDigest: true, ...o })
    const b = pulled.bundle
    const relocated = pulled.relocationMap ?? {}
    const images: InspectedImage[] = []
    for (const inv of itemsOf(field(b, 'invocationImages')))
      images.push(await describeImage(target, 'invocation', undefined, inv, relocated, o))
    for (const [name, img] of entriesOf(field(b, 'images')).sort(([a], [c]) => (a < c ? -1 : 1))) {
      images.push(await describeImage(target, 'component', name, img, relocated, o))
    }
    const description = stringField(b, 'description')
    const schemaVersion = stringField(b, 'schemaVersion')
    return {
      reference: formatReference(ref),
      digest: pulled.digest,
      // A bundle read back may be damaged; the schema requires both.
      name: stringField(b, 'name') ?? '(no name)',
      version: stringField(b, 'version') ?? '(no version)',
      ...(description !== undefined && description !== '' && { description }),
      ...(schemaVersion !== undefined && { schemaVersion }),
      representation: pulled.representation,
      images,
      parameters: entriesOf(field(b, 'parameters')).map(([name, p]) => describeParameter(b, name, p)),
      credentials: entriesOf(field(b, 'credentials')).map(([name, c]) => ({
        name,
        ...optionalString(c, 'env'),
        ...optionalString(c, 'path'),
        required: field(c, 'required') === true,
      })),
      outputs: entriesOf(field(b, 'outputs')).map(([name, out]) => ({
        name,
        ...optionalString(out, 'path'),
        ...optionalString(definitionOf(b, out), 'type'),
        ...applyTo(out),
      })),
      actions: entriesOf(field(b, 'actions')).map(([name, a]) => ({
        name,
        ...(typeof field(a, 'modifies') === 'boolean' && { modifies: field(a, 'modifies') as boolean }),
        ...(typeof field(a, 'stateless') === 'boolean' && { stateless: field(a, 'stateless') as boolean }),
        ...optionalString(a, 'description'),
      })),
      warnings: pulled.warnings,
    }
  })
}

async function describeImage(
  target: ReadOnlyStorage,
  role: InspectedImage['role'],
  name: string | undefined,
  img: unknown,
  relocated: Record<string, string>,
  o: { signal?: AbortSignal | undefined },
): Promise<InspectedImage> {
  const image = String(field(img, 'image'))
  const digest = stringField(img, 'contentDigest')
  const size = typeof field(img, 'size') === 'number' ? (field(img, 'size') as number) : undefined
  const mediaType = stringField(img, 'mediaType')
  const known = digest !== undefined && isDigest(digest) && size !== undefined && mediaType !== undefined
  // Index entries without a platform (attestations, say) are not platforms of the image.
  const platforms = known ? (await platformsOf(target, { mediaType, digest, size }, o)).filter((p) => p !== 'unknown') : []
  return {
    role,
    ...(name !== undefined && { name }),
    image,
    ...(relocated[image] !== undefined && { relocated: relocated[image] }),
    ...(digest !== undefined && { digest }),
    ...(size !== undefined && { size }),
    ...(mediaType !== undefined && { mediaType }),
    platforms,
    ...optionalString(img, 'description'),
  }
}

function describeParameter(bundle: unknown, name: string, param: unknown): InspectedParameter {
  const def = definitionOf(bundle, param)
  const destination = field(param, 'destination')
  return {
    name,
    ...optionalString(def, 'type'),
    ...(field(def, 'default') !== undefined && { default: field(def, 'default') }),
    required: field(param, 'required') === true,
    ...optionalString(destination, 'env'),
    ...optionalString(destination, 'path'),
    ...applyTo(param),
  }
}

/** The definition a parameter or output refers to, or undefined. */
function definitionOf(bundle: unknown, item: unknown): unknown {
  const definitions = field(bundle, 'definitions')
  const name = field(item, 'definition')
  return isRecord(definitions) && typeof name === 'string' ? field(definitions, name) : undefined
}

/** `{ [key]: value }` when `obj[key]` is a string, else nothing. */
function optionalString<K extends string>(obj: unknown, key: K): Partial<Record<K, string>> {
  const value = stringField(obj, key)
  return value !== undefined ? ({ [key]: value } as Record<K, string>) : {}
}

function applyTo(item: unknown): { applyTo?: string[] } {
  const list = field(item, 'applyTo')
  return Array.isArray(list) ? { applyTo: list.map(String) } : {}
}
