/**
 * P3 of the checklist: which manifests the registry accepts, CNAB-relevant first. Every case
 * differs from an accepted one in one feature only, so a refusal names that feature: the config
 * media type (Quay's allow-list, QUAY-1), empty or null layers (GCR-2), push without a tag
 * (ECR in 2019), each index format (HUB-1, NEXUS-5), and OCI children in a Docker list (GCR-2).
 * A refusal is judged as the publisher would judge it (manifestSupport → classifyPushError).
 */
import { configBlob, configManifestVariants, type ConfigVariantId } from '../../cnab/oci/to-oci.js'
import { MediaTypes } from '../../oci/media-types.js'
import { CAPABILITIES, CAPABILITY_CHECKS, type Capability } from '../capabilities.js'
import { deterministicTag } from '../strategies.js'
import { content, imageManifest, indexOf, tinyBundle, tinyImage, type Content, type TinyImage } from './content.js'
import { manifestSupport, withNote, type ProbeSession } from './probe-session.js'
import { accepted, fetchManifest, putManifest, uploadBlob } from './transfer.js'

/** What later steps build on: the tiny OCI image, pushed under a tag, when the registry took it. */
export interface ManifestFindings {
  ociImage?: { image: TinyImage; tag: string }
}

/** The capability each config manifest variant stands for (src/compat/strategies.ts CONFIG_TIERS). */
const VARIANT_CAPABILITY: Record<ConfigVariantId, Capability> = {
  'cnab-config': 'custom-config-media-type',
  'oci-image-config': 'oci-image-manifest',
  'docker-config': 'docker-image-manifest',
}

/** What this step measures: the P3 items of the checklist. */
const MANIFEST_CAPABILITIES: readonly Capability[] = CAPABILITIES.filter((c) => CAPABILITY_CHECKS[c].startsWith('P3.'))

/**
 * The reference for a manifest no tag should name: its digest, or the deterministic tag where
 * untagged pushes are refused (so the cases after P3.2 do not all fail for that one reason).
 */
function untaggedReference(s: ProbeSession, digest: string): string {
  return s.support('untagged-manifest-push') === 'unsupported' ? deterministicTag(digest) : digest
}

/**
 * Runs P3: uploads the blobs every case needs, pushes a tiny OCI and a tiny Docker image under
 * tags (the children of the index cases), then each case. Returns what P4–P6 build on.
 */
export async function probeManifests(s: ProbeSession): Promise<ManifestFindings> {
  const oci = tinyImage('oci', 'oci')
  const docker = tinyImage('docker', 'docker')
  const bundle = tinyBundle(s.runId, { image: `${s.registry}/${s.repository}@${oci.manifest.desc.digest}`, desc: oci.manifest.desc })
  const bundleConfig = content(MediaTypes.OctetStream, configBlob(bundle))
  for (const blob of [oci.config, oci.layer, docker.config, docker.layer, bundleConfig]) {
    if (!(await uploadBlob(s, blob))) {
      const note = `cannot test manifests: the upload of blob ${blob.desc.digest} failed`
      for (const c of MANIFEST_CAPABILITIES) s.record(c, 'unknown', { note })
      return {}
    }
  }
  const ociTag = s.tag('oci-image')
  const ociAnswer = await putManifest(s, oci.manifest, ociTag)
  const dockerAnswer = await putManifest(s, docker.manifest, s.tag('docker-image'))
  const ociOk = accepted(ociAnswer)
  const dockerOk = accepted(dockerAnswer)

  // P3.2 first: whether later manifests go by digest or under a deterministic tag depends on it.
  const untagged = imageManifest(MediaTypes.OciManifest, oci.config.desc, [oci.layer.desc], {
    annotations: { 'io.ocibundle.probe': 'untagged' },
  })
  const untaggedAnswer = await putManifest(s, untagged, untagged.desc.digest)
  s.record('untagged-manifest-push', manifestSupport(accepted(untaggedAnswer), untaggedAnswer), untaggedAnswer.evidence)

  // P3.4, P3.1, P3.8: the three config manifest variants, as the publisher would push them.
  for (const variant of configManifestVariants(bundleConfig.desc, { shape: 'portable' })) {
    const answer = await putManifest(s, { desc: variant.descriptor, bytes: variant.bytes }, untaggedReference(s, variant.descriptor.digest))
    s.record(VARIANT_CAPABILITY[variant.id], manifestSupport(accepted(answer), answer), answer.evidence)
  }
  await probeEmptyLayers(s, bundleConfig)
  await probeArtifactType(s, oci, ociOk)
  await probeIndexes(s, { oci: ociOk ? oci.manifest : undefined, docker: dockerOk ? docker.manifest : undefined })
  return ociOk ? { ociImage: { image: oci, tag: ociTag } } : {}
}

/**
 * P3.5: the config manifest as cnab-to-oci writes it (`"layers": null`) and with `"layers": []`,
 * both with a config type the registry took, so only the layers differ.
 */
async function probeEmptyLayers(s: ProbeSession, bundleConfig: Content): Promise<void> {
  const id: ConfigVariantId | undefined =
    s.support('oci-image-manifest') === 'supported'
      ? 'oci-image-config'
      : s.support('custom-config-media-type') === 'supported'
        ? 'cnab-config'
        : undefined
  if (id === undefined) {
    s.record('empty-layers', 'unknown', { note: 'no OCI config manifest was accepted to compare with' })
    return
  }
  const nullLayers = configManifestVariants(bundleConfig.desc, { shape: 'cnab-to-oci' }).find((v) => v.id === id)!
  const portable = configManifestVariants(bundleConfig.desc, { shape: 'portable' }).find((v) => v.id === id)!
  const emptyArray = imageManifest(MediaTypes.OciManifest, portable.config, [])
  for (const [label, manifest] of [
    ['"layers": null', { desc: nullLayers.descriptor, bytes: nullLayers.bytes }],
    ['"layers": []', emptyArray],
  ] as const) {
    const answer = await putManifest(s, manifest, untaggedReference(s, manifest.desc.digest))
    if (!accepted(answer)) {
      s.record('empty-layers', manifestSupport(false, answer), withNote(answer.evidence, `refused with ${label}`))
      return
    }
  }
  s.record('empty-layers', 'supported', { note: '"layers": null and "layers": [] both accepted' })
}

/** P3.3 (field only): the accepted OCI image plus `artifactType`, which must read back unchanged. */
async function probeArtifactType(s: ProbeSession, oci: TinyImage, ociOk: boolean): Promise<void> {
  if (!ociOk) {
    s.record('artifact-type-field', 'unknown', { note: 'the plain OCI image manifest was not accepted' })
    return
  }
  const manifest = imageManifest(MediaTypes.OciManifest, oci.config.desc, [oci.layer.desc], {
    artifactType: 'application/vnd.ocibundle.probe.v1',
  })
  const tag = s.tag('artifact')
  const answer = await putManifest(s, manifest, tag)
  if (!accepted(answer)) {
    s.record('artifact-type-field', manifestSupport(false, answer), answer.evidence)
    return
  }
  const back = await fetchManifest(s, 'GET', tag, manifest)
  const evidence = back.ok ? answer.evidence : withNote(back.answer.evidence, 'accepted, but could not be read back to check the field')
  s.record('artifact-type-field', back.ok ? 'supported' : 'unknown', evidence)
}

/**
 * P3.9, P3.10: an OCI index over the OCI image, a Docker list over the Docker image, then a
 * list mixing the families (an OCI child in a Docker list, as cnab-to-oci's fallback writes;
 * the other way round when Docker lists are refused altogether).
 */
async function probeIndexes(s: ProbeSession, images: { oci: Content | undefined; docker: Content | undefined }): Promise<void> {
  const pushIndex = async (capability: Capability, mediaType: string, child: Content | undefined, label: string): Promise<void> => {
    if (child === undefined) {
      s.record(capability, 'unknown', { note: 'its child image manifest was not accepted' })
      return
    }
    const answer = await putManifest(s, indexOf(mediaType, [child.desc]), s.tag(label))
    s.record(capability, manifestSupport(accepted(answer), answer), answer.evidence)
  }
  await pushIndex('oci-index', MediaTypes.OciIndex, images.oci, 'oci-index')
  await pushIndex('docker-manifest-list', MediaTypes.DockerManifestList, images.docker, 'docker-list')
  if (s.support('docker-manifest-list') === 'supported')
    await pushIndex('mixed-index-children', MediaTypes.DockerManifestList, images.oci, 'mixed')
  else if (s.support('oci-index') === 'supported') await pushIndex('mixed-index-children', MediaTypes.OciIndex, images.docker, 'mixed')
  else s.record('mixed-index-children', 'unknown', { note: 'the registry accepted neither index format' })
}
