/**
 * Pulling a bundle for an installer as one library call, as `ocibundle pull` does: bundle.json
 * exactly as published, the relocation map, and optionally every image in a thick-bundle layout,
 * written into a directory.
 */
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { GraphTarget } from '../content/storage.js'
import type { CopyProgress } from '../copy/index.js'
import { OciLayoutStore } from '../layout/layout-store.js'
import type { Descriptor } from '../oci/descriptor.js'
import { formatReference } from '../oci/reference.js'
import { contentReference } from './target-argument.js'
import { writeFileAtomic } from '../util/files.js'
import { withTargets, type OperationOptions } from './open-target.js'
import { pullBundle, type PullResult } from './pull-bundle.js'

/** Options of pull. */
export interface PullCallOptions extends OperationOptions {
  /** Also write every image into `<outputDir>/artifacts/layout`, tagged with the references bundle.json uses. Default false. */
  withImages?: boolean
  /** Accept an invocation image without contentDigest (a warning instead of an error). Default false. */
  allowMissingDigest?: boolean
  /** Bytes of each image blob as it is written. */
  onProgress?: (progress: CopyProgress) => void
  /** Something was tolerated (a legacy form, a missing contentDigest, non-canonical bytes). */
  onWarning?: (message: string) => void
  /** With `images`: also write the referrers (signatures, SBOMs) of the bundle index and of every image into the layout. Default true. */
  referrers?: boolean
}

/** What pull wrote, and what it found. */
export interface PullOutcome {
  /** The bundle pulled, normalised. */
  source: string
  /** The bundle digest (of its index, or of its config manifest when stored without index). */
  digest: string
  /** The path of bundle.json: the published config blob, byte for byte. */
  bundle: string
  /** The size of bundle.json in bytes. */
  bundleSize: number
  /** The path of relocation-mapping.json; absent for a bundle read from a layout (it has no repository). */
  relocationMapping?: string
  /** CNAB relocation map (spec 103): original image reference → where it is now. */
  relocationMap?: Record<string, string>
  /** With `withImages`: the layout written, the manifest of every image reference, and the referrers that came along. */
  images?: { layout: string; manifests: Record<string, Descriptor>; referrers?: Descriptor[] }
  /** What was found: the index format, the config manifest's and the config's media types. */
  representation: PullResult['representation']
  /** What was tolerated while reading (also passed to `onWarning`). */
  warnings: string[]
}

/**
 * Pulls the bundle `source` names (`registry/repo:tag`, `@digest`, `ocidir://dir:tag`, `./dir:tag`) into
 * `outputDir` (created when missing): `bundle.json`, byte-identical to the published config
 * blob, `relocation-mapping.json` (not for a layout source), and with `withImages` every image in
 * `<outputDir>/artifacts/layout`. Every digest and size is verified, and the invocation image
 * must be the one bundle.json pins. Files are written atomically.
 * Throws what pullBundle throws (NotABundleError, InvalidContentError,
 * InvocationImageMismatchError, DigestMismatchError, NotFoundError, CopyError) and file system
 * errors.
 */
export async function pull(source: string, outputDir: string, options: PullCallOptions = {}): Promise<PullOutcome> {
  const { ref, selector } = contentReference(source)
  return withTargets(options, [ref], async (targets) => {
    const from = await targets.open(ref)
    // The first directory made for the output, when it did not exist: removed again if the pull fails before writing it.
    const createdOutput = await mkdir(outputDir, { recursive: true })
    const layoutDir = join(outputDir, 'artifacts', 'layout')
    let images: OciLayoutStore | undefined
    try {
      images = options.withImages ? await targets.openLayout(layoutDir, true) : undefined
      return await pullInto(from, selector, outputDir, images, options, formatReference(ref), layoutDir)
    } catch (err) {
      if (createdOutput !== undefined && (images === undefined || (await images.isEmpty().catch(() => false)))) {
        await rm(createdOutput, { recursive: true, force: true })
      }
      throw err
    }
  })
}

/** The pull itself, into an existing `outputDir`. */
async function pullInto(
  from: GraphTarget,
  selector: string,
  outputDir: string,
  images: OciLayoutStore | undefined,
  options: PullCallOptions,
  source: string,
  layoutDir: string,
): Promise<PullOutcome> {
  const pulled = await pullBundle(from, selector, {
    ...(images && { images }),
    allowMissingContentDigest: options.allowMissingDigest ?? false,
    ...(options.referrers !== undefined && { referrers: options.referrers }),
    ...(options.signal && { signal: options.signal }),
    ...(options.onProgress && { onProgress: (_image: string, p: CopyProgress) => options.onProgress!(p) }),
  })
  const bundleFile = join(outputDir, 'bundle.json')
  await writeFileAtomic(bundleFile, pulled.bundleBytes)
  let relocationFile: string | undefined
  if (pulled.relocationMap) {
    relocationFile = join(outputDir, 'relocation-mapping.json')
    await writeFileAtomic(relocationFile, Buffer.from(`${JSON.stringify(pulled.relocationMap, null, 2)}\n`))
  }
  for (const w of pulled.warnings) options.onWarning?.(w)
  return {
    source,
    digest: pulled.digest,
    bundle: bundleFile,
    bundleSize: pulled.bundleBytes.length,
    ...(relocationFile && { relocationMapping: relocationFile, relocationMap: pulled.relocationMap }),
    ...(pulled.images && {
      images: {
        layout: layoutDir,
        manifests: Object.fromEntries(pulled.images),
        ...(pulled.referrers !== undefined && { referrers: pulled.referrers }),
      },
    }),
    representation: pulled.representation,
    warnings: pulled.warnings,
  }
}
