/**
 * `ocibundle artifact push` and `ocibundle attach` as library calls: any files as an OCI
 * artifact (image-spec v1.1: `artifactType`, the empty config), pushed to a registry or a
 * layout, optionally referring to a subject (a signature, an SBOM, an attestation). Where a
 * registry refuses the artifact form, the classified fallback tiers (ARTIFACT_TIERS in
 * src/compat/strategies.ts) find one it takes, as for bundles, and the result says which.
 * Reference: https://github.com/opencontainers/image-spec/blob/v1.1.1/manifest.md#guidelines-for-artifact-usage
 */
import { CapabilityCache, hintsFromReport } from '../compat/capabilities.js'
import type { TierAttempt } from '../compat/classify.js'
import { loadReport, type ReportCacheOptions } from '../compat/report-cache.js'
import { ARTIFACT_TIERS, firstWorkingTier, withRun, type ArtifactForm } from '../compat/strategies.js'
import { canPushBlob, type OpOptions, type Target } from '../content/storage.js'
import { UsageError } from '../errors.js'
import { descriptorFromBytes, plainDescriptor, type Descriptor } from '../oci/descriptor.js'
import { isValidMediaType } from '../oci/media-types.js'
import { formatReference, referenceSelector, type Reference } from '../oci/reference.js'
import type { ReferrerRecord } from '../registry/referrers.js'
import { RegistryRepository } from '../registry/repository.js'
import { readFileBounded } from '../util/files.js'
import { MAX_MANIFEST_BYTES } from '../oci/manifest.js'
import { parseArtifactFile, prepareLayer, UNPACK_ANNOTATION, type ArtifactFile, type PreparedLayer } from './artifact-files.js'
import { artifactManifest, UNKNOWN_CONFIG_TYPE, type ArtifactParts } from './artifact-manifest.js'
import { withTargets, type OperationOptions } from './open-target.js'
import { contentReference, destinationReference } from './target-argument.js'
import { Annotations } from '../oci/annotations.js'

/** Options of pushArtifact and attach. */
export interface PushArtifactOptions extends OperationOptions {
  /** The artifact type, a media type (`application/vnd.example.sbom.v1+json`). Required. */
  artifactType: string
  /** Manifest annotations. Nothing time-dependent is written unless given here (`org.opencontainers.image.created`). */
  annotations?: Readonly<Record<string, string>>
  /** A config file of the artifact (`file[:mediaType]`; media type default `application/vnd.unknown.config.v1+json`). Undefined → none. */
  config?: string | ArtifactFile
  /** Try the next form when the registry refuses one (classified refusals only). Default true. */
  allowFallback?: boolean
  /** Write only this form (ArtifactForm). */
  form?: ArtifactForm
  /** Where saved `registry check` reports are read from, to skip forms the registry is known to refuse; false → none. */
  reportCache?: Omit<ReportCacheOptions, 'warn'> | false
  /** Every form tried, refused or skipped, as it ends. */
  onAttempt?: (attempt: TierAttempt) => void
  /** Something was ignored (an unreadable saved report). */
  onWarning?: (message: string) => void
}

/** One layer of a pushed artifact. */
export interface PushedLayer {
  /** Its `org.opencontainers.image.title`: the base name of the file or directory. */
  title: string
  /** The file or directory it was made from, as given. */
  source: string
  /** Its descriptor, annotations included. */
  descriptor: Descriptor
  /** A directory, packed as tar+gzip, to be unpacked on pull. */
  directory: boolean
}

/** What pushArtifact pushed. */
export interface ArtifactPushed {
  /** Where the artifact is: with its tag, or `@digest` when pushed without one. */
  reference: string
  /** The manifest's descriptor. */
  descriptor: Descriptor
  /** The artifact type asked for. */
  artifactType: string
  /** How the manifest carries it (ArtifactForm); not `artifact-type` only when the registry refused that. */
  form: ArtifactForm
  /** Every form tried or skipped, the one used last. */
  attempts: TierAttempt[]
  /** The layers, in order. */
  layers: PushedLayer[]
  /** The config blob's descriptor. */
  config: Descriptor
}

/**
 * Pushes `files` (files and directories; strings in `path[:mediaType]` form or ArtifactFile)
 * as one artifact to `reference` (`registry/repo[:tag]`, `ocidir://dir[:tag]`, `./dir[:tag]`; a registry
 * reference without tag gets `latest`, a layout one is stored by digest). Each file is a layer
 * titled with its base name; a directory is packed deterministically into one tar+gzip layer.
 * The manifest is written in the first form the registry takes (ARTIFACT_TIERS), skipping forms
 * a saved `registry check` report says it refuses.
 * Throws UsageError for an artifact type that is not a media type or a reference with a
 * digest, NotFoundError for a missing file, NoWorkingTierError when every form was refused,
 * and what the registry answers otherwise (RegistryResponseError, AuthenticationError).
 */
export async function pushArtifact(
  reference: string,
  files: ReadonlyArray<string | ArtifactFile>,
  options: PushArtifactOptions,
): Promise<ArtifactPushed> {
  const destination = destinationReference(reference)
  // As in docker, a registry reference without tag means :latest; a layout stores the artifact by digest.
  const ref =
    destination.kind === 'registry' && referenceSelector(destination) === undefined ? { ...destination, tag: 'latest' } : destination
  if (ref.digest !== undefined) throw new UsageError('an artifact is pushed under a tag, not a digest; drop the @digest')
  return withTargets(options, [ref], async (targets) => {
    const target = await targets.open(ref, { write: true })
    const { pushed } = await writeArtifact(target, ref, files, options)
    return pushed
  })
}

/** What attach pushed, and how it was recorded as a referrer. */
export interface Attached extends ArtifactPushed {
  /** The subject, normalised, by digest. */
  subjectReference: string
  /** The subject's descriptor. */
  subject: Descriptor
  /**
   * How the artifact is found from its subject: `registry` (the referrers API indexed it,
   * `OCI-Subject`), `tag-schema` (in the `sha256-<hex>` index, `referrersTag`), or `layout`
   * (an OCI layout finds it through its subject field).
   */
  recordedBy: 'registry' | 'tag-schema' | 'layout'
  /** The referrers tag updated, for `tag-schema`. */
  referrersTag?: string
}

/**
 * Pushes `files` as an artifact whose `subject` is what `subject` names (`registry/repo:tag`,
 * `@digest`, `ocidir://dir:tag`, `./dir:tag`), into the subject's repository or layout, without a tag:
 * referrers are found through their subject. On a registry it is recorded as the referrers
 * mode says (OperationOptions.referrersMode): the registry's API where it has one, else the
 * `sha256-<hex>` tag-schema index, updated without dropping other tools' entries and safely
 * against a concurrent attach. Throws as pushArtifact, NotFoundError for a missing subject,
 * UnsupportedError where referrers cannot be recorded (mode `api` without API, GITLAB-1).
 */
export async function attach(
  subject: string,
  files: ReadonlyArray<string | ArtifactFile>,
  options: PushArtifactOptions,
): Promise<Attached> {
  const { ref, selector } = contentReference(subject)
  return withTargets(options, [ref], async (targets) => {
    const target = await targets.open(ref, { write: true })
    const o: OpOptions = { signal: options.signal }
    const subjectDesc = plainDescriptor(await target.resolve(selector, o))
    const where: Reference = { ...ref, tag: undefined, digest: undefined }
    const { pushed, record } = await writeArtifact(target, where, files, options, subjectDesc)
    return {
      ...pushed,
      subjectReference: formatReference({ ...where, digest: subjectDesc.digest }),
      subject: subjectDesc,
      recordedBy: record === undefined ? 'layout' : record.via,
      ...(record?.via === 'tag-schema' && { referrersTag: record.tag }),
    }
  })
}

/** Pushes layers, config and manifest into `target`, tagged with `ref.tag` when it has one. */
async function writeArtifact(
  target: Target,
  ref: Reference,
  files: ReadonlyArray<string | ArtifactFile>,
  options: PushArtifactOptions,
  subject?: Descriptor,
): Promise<{ pushed: ArtifactPushed; record: ReferrerRecord | undefined }> {
  if (!isValidMediaType(options.artifactType)) {
    throw new UsageError(`the artifact type must be a media type (type/subtype), not "${options.artifactType}"`, {
      suggestions: ['for example --artifact-type application/vnd.example.sbom.v1+json'],
    })
  }
  const o: OpOptions = { signal: options.signal }
  const config = options.config !== undefined ? await readConfig(options.config) : undefined
  const prepared: PreparedLayer[] = []
  try {
    for (const file of files) prepared.push(await prepareLayer(typeof file === 'string' ? parseArtifactFile(file) : file))
    for (const layer of prepared) {
      if (canPushBlob(target)) await target.pushBlob(layer.desc, layer.open, o)
      else await target.push(layer.desc, await layer.open(), o)
    }
  } finally {
    await Promise.all(prepared.map((l) => l.dispose()))
  }
  const parts: ArtifactParts = {
    artifactType: options.artifactType,
    layers: prepared.map((l) => l.desc),
    ...(config !== undefined && { config }),
    ...(subject !== undefined && { subject }),
    ...(options.annotations !== undefined && { annotations: options.annotations }),
  }
  const host = ref.kind === 'registry' ? ref.registry : '(layout)'
  const cache = new CapabilityCache()
  if (ref.kind === 'registry' && options.reportCache !== false) {
    const report = await loadReport(ref.registry, {
      ...(options.reportCache ?? {}),
      env: options.reportCache?.env ?? options.env ?? process.env,
      ...(options.onWarning && { warn: options.onWarning }),
    })
    if (report !== undefined) cache.seed(ref.registry, hintsFromReport(report))
  }
  const specs = ARTIFACT_TIERS.filter(
    (t) => (options.form === undefined || t.id === options.form) && !(t.id === 'image-config' && config !== undefined),
  ).map((t) => (options.form !== undefined ? { ...t, needs: [] } : t))
  let record: ReferrerRecord | undefined
  const outcome = await firstWorkingTier(
    withRun(specs, async (form: ArtifactForm) => {
      const built = artifactManifest(form, parts)
      await target.push(built.config.desc, built.config.bytes, o)
      if (target instanceof RegistryRepository) {
        record = (await target.pushManifest(built.desc, built.bytes, { ...o, ...(ref.tag !== undefined && { reference: ref.tag }) }))
          .referrer
      } else {
        await target.push(built.desc, built.bytes, o)
        if (ref.tag !== undefined) await target.tag(built.desc, ref.tag, o)
      }
      return built
    }),
    undefined,
    {
      host,
      cache,
      allowFallback: options.allowFallback ?? true,
      ...(options.signal && { signal: options.signal }),
      ...(options.onAttempt && { onAttempt: options.onAttempt }),
    },
  )
  const built = outcome.value
  return {
    record,
    pushed: {
      reference: formatReference(ref.tag !== undefined ? ref : { ...ref, digest: built.desc.digest }),
      descriptor: built.desc,
      artifactType: options.artifactType,
      form: outcome.used as ArtifactForm,
      attempts: outcome.attempts,
      layers: prepared.map((l) => ({
        title: l.desc.annotations![Annotations.Title]!,
        source: l.source,
        descriptor: l.desc,
        directory: l.desc.annotations?.[UNPACK_ANNOTATION] === 'true',
      })),
      config: built.config.desc,
    },
  }
}

/** The caller's config file as a blob (4 MiB at most, as a manifest). */
async function readConfig(config: string | ArtifactFile): Promise<{ desc: Descriptor; bytes: Buffer }> {
  const file = typeof config === 'string' ? parseArtifactFile(config) : config
  const bytes = await readFileBounded(file.path, MAX_MANIFEST_BYTES, `config ${file.path}`)
  return { desc: descriptorFromBytes(file.mediaType ?? UNKNOWN_CONFIG_TYPE, bytes), bytes }
}
