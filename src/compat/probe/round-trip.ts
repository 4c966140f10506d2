/**
 * P9 of the checklist: publish a tiny bundle the way the publisher would (the representation
 * planFromReport picks from what P0–P6 found, falling back through firstWorkingTier should that
 * be refused), then read every object back by the references a puller would use and compare the
 * bytes. Its outcome is the verdict: the representation that survived, or why none did.
 */
import { bundleIndex, configBlob, configManifestVariants, type ConfigVariantId, type OciShape } from '../../cnab/oci/to-oci.js'
import { messageOf } from '../../errors.js'
import { MANIFEST_ACCEPT, MediaTypes } from '../../oci/media-types.js'
import { blobPath, manifestPath } from '../../registry/urls.js'
import {
  CAPABILITIES,
  CapabilityCache,
  formatEvidence,
  hintsFromReport,
  type CapabilityReport,
  type Evidence,
  type IndexChoice,
  type ManifestRefChoice,
  type Representation,
} from '../capabilities.js'
import {
  CONFIG_TIERS,
  deterministicTag,
  firstWorkingTier,
  INDEX_TIERS,
  MANIFEST_REF_TIERS,
  planFromReport,
  SHAPE_TIERS,
  withRun,
  type PublishPlan,
  type TierContext,
  type TierSpec,
} from '../strategies.js'
import { content, tinyBundle, tinyImage, type Content } from './content.js'
import { answerHeader, type Answer, type ProbeSession } from './probe-session.js'
import { accepted, fetchManifest, putManifest, uploadBlob } from './transfer.js'

/** A push refused without a client error to show for it (the registry stored other bytes). */
class Refused extends Error {
  constructor(readonly answer: Answer) {
    super(formatEvidence(answer.evidence))
  }
}

/** Throws for a push that did not store the bytes: the client's own error where there is one, so classifyPushError sees what a publish would see. */
function check(answer: Answer): void {
  if (accepted(answer)) return
  throw answer.error ?? new Refused(answer)
}

/** The specs of `order`, in that order (a plan lists ids). */
function ordered<Id extends string>(specs: readonly TierSpec<Id>[], order: readonly Id[]): TierSpec<Id>[] {
  return order.map((id) => specs.find((t) => t.id === id)!)
}

/** What the publish pushed, to be read back. */
interface Published {
  representation: Representation
  top: Content
  configManifest: Content
  config: Content
  image: Content
}

/**
 * Runs P9 and records `bundle-round-trip`. `report` is the report so far (P0–P6). Capabilities
 * the publish attempts learned (a refused tier) fill in what P3 left unknown. Returns the
 * representation that published and read back intact, or the reason none did.
 */
export async function probeRoundTrip(
  s: ProbeSession,
  report: CapabilityReport,
): Promise<{ representation: Representation } | { reason: string }> {
  const first = planFromReport(report)
  // Where indexes may not mix families (GCR-2), the image is made in the family of the config variant.
  const family = 'blocked' in first || first.config !== 'docker-config' ? 'oci' : 'docker'
  const plan = planFromReport(report, { imageMediaTypes: [family === 'oci' ? MediaTypes.OciManifest : MediaTypes.DockerManifest] })
  if ('blocked' in plan) {
    s.record('bundle-round-trip', 'unsupported', { note: plan.blocked })
    return { reason: plan.blocked }
  }
  const cache = new CapabilityCache()
  cache.seed(s.registry, hintsFromReport(report))
  const ctx: TierContext = { host: s.registry, cache, ...(s.signal && { signal: s.signal }) }
  let published: Published
  try {
    published = await publish(s, plan, family, ctx)
  } catch (err) {
    if (s.signal?.aborted) throw err
    learn(s, cache)
    const evidence = err instanceof Refused ? err.answer.evidence : { note: messageOf(err) }
    s.record('bundle-round-trip', 'unsupported', evidence)
    return { reason: formatEvidence(evidence) }
  }
  learn(s, cache)
  const { representation } = published
  const problem = await readBack(s, published)
  if (problem !== undefined) {
    s.record('bundle-round-trip', 'unsupported', problem)
    return {
      reason: `published as ${representation.index} + ${representation.config}, but it does not read back intact: ${formatEvidence(problem)}`,
    }
  }
  s.record('bundle-round-trip', 'supported', {
    note: `published and read back as ${representation.index} + ${representation.config} (${representation.shape}, manifests by ${representation.manifestRefs})`,
  })
  return { representation }
}

/**
 * Pushes invocation image, config blob, config manifest and top level, each decision through
 * its tiers in the plan's order: how manifests are referenced (learned on the image), config
 * variant × layer shape, index format. The bundle tag names the top level.
 */
async function publish(s: ProbeSession, plan: PublishPlan, family: 'oci' | 'docker', ctx: TierContext): Promise<Published> {
  const image = tinyImage(family, 'invocation')
  for (const blob of [image.config, image.layer])
    if (!(await uploadBlob(s, blob))) throw new Error(`the upload of blob ${blob.desc.digest} failed`)
  const pushReferenced = async (m: Content, ref: ManifestRefChoice): Promise<void> =>
    check(await putManifest(s, m, ref === 'digest' ? m.desc.digest : deterministicTag(m.desc.digest)))
  const refs = await firstWorkingTier(
    withRun(ordered(MANIFEST_REF_TIERS, plan.order.manifestRefs), async (ref, m: Content) => {
      await pushReferenced(m, ref)
      return ref
    }),
    image.manifest,
    ctx,
  )
  const imageRef = `${s.registry}/${s.repository}@${image.manifest.desc.digest}`
  const bundle = tinyBundle(s.runId, { image: imageRef, desc: image.manifest.desc })
  const config = content(MediaTypes.OctetStream, configBlob(bundle))
  if (!(await uploadBlob(s, config))) throw new Error('the upload of the bundle config blob failed')

  const pushVariant = async (id: ConfigVariantId, shape: OciShape): Promise<{ manifest: Content; shape: OciShape }> => {
    const v = configManifestVariants(config.desc, { shape }).find((x) => x.id === id)!
    const manifest = { desc: v.descriptor, bytes: v.bytes }
    await pushReferenced(manifest, refs.value)
    return { manifest, shape }
  }
  const shapes = ordered(SHAPE_TIERS, plan.order.shape)
  const variant = await firstWorkingTier(
    withRun(
      ordered(CONFIG_TIERS, plan.order.config),
      async (id) =>
        (
          await firstWorkingTier(
            withRun(shapes, (shape) => pushVariant(id, shape)),
            undefined,
            ctx,
          )
        ).value,
    ),
    undefined,
    ctx,
  )

  const bundleTag = s.tag('bundle')
  const top = await firstWorkingTier(
    withRun(ordered(INDEX_TIERS, plan.order.index), async (format: IndexChoice) => {
      const built =
        format === 'no-index'
          ? variant.value.manifest
          : toContent(
              bundleIndex(bundle, {
                config: variant.value.manifest.desc,
                images: { [imageRef]: image.manifest.desc },
                format,
                shape: variant.value.shape,
              }),
            )
      check(await putManifest(s, built, bundleTag))
      return built
    }),
    undefined,
    ctx,
  )
  return {
    representation: {
      index: top.used as IndexChoice,
      config: variant.used as ConfigVariantId,
      shape: variant.value.shape,
      manifestRefs: refs.value,
    },
    top: top.value,
    configManifest: variant.value.manifest,
    config,
    image: image.manifest,
  }
}

function toContent(built: { bytes: Buffer; descriptor: Content['desc'] }): Content {
  return { desc: built.descriptor, bytes: built.bytes }
}

/** Capabilities the tiers learned (refused or worked) where P3 had no answer. */
function learn(s: ProbeSession, cache: CapabilityCache): void {
  for (const c of CAPABILITIES) {
    const seen = cache.observation(s.registry, c)
    if (seen !== undefined && s.support(c) === 'unknown') s.record(c, seen.support, seen.evidence)
  }
}

/**
 * GETs the bundle tag (every manifest type accepted), the config manifest and the invocation
 * image by the references a puller uses (digest, or the deterministic tag), and the config blob;
 * each must be the bytes pushed. Returns what did not match, or undefined.
 */
async function readBack(s: ProbeSession, pushed: Published): Promise<Evidence | undefined> {
  const top = await s.send({
    method: 'GET',
    path: manifestPath(s.repository, s.tag('bundle')),
    headers: { accept: MANIFEST_ACCEPT.join(', ') },
    scopes: s.scopes('pull'),
  })
  if (top.status !== 200 || !top.body.equals(pushed.top.bytes))
    return { ...top.evidence, note: 'the bundle tag does not return the bytes pushed' }
  const digest = answerHeader(top, 'docker-content-digest')
  if (digest !== undefined && digest !== pushed.top.desc.digest)
    return { ...top.evidence, note: `the bundle tag answers with Docker-Content-Digest ${digest}, not the digest pushed` }
  for (const m of [pushed.configManifest, pushed.image]) {
    const back = await fetchManifest(
      s,
      'GET',
      pushed.representation.manifestRefs === 'digest' ? m.desc.digest : deterministicTag(m.desc.digest),
      m,
    )
    if (!back.ok) return back.answer.evidence
  }
  const blob = await s.send({ method: 'GET', path: blobPath(s.repository, pushed.config.desc.digest), scopes: s.scopes('pull') })
  if (blob.status !== 200 || !blob.body.equals(pushed.config.bytes))
    return { ...blob.evidence, note: 'the config blob (bundle.json) does not read back byte for byte' }
  return undefined
}
