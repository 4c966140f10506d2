/**
 * Writing a bundle whose images are already in the destination: the config blob, a config
 * manifest variant, and the top level under the bundle tag (an index, or without index the
 * config manifest itself), each decision through its tiers (PublishSession).
 *
 * Index formats and families: an index whose children are all of its own family (OCI or Docker
 * schema 2) is written as it is. One with children of the other family is first tried as it is
 * (it then needs `mixed-index-children`), and after every format was tried so, with those images
 * converted to the index's family (tier `<format>, images converted`; convert-family.ts; GCR
 * refuses mixed indexes, GCR-1..3). Converting changes the images' digests, so bundle.json
 * (their contentDigest) and the relocation map change too.
 *
 * Without index (`no-index`, Nexus, NEXUS-5) every image is also kept under its derived tag, so
 * that a garbage collector of untagged manifests does not take what only bundle.json points at.
 */
import type { IndexChoice } from '../compat/capabilities.js'
import type { TierSpec } from '../compat/strategies.js'
import type { OpOptions } from '../content/storage.js'
import { AlreadyExistsError } from '../errors.js'
import type { Descriptor } from '../oci/descriptor.js'
import { digestOf } from '../oci/digest.js'
import {
  bundleIndex,
  configBlob,
  configManifestVariants,
  type ConfigManifestVariant,
  type ConfigVariantId,
  type IndexFormat,
  type OciShape,
} from '../cnab/oci/index.js'
import { updateImageDescriptors } from './image-fields.js'
import { convertGraph, familyOf, type Family } from './convert-family.js'
import type { FixupChange } from './image-fields.js'
import type { ManifestRefTarget } from './manifest-refs.js'
import type { PublishSession } from './publish-session.js'

/** What the top level of a published bundle is, and everything it was built from. */
export interface WrittenBundle {
  /** bundle.json as published: converted images change it. */
  bundle: unknown
  /** The manifest of every image reference as the bundle records it. */
  images: Map<string, Descriptor>
  /** The config blob. */
  blob: Descriptor
  variant: ConfigManifestVariant
  shape: OciShape
  index: IndexChoice
  /** What the bundle tag names: the index, or (no-index) the config manifest. */
  top: Descriptor
  /** The images converted to another family, as changes to bundle.json. */
  changes: FixupChange[]
}

const INDEX_FAMILY: Record<IndexFormat, Family> = { 'oci-index': 'oci', 'docker-manifest-list': 'docker' }
/** The suffix of an index tier whose images are converted to the index's family. */
const CONVERTED = ', images converted'

function parseTier(tier: string): { format: IndexChoice; convert: boolean } {
  const convert = tier.endsWith(CONVERTED)
  return { format: (convert ? tier.slice(0, -CONVERTED.length) : tier) as IndexChoice, convert }
}
const CONFIG_FAMILY: Record<ConfigVariantId, Family> = { 'cnab-config': 'oci', 'oci-image-config': 'oci', 'docker-config': 'docker' }

/** The config manifest that was accepted, with the shape it was written in. */
interface PushedConfig {
  variant: ConfigManifestVariant
  shape: OciShape
}

/** Writes one bundle under one tag; see the module comment. */
export class BundleWriter {
  /** Config manifests pushed, by config blob digest and family restriction: each decided once. */
  private readonly configs = new Map<string, Promise<PushedConfig>>()

  /**
   * `stored`: the bundle as published, with the bytes its config blob has (not canonicalised
   * again: a re-fit keeps them); any other bundle value is stored in canonical form.
   */
  constructor(
    private readonly session: PublishSession,
    private readonly target: ManifestRefTarget,
    private readonly tag: string,
    private readonly o: OpOptions,
    private readonly stored?: { bundle: unknown; blob: Buffer },
  ) {}

  /**
   * Pushes the config blob and manifest, then the top level through the index tiers. The
   * config manifest is decided before the index, so that a registry refusing every config
   * variant is reported as that, not as a refused index format.
   */
  async write(bundle: unknown, images: Map<string, Descriptor>): Promise<WrittenBundle> {
    await this.pushConfig(bundle, this.familyFor(this.session.order('index')[0]!))
    const outcome = await this.session.run(
      'index',
      this.indexTiers(images),
      (tier: string) => {
        const { format, convert } = parseTier(tier)
        if (format === 'no-index') return this.withoutIndex(bundle, images)
        return convert ? this.converted(format, bundle, images) : this.asIs(format, bundle, images)
      },
      undefined,
    )
    return outcome.value
  }

  /**
   * The index tiers for these images: every index format of the session's order as it is, then
   * (where images are of the other family) each converted to the format's family, then no index.
   * A format over images of the other family needs `mixed-index-children`, and its refusal
   * proves nothing: the format or the mix may be what was refused. Converting comes after every
   * format was tried as it is, because it changes the images' digests (GCR takes Docker images
   * in a Docker manifest list as they are).
   */
  private indexTiers(images: ReadonlyMap<string, Descriptor>): TierSpec[] {
    const forced = this.session.isForced('index')
    const specs = this.session.specs('index')
    const mixed = (format: IndexFormat): boolean => [...images.values()].some((d) => familyOf(d.mediaType) !== INDEX_FAMILY[format])
    const formats = specs.filter((s): s is TierSpec<IndexFormat> => s.id !== 'no-index')
    return [
      ...formats.map((s): TierSpec => (mixed(s.id) ? { ...s, needs: forced ? [] : [s.id, 'mixed-index-children'], proves: undefined } : s)),
      ...formats
        .filter((s) => mixed(s.id))
        .map((s): TierSpec => ({
          id: `${s.id}${CONVERTED}`,
          needs: forced ? [] : [s.id],
          proves: s.id,
          addresses: `GCR refuses indexes mixing OCI and Docker manifests [GCR-1, GCR-2, GCR-3]: the images are converted to the ${INDEX_FAMILY[s.id]} family`,
        })),
      ...specs.filter((s) => s.id === 'no-index'),
    ]
  }

  /** The family config manifests must have under `choice`: only where the registry refuses mixed indexes. */
  private familyFor(choice: IndexChoice): Family | undefined {
    return choice !== 'no-index' && this.session.supports('mixed-index-children') === 'unsupported' ? INDEX_FAMILY[choice] : undefined
  }

  /** The index in `format` over `images` as they are; the config manifest of `family` when given, else as familyFor says. */
  private async asIs(
    format: IndexFormat,
    bundle: unknown,
    images: Map<string, Descriptor>,
    family = this.familyFor(format),
    changes: FixupChange[] = [],
  ): Promise<WrittenBundle> {
    const { variant, shape } = await this.pushConfig(bundle, family)
    const built = bundleIndex(bundle, { config: variant.descriptor, images, format, shape })
    await this.pushTop(built.descriptor, built.bytes)
    return { bundle, images, blob: variant.config, variant, shape, index: format, top: built.descriptor, changes }
  }

  /** Converts every image to the index's family, pushes what the conversion made, and writes the changed bundle, all of one family. */
  private async converted(format: IndexFormat, bundle: unknown, images: Map<string, Descriptor>): Promise<WrittenBundle> {
    const family = INDEX_FAMILY[format]
    const converted = new Map<string, Descriptor>()
    for (const [ref, desc] of images) {
      const conversion = await convertGraph(this.target, desc, family, this.o)
      for (const m of conversion.created) await this.pushPresentOk(m.desc, m.bytes)
      converted.set(ref, conversion.root)
    }
    const reason = `converted to ${family === 'oci' ? 'OCI' : 'Docker schema 2'}: the registry refuses ${format === 'oci-index' ? 'an OCI image index' : 'a Docker manifest list'} mixing OCI and Docker manifests`
    const updated = updateImageDescriptors(bundle, converted, reason)
    return this.asIs(format, updated.bundle, converted, family, updated.changes)
  }

  private async withoutIndex(bundle: unknown, images: Map<string, Descriptor>): Promise<WrittenBundle> {
    const { variant, shape } = await this.pushConfig(bundle, undefined)
    for (const desc of images.values()) await this.target.tagDerived(desc, this.o)
    await this.pushTop(variant.descriptor, variant.bytes)
    return { bundle, images, blob: variant.config, variant, shape, index: 'no-index', top: variant.descriptor, changes: [] }
  }

  /**
   * Pushes the config blob and the first config manifest variant the registry takes (of
   * `family` only, when given), each variant in the layer shapes of the session. Decided once
   * per blob and family.
   */
  private pushConfig(bundle: unknown, family: Family | undefined): Promise<PushedConfig> {
    const blob = this.stored !== undefined && bundle === this.stored.bundle ? this.stored.blob : configBlob(bundle)
    const key = `${digestOf(blob)} ${family ?? 'any'}`
    let pushed = this.configs.get(key)
    if (pushed === undefined) {
      pushed = this.decideConfig(blob, family)
      this.configs.set(key, pushed)
    }
    return pushed
  }

  private async decideConfig(blob: Buffer, family: Family | undefined): Promise<PushedConfig> {
    const blobDesc = { digest: digestOf(blob), size: blob.length }
    await this.pushPresentOk(configManifestVariants(blobDesc)[0]!.config, blob)
    const specs = this.session.specs('config').filter((s) => family === undefined || CONFIG_FAMILY[s.id] === family)
    const shapes = this.session.specs('shape')
    const pushShape = async (id: ConfigVariantId, shape: OciShape): Promise<PushedConfig> => {
      const variant = configManifestVariants(blobDesc, { shape }).find((v) => v.id === id)!
      await this.pushPresentOk(variant.descriptor, variant.bytes)
      return { variant, shape }
    }
    const outcome = await this.session.run(
      'config',
      specs,
      async (id: ConfigVariantId) =>
        // The Docker variant has the same bytes in both shapes: there is nothing to choose.
        shapes.length === 1 || id === 'docker-config'
          ? pushShape(id, shapes[0]!.id)
          : (await this.session.run('shape', shapes, (shape: OciShape) => pushShape(id, shape), undefined)).value,
      undefined,
    )
    return outcome.value
  }

  /**
   * Pushes what the bundle tag names under that tag; where manifests are kept under derived
   * tags, under its own as well, so that it can be read by its digest too (copy and pull by
   * digest read it so, and GitHub Packages serves no manifest by digest).
   */
  private async pushTop(desc: Descriptor, bytes: Buffer): Promise<void> {
    if (this.target.manifestRefs === 'deterministic-tag') await this.pushPresentOk(desc, bytes)
    await this.target.pushReference(desc, bytes, this.tag, this.o)
  }

  /** Pushes content, counting content already present as pushed. */
  private async pushPresentOk(desc: Descriptor, bytes: Buffer): Promise<void> {
    try {
      await this.target.push(desc, bytes, this.o)
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err
    }
  }
}
