/**
 * Reading a bundle index back (pull): cnab-to-oci's expected index with its golden bundle, the
 * annotation names and schemaVersion of older cnab-to-oci releases, Docker manifest lists with
 * OCI children, spec-only indexes without role annotations, and what is not a bundle at all.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  bundleConfigDescriptor,
  bundleIndex,
  CNAB_SPEC_CONFIG_MEDIA_TYPE,
  checkInvocationDigest,
  configBlob,
  configManifestVariants,
  InvocationImageMismatchError,
  parseBundleIndex,
  relocationMapFromIndex,
} from '../../src/cnab/oci/index.js'
import { validateRelocationMapping } from '../../src/cnab/schema.js'
import { DigestMismatchError, InvalidContentError, InvalidReferenceError } from '../../src/errors.js'
import { descriptorFromBytes, type Descriptor } from '../../src/oci/descriptor.js'
import { digestOf, parseDigest, type Digest } from '../../src/oci/digest.js'
import { parseManifest } from '../../src/oci/manifest.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { FIXTURE_INDEX_BYTES, fixtureImages, fixtureIndex, goldenBundle, type JsonObject } from './helpers.js'

const D = (n: number): Digest => parseDigest(`sha256:d59a1aa7866258751a261bae525a1842c7ff0662d4f34a355d5f36826abc034${n}`)
const CONFIG_MANIFEST = 'sha256:122a5dc186ec285488de9d25e99c96a11d3f7ff71c6e05a06c98e8627472a920'
const REPO = 'my.registry/namespace/my-app'
const GOLDEN_RELOCATION = {
  'my.registry/namespace/my-app-invoc': `${REPO}@${D(3)}`,
  'my.registry/namespace/another-image': `${REPO}@${D(2)}`,
  'my.registry/namespace/image-1': `${REPO}@${D(1)}`,
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value))

/** The fixture index with each entry's annotations replaced by `annotate(original)`. */
function reannotated(annotate: (a: Record<string, string>) => Record<string, string>, extra: JsonObject = {}): Buffer {
  const index = fixtureIndex()
  return json({ ...index, ...extra, manifests: index.manifests.map((d) => ({ ...d, annotations: annotate(d.annotations ?? {}) })) })
}

describe('parseBundleIndex: cnab-to-oci v0.6.1 index', () => {
  test('finds config, invocation and components by their annotations', () => {
    const parsed = parseBundleIndex(FIXTURE_INDEX_BYTES)
    assert.equal(parsed.mediaType, MediaTypes.OciIndex)
    assert.equal(parsed.config.digest, CONFIG_MANIFEST)
    assert.deepEqual(
      parsed.invocations.map((d) => d.digest),
      [D(3)],
    )
    assert.deepEqual(
      [...parsed.components].map(([name, d]) => [name, d.digest]),
      [
        ['another-image', D(2)],
        ['image-1', D(1)],
      ],
    )
    assert.deepEqual(parsed.unannotated, [])
    assert.deepEqual(parsed.warnings, [])
    assert.equal(parsed.annotations['org.opencontainers.image.title'], 'my-app')
  })

  test('takes a manifest already parsed with parseManifest as well as bytes', () => {
    assert.deepEqual(
      parseBundleIndex(parseManifest(FIXTURE_INDEX_BYTES, MediaTypes.OciIndex)),
      parseBundleIndex(FIXTURE_INDEX_BYTES, MediaTypes.OciIndex),
    )
  })

  test('rebuilds the relocation map: every bundle image → <repository>@<its entry digest>; valid per the CNAB schema', () => {
    const parsed = parseBundleIndex(FIXTURE_INDEX_BYTES)
    const map = relocationMapFromIndex(goldenBundle(), parsed, `${REPO}:my-tag`)
    assert.deepEqual(map, GOLDEN_RELOCATION)
    assert.deepEqual(validateRelocationMapping(map), [])
  })

  test('the repository is normalised (Docker Hub) and its tag or digest ignored; a malformed one is refused', () => {
    const parsed = parseBundleIndex(FIXTURE_INDEX_BYTES)
    assert.equal(
      relocationMapFromIndex(goldenBundle(), parsed, `myorg/bundles@${D(9)}`)['my.registry/namespace/image-1'],
      `docker.io/myorg/bundles@${D(1)}`,
    )
    assert.throws(() => relocationMapFromIndex(goldenBundle(), parsed, 'Not A Repo'), InvalidReferenceError)
  })

  test('an image reference used twice maps once; used twice with different manifests it is an error', () => {
    const parsed = parseBundleIndex(FIXTURE_INDEX_BYTES)
    const bundle = goldenBundle()
    const images = bundle.images as Record<string, JsonObject>
    images['another-image']!.image = 'my.registry/namespace/image-1'
    assert.throws(
      () => relocationMapFromIndex(bundle, parsed, REPO),
      /"my\.registry\/namespace\/image-1" is used at \/images\/another-image and \/images\/image-1, but the index gives them different manifests/,
    )
    const sameDigest = { ...parsed, components: new Map([...parsed.components].map(([n, d]) => [n, { ...d, digest: D(1) }])) }
    assert.deepEqual(Object.keys(relocationMapFromIndex(bundle, sameDigest, REPO)), [
      'my.registry/namespace/my-app-invoc',
      'my.registry/namespace/image-1',
    ])
  })
})

describe('bundleConfigDescriptor', () => {
  const blob = descriptorFromBytes('application/octet-stream', configBlob(goldenBundle()))

  test('finds bundle.json in every config manifest variant, of both shapes, without warnings', () => {
    for (const shape of ['portable', 'cnab-to-oci'] as const) {
      for (const v of configManifestVariants(blob, { shape })) {
        const { descriptor, warnings } = bundleConfigDescriptor(parseManifest(v.bytes, v.mediaType))
        assert.deepEqual([descriptor.digest, descriptor.size, warnings], [blob.digest, blob.size, []])
      }
    }
  })

  test("accepts spec 201's config media type silently and any other with a warning", () => {
    const withConfigType = (mediaType: string): Buffer =>
      json({ schemaVersion: 2, mediaType: MediaTypes.OciManifest, config: { ...blob, mediaType }, layers: [{ ...blob, mediaType }] })
    assert.deepEqual(bundleConfigDescriptor(parseManifest(withConfigType(CNAB_SPEC_CONFIG_MEDIA_TYPE))).warnings, [])
    assert.match(bundleConfigDescriptor(parseManifest(withConfigType('text/plain'))).warnings.join(), /unusual media type "text\/plain"/)
  })

  test('an index in the config entry is an error', () => {
    assert.throws(() => bundleConfigDescriptor(parseManifest(FIXTURE_INDEX_BYTES)), /the bundle config entry is an index/)
  })
})

describe('checkInvocationDigest', () => {
  const parsed = parseBundleIndex(FIXTURE_INDEX_BYTES)

  test('passes when the invocation entry is the manifest bundle.json pins', () => {
    assert.deepEqual(checkInvocationDigest(goldenBundle(), parsed), [])
  })

  test('a different digest is a DigestMismatchError naming the image and both digests', () => {
    const bundle = goldenBundle()
    ;(bundle.invocationImages as JsonObject[])[0]!.contentDigest = D(9)
    assert.throws(
      () => checkInvocationDigest(bundle, parsed),
      (err: unknown) =>
        err instanceof InvocationImageMismatchError &&
        err instanceof DigestMismatchError &&
        err.message ===
          `invocation image "my.registry/namespace/my-app-invoc" (/invocationImages/0): bundle.json pins ${D(9)} but the bundle index points at ${D(3)}`,
    )
  })

  test('a missing contentDigest is an error unless explicitly allowed, then a warning', () => {
    const bundle = goldenBundle()
    delete (bundle.invocationImages as JsonObject[])[0]!.contentDigest
    assert.throws(() => checkInvocationDigest(bundle, parsed), {
      name: 'InvalidContentError',
      message: /has no contentDigest, so the image the index points at cannot be verified/,
    })
    const warnings = checkInvocationDigest(bundle, parsed, { allowMissingContentDigest: true })
    assert.equal(warnings.length, 1)
    assert.match(warnings[0]!, /my-app-invoc/)
  })
})

describe('parseBundleIndex: older cnab-to-oci releases', () => {
  test('2019: schemaVersion 1 with current annotation names, original_name and Docker App annotations', () => {
    const bytes = reannotated(
      (a) => (a['io.cnab.component.name'] === undefined ? a : { ...a, 'io.cnab.component.original_name': 'nginx:2.12' }),
      {
        schemaVersion: 1,
        annotations: {
          ...fixtureIndex().annotations,
          'io.docker.app.format': 'cnab',
          'io.docker.type': 'app',
          'io.cnab.runtime_version': 'v1.0.0-WD',
        },
      },
    )
    assert.throws(() => parseManifest(bytes), /Docker schema 1/)
    const parsed = parseBundleIndex(bytes)
    assert.equal(parsed.config.digest, CONFIG_MANIFEST)
    assert.deepEqual([...parsed.components.keys()], ['another-image', 'image-1'])
    assert.match(parsed.warnings.join('\n'), /schemaVersion 1/)
    assert.deepEqual(relocationMapFromIndex(goldenBundle(), parsed, REPO), GOLDEN_RELOCATION)
  })

  test('2018: io.cnab.type and io.cnab.component_name', () => {
    const bytes = reannotated(
      (a) => ({
        'io.cnab.type': a['io.cnab.manifest.type']!,
        ...(a['io.cnab.component.name'] !== undefined && {
          'io.cnab.component_name': a['io.cnab.component.name'],
          'io.cnab.original_name': 'nginx:2.12',
        }),
      }),
      { schemaVersion: 1 },
    )
    const parsed = parseBundleIndex(bytes)
    assert.equal(parsed.config.digest, CONFIG_MANIFEST)
    assert.deepEqual(
      parsed.invocations.map((d) => d.digest),
      [D(3)],
    )
    assert.deepEqual(relocationMapFromIndex(goldenBundle(), parsed, REPO), GOLDEN_RELOCATION)
    assert.deepEqual(checkInvocationDigest(goldenBundle(), parsed), [])
  })

  test('a schemaVersion 1 index with a malformed entry is refused', () => {
    const index = fixtureIndex()
    const bytes = json({ ...index, schemaVersion: 1, manifests: [{ ...index.manifests[0], digest: 'sha256:nope' }] })
    assert.throws(() => parseBundleIndex(bytes), /invalid bundle index: \/manifests\/0\/digest/)
  })
})

describe('parseBundleIndex: Docker manifest list', () => {
  test('with OCI children (cnab-to-oci fallback): same entries, the list media type', () => {
    const config = configManifestVariants(descriptorFromBytes('x', configBlob(goldenBundle())), { shape: 'cnab-to-oci' })[0]!.descriptor
    const list = bundleIndex(goldenBundle(), { config, images: fixtureImages(), format: 'docker-manifest-list', shape: 'cnab-to-oci' })
    const parsed = parseBundleIndex(list.bytes, list.descriptor.mediaType)
    assert.equal(parsed.mediaType, MediaTypes.DockerManifestList)
    assert.equal(parsed.config.mediaType, MediaTypes.OciManifest)
    assert.deepEqual(relocationMapFromIndex(goldenBundle(), parsed, REPO), GOLDEN_RELOCATION)
  })
})

describe('parseBundleIndex: indexes written from the spec alone (no role annotations)', () => {
  const bytes = reannotated(() => ({}))

  test('the first entry is the config, with a warning; the others are matched by contentDigest', () => {
    const parsed = parseBundleIndex(bytes)
    assert.equal(parsed.config.digest, CONFIG_MANIFEST)
    assert.equal(parsed.unannotated.length, 3)
    assert.match(parsed.warnings.join('\n'), /using the first entry/)
    assert.deepEqual(relocationMapFromIndex(goldenBundle(), parsed, REPO), GOLDEN_RELOCATION)
    assert.deepEqual(checkInvocationDigest(goldenBundle(), parsed), [])
  })

  test('an image whose contentDigest matches no entry has no place in the index', () => {
    const bundle = goldenBundle()
    ;(bundle.images as Record<string, JsonObject>)['image-1']!.contentDigest = D(9)
    assert.throws(
      () => relocationMapFromIndex(bundle, parseBundleIndex(bytes), REPO),
      /image "my\.registry\/namespace\/image-1" \(\/images\/image-1\) has no entry in the bundle index/,
    )
  })
})

describe('parseBundleIndex: not a bundle, or a broken one', () => {
  const imageManifest = json({
    schemaVersion: 2,
    mediaType: MediaTypes.OciManifest,
    config: { mediaType: MediaTypes.OciConfig, digest: digestOf('{}'), size: 2 },
    layers: [{ mediaType: MediaTypes.OciLayerGzip, digest: digestOf('layer'), size: 5 }],
  })

  test('an image manifest says so, and what a bundle is', () => {
    const expected =
      /^this is an image manifest, not a bundle: "application\/vnd\.oci\.image\.manifest\.v1\+json" describes one image \(config "application\/vnd\.oci\.image\.config\.v1\+json"\); a bundle is an image index/
    const check = (err: unknown): boolean => err instanceof InvalidContentError && expected.test(err.message)
    assert.throws(() => parseBundleIndex(imageManifest, MediaTypes.OciManifest), check)
    assert.throws(() => parseBundleIndex(parseManifest(imageManifest)), check)
  })

  test('a multi-platform image index is not taken for a bundle', () => {
    const entry = (architecture: string): Descriptor => ({
      ...descriptorFromBytes(MediaTypes.OciManifest, architecture),
      platform: { os: 'linux', architecture },
    })
    const index = json({ schemaVersion: 2, mediaType: MediaTypes.OciIndex, manifests: [entry('amd64'), entry('arm64')] })
    assert.throws(() => parseBundleIndex(index), /^InvalidContentError: this is a multi-platform image index, not a bundle/)
  })

  test('an empty index', () => {
    assert.throws(() => parseBundleIndex(json({ schemaVersion: 2, manifests: [] })), /this index is empty, not a bundle/)
  })

  test('role annotations but no config entry', () => {
    assert.throws(
      () => parseBundleIndex(reannotated((a) => (a['io.cnab.manifest.type'] === 'config' ? {} : a))),
      /bundle config not found: no entry of the index is annotated io\.cnab\.manifest\.type=config/,
    )
  })

  test('a config entry that is not an image manifest', () => {
    const index = fixtureIndex()
    index.manifests[0]!.mediaType = MediaTypes.OciIndex
    assert.throws(
      () => parseBundleIndex(json(index)),
      /the bundle config entry sha256:122a.* is "application\/vnd\.oci\.image\.index\.v1\+json"; it must be an image manifest/,
    )
  })

  test('an image entry that is not a manifest', () => {
    const index = fixtureIndex()
    index.manifests[2]!.mediaType = MediaTypes.OciLayerGzip
    assert.throws(
      () => parseBundleIndex(json(index)),
      /unsupported manifest descriptor sha256:d59a.*0342 with media type "application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip"/,
    )
  })

  test('a component without a name, or listed twice', () => {
    assert.throws(
      () => parseBundleIndex(reannotated(({ 'io.cnab.component.name': _n, ...a }) => a)),
      /component entry sha256:d59a.*0342 has no io\.cnab\.component\.name annotation/,
    )
    assert.throws(
      () => parseBundleIndex(reannotated((a) => (a['io.cnab.component.name'] ? { ...a, 'io.cnab.component.name': 'x' } : a))),
      /component "x" is listed twice/,
    )
  })

  test('an unknown role and a second config entry are ignored with a warning', () => {
    const index = fixtureIndex()
    index.manifests.push({
      mediaType: 'application/vnd.example.signature',
      digest: D(8),
      size: 9,
      annotations: { 'io.cnab.manifest.type': 'signature' },
    })
    index.manifests.push({ ...index.manifests[0]!, digest: D(7) })
    const parsed = parseBundleIndex(json(index))
    assert.equal(parsed.config.digest, CONFIG_MANIFEST)
    assert.deepEqual(parsed.warnings, [
      `entry ${D(8)} has the unknown role "signature" and is ignored`,
      `entry ${D(7)} is a second config entry and is ignored`,
    ])
    assert.deepEqual(relocationMapFromIndex(goldenBundle(), parsed, REPO), GOLDEN_RELOCATION)
  })

  test('an index that belongs to another bundle: unknown component, or more invocation images than the bundle has', () => {
    const parsed = parseBundleIndex(FIXTURE_INDEX_BYTES)
    const bundle = goldenBundle()
    delete (bundle.images as JsonObject)['another-image']
    assert.throws(
      () => relocationMapFromIndex(bundle, parsed, REPO),
      /component "another-image" of the bundle index is not in the bundle's images/,
    )
    const twoInvocations = { ...parsed, invocations: [...parsed.invocations, ...parsed.invocations] }
    assert.throws(() => relocationMapFromIndex(goldenBundle(), twoInvocations, REPO), /lists 2 invocation images, but the bundle has 1/)
  })
})
