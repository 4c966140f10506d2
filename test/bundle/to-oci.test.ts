/**
 * Building a bundle's OCI objects. The golden vectors come from cnab-to-oci v0.6.1 (see
 * test/fixtures/bundles/upstream/SOURCES.md): with its canonical test bundle as config blob, the
 * `cnab-to-oci` shape must give its exact bytes and digests; the `portable` shape must stay
 * valid for the image spec and readable the same way.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  ARTIFACT_TYPE_ANNOTATION,
  bundleIndex,
  CNAB_ARTIFACT_TYPE,
  CNAB_CONFIG_MEDIA_TYPE,
  configBlob,
  configManifestVariants,
  parseBundleIndex,
  type ConfigManifestVariant,
} from '../../src/cnab/oci/index.js'
import { InputError } from '../../src/errors.js'
import { Annotations } from '../../src/oci/annotations.js'
import { descriptorFromBytes, type Descriptor } from '../../src/oci/descriptor.js'
import { digestOf } from '../../src/oci/digest.js'
import { parseManifest } from '../../src/oci/manifest.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { JsonSyntaxError } from '../../src/util/strict-json.js'
import {
  FIXTURE_DOCKER_CONFIG_MANIFEST,
  FIXTURE_INDEX_BYTES,
  fixtureImages,
  GOLDEN_BUNDLE_BYTES,
  goldenBundle,
  type JsonObject,
} from './helpers.js'

const GOLDEN_CONFIG_DIGEST = 'sha256:dbe3480b9cb300f389e8d02e4a682f9107772468feb6845f912dc8deed6d76fd'
const configDesc = descriptorFromBytes(CNAB_CONFIG_MEDIA_TYPE, GOLDEN_BUNDLE_BYTES)

function variantsById(shape: 'portable' | 'cnab-to-oci'): Record<string, ConfigManifestVariant> {
  return Object.fromEntries(configManifestVariants(configDesc, { shape }).map((v) => [v.id, v]))
}

/** The first cnab-to-oci config manifest's descriptor: what the fixture index lists first. */
const c2oConfigManifest = configManifestVariants(configDesc, { shape: 'cnab-to-oci' })[0]!.descriptor

describe('configBlob', () => {
  test('keeps bytes that are already canonical exactly (the golden 1596-byte bundle)', () => {
    const blob = configBlob(GOLDEN_BUNDLE_BYTES)
    assert.ok(blob.equals(GOLDEN_BUNDLE_BYTES))
    assert.equal(blob.length, 1596)
    assert.equal(digestOf(blob), GOLDEN_CONFIG_DIGEST)
  })

  test('canonicalises a parsed bundle and non-canonical bytes to the same RFC 8785 bytes', () => {
    const pretty = Buffer.from(JSON.stringify(goldenBundle(), null, 2))
    assert.ok(configBlob(pretty).equals(GOLDEN_BUNDLE_BYTES))
    assert.ok(configBlob(goldenBundle()).equals(GOLDEN_BUNDLE_BYTES))
  })

  test('refuses duplicate keys, non-UTF-8 bytes and documents that are not objects', () => {
    assert.throws(() => configBlob(Buffer.from('{"name":"a","name":"b"}')), JsonSyntaxError)
    assert.throws(() => configBlob(Buffer.from([0x7b, 0xff, 0x7d])), /not valid UTF-8/)
    assert.throws(() => configBlob([1, 2]), InputError)
    assert.throws(() => configBlob(Buffer.from('"x"')), InputError)
  })
})

describe('configManifestVariants, cnab-to-oci shape (golden)', () => {
  const v = variantsById('cnab-to-oci')

  test('the fallback order is CNAB config, OCI image config, Docker config', () => {
    assert.deepEqual(
      configManifestVariants(configDesc, { shape: 'cnab-to-oci' }).map((x) => [x.id, x.mediaType, x.config.mediaType]),
      [
        ['cnab-config', MediaTypes.OciManifest, CNAB_CONFIG_MEDIA_TYPE],
        ['oci-image-config', MediaTypes.OciManifest, MediaTypes.OciConfig],
        ['docker-config', MediaTypes.DockerManifest, MediaTypes.DockerConfig],
      ],
    )
  })

  test('the first variant is the 189-byte golden vector, sha256 122a5dc1…', () => {
    const expected = `{"schemaVersion":2,"config":{"mediaType":"application/vnd.cnab.config.v1+json","digest":"${GOLDEN_CONFIG_DIGEST}","size":1596},"layers":null}`
    assert.equal(v['cnab-config']!.bytes.toString(), expected)
    assert.deepEqual(v['cnab-config']!.descriptor, {
      mediaType: MediaTypes.OciManifest,
      digest: 'sha256:122a5dc186ec285488de9d25e99c96a11d3f7ff71c6e05a06c98e8627472a920',
      size: 189,
    })
  })

  test('the second variant is 194 bytes, sha256 a8226bab…', () => {
    assert.equal(v['oci-image-config']!.descriptor.size, 194)
    assert.equal(v['oci-image-config']!.descriptor.digest, 'sha256:a8226bab57a5c40e38c7fc0472085645b1282d7e83af317cc38232ad84df8a74')
  })

  test('the Docker variant equals cnab-to-oci push_test.go expectedConfigManifest byte for byte (522 bytes, 3-space indent)', () => {
    assert.ok(v['docker-config']!.bytes.equals(FIXTURE_DOCKER_CONFIG_MANIFEST))
    assert.equal(v['docker-config']!.descriptor.size, 522)
    assert.equal(v['docker-config']!.descriptor.digest, 'sha256:2e1d4789d0a80f5a28aa8c3e53d4698d6d8c2495af9360d69d6394de50cc13d9')
  })
})

describe('configManifestVariants, portable shape (default)', () => {
  const v = variantsById('portable')

  test('is the default', () => {
    assert.deepEqual(configManifestVariants(configDesc), Object.values(v))
  })

  for (const id of ['cnab-config', 'oci-image-config'] as const) {
    test(`${id}: states its mediaType and repeats the config blob as its one layer; the image spec parser has nothing to warn about`, () => {
      const parsed = parseManifest(v[id]!.bytes, v[id]!.mediaType)
      assert.equal(parsed.kind, 'manifest')
      if (parsed.kind !== 'manifest') return
      assert.deepEqual(parsed.warnings, [])
      assert.equal(parsed.manifest.mediaType, MediaTypes.OciManifest)
      assert.deepEqual(parsed.manifest.layers, [parsed.manifest.config])
      assert.deepEqual(parsed.manifest.config, v[id]!.config)
      assert.match(
        v[id]!.bytes.toString(),
        /^\{"schemaVersion":2,"mediaType":"application\/vnd\.oci\.image\.manifest\.v1\+json","config":\{"mediaType":/,
      )
    })
  }

  test('the Docker variant is the same in both shapes: it already has a layer', () => {
    assert.ok(v['docker-config']!.bytes.equals(FIXTURE_DOCKER_CONFIG_MANIFEST))
  })

  test('every variant points at the same config blob, the only blob a publisher pushes', () => {
    for (const variant of Object.values(v)) {
      const parsed = parseManifest(variant.bytes, variant.mediaType)
      assert.ok(parsed.kind === 'manifest')
      for (const d of [parsed.manifest.config, ...(parsed.manifest.layers ?? [])]) assert.equal(d.digest, GOLDEN_CONFIG_DIGEST)
    }
  })
})

describe('bundleIndex, cnab-to-oci shape (golden)', () => {
  test('reproduces push_test.go expectedBundleManifest compacted: 1360 bytes, sha256 00043ca9…', () => {
    const built = bundleIndex(goldenBundle(), { config: c2oConfigManifest, images: fixtureImages(), shape: 'cnab-to-oci' })
    const compacted = FIXTURE_INDEX_BYTES.toString('utf8').replace(/\s/g, '')
    assert.equal(built.bytes.toString(), compacted)
    assert.deepEqual(built.descriptor, {
      mediaType: MediaTypes.OciIndex,
      digest: 'sha256:00043ca96c3c9470fc0f647c67613ddf500941556d1ecc14d75bc9b2834f66c3',
      size: 1360,
    })
  })

  test('accepts the image descriptors as a plain record too', () => {
    const built = bundleIndex(goldenBundle(), {
      config: c2oConfigManifest,
      images: Object.fromEntries(fixtureImages()),
      shape: 'cnab-to-oci',
    })
    assert.equal(built.descriptor.size, 1360)
  })

  test('the Docker manifest list fallback is the same index with "mediaType" written last', () => {
    const oci = bundleIndex(goldenBundle(), { config: c2oConfigManifest, images: fixtureImages(), shape: 'cnab-to-oci' })
    const list = bundleIndex(goldenBundle(), {
      config: c2oConfigManifest,
      images: fixtureImages(),
      shape: 'cnab-to-oci',
      format: 'docker-manifest-list',
    })
    assert.equal(list.bytes.toString(), `${oci.bytes.toString().slice(0, -1)},"mediaType":"${MediaTypes.DockerManifestList}"}`)
    assert.equal(list.descriptor.mediaType, MediaTypes.DockerManifestList)
    assert.equal(parseManifest(list.bytes, list.descriptor.mediaType).kind, 'index')
  })

  test('writes no platform, even when the resolved descriptors carry one', () => {
    const images = new Map([...fixtureImages()].map(([k, d]) => [k, { ...d, platform: { os: 'linux', architecture: 'amd64' } }]))
    const built = bundleIndex(goldenBundle(), { config: c2oConfigManifest, images, shape: 'cnab-to-oci' })
    assert.equal(built.descriptor.size, 1360)
    assert.doesNotMatch(built.bytes.toString(), /platform/)
  })
})

describe('bundleIndex, portable shape', () => {
  const portableConfig = configManifestVariants(configDesc)[0]!.descriptor

  test('OCI index: "mediaType" right after schemaVersion; otherwise the same entries and annotations', () => {
    const built = bundleIndex(goldenBundle(), { config: portableConfig, images: fixtureImages() })
    const text = built.bytes.toString()
    assert.ok(text.startsWith(`{"schemaVersion":2,"mediaType":"${MediaTypes.OciIndex}","manifests":[`))
    const c2o = bundleIndex(goldenBundle(), { config: portableConfig, images: fixtureImages(), shape: 'cnab-to-oci' })
    assert.equal(text.replace(`"mediaType":"${MediaTypes.OciIndex}",`, ''), c2o.bytes.toString())
  })

  test('Docker manifest list: "mediaType" right after schemaVersion too', () => {
    const built = bundleIndex(goldenBundle(), { config: portableConfig, images: fixtureImages(), format: 'docker-manifest-list' })
    assert.ok(built.bytes.toString().startsWith(`{"schemaVersion":2,"mediaType":"${MediaTypes.DockerManifestList}","manifests":[`))
    assert.equal(built.descriptor.mediaType, MediaTypes.DockerManifestList)
  })

  test('reads back as the same bundle index', () => {
    const built = bundleIndex(goldenBundle(), { config: portableConfig, images: fixtureImages() })
    const parsed = parseBundleIndex(built.bytes, built.descriptor.mediaType)
    assert.deepEqual(parsed.config.digest, portableConfig.digest)
    assert.deepEqual([...parsed.components.keys()], ['another-image', 'image-1'])
    assert.deepEqual(parsed.warnings, [])
  })
})

describe('bundleIndex annotations', () => {
  function annotationsOf(bundle: JsonObject, images = fixtureImages()): Record<string, string> {
    const built = bundleIndex(bundle, { config: c2oConfigManifest, images, shape: 'cnab-to-oci' })
    return (JSON.parse(built.bytes.toString()) as { annotations: Record<string, string> }).annotations
  }

  test('Go escapes <, > and & in annotation values, inside the nested authors JSON too', () => {
    const bundle = { ...goldenBundle(), description: 'a <b> & c', maintainers: [{ name: 'A&B <ab@x>' }] }
    const built = bundleIndex(bundle, { config: c2oConfigManifest, images: fixtureImages(), shape: 'cnab-to-oci' })
    const text = built.bytes.toString()
    assert.ok(text.includes('"org.opencontainers.image.description":"a \\u003cb\\u003e \\u0026 c"'))
    assert.ok(text.includes('"org.opencontainers.image.authors":"[{\\"name\\":\\"A\\\\u0026B \\\\u003cab@x\\\\u003e\\"}]"'))
    const annotations = annotationsOf(bundle)
    assert.equal(annotations[Annotations.Description], 'a <b> & c')
    assert.deepEqual(JSON.parse(annotations[Annotations.Authors]!), [{ name: 'A&B <ab@x>' }])
  })

  test('maintainers in Go field order name, email, url; empty email and url left out, a missing name written as ""', () => {
    const bundle = {
      ...goldenBundle(),
      maintainers: [
        { url: 'u', name: 'n' },
        { email: 'e', url: '' },
      ],
    }
    assert.equal(annotationsOf(bundle)[Annotations.Authors], '[{"name":"n","url":"u"},{"name":"","email":"e"}]')
  })

  test('description is always present; keywords and authors only when the bundle has them (an empty array counts)', () => {
    const bundle = goldenBundle()
    delete bundle.description
    delete bundle.keywords
    delete bundle.maintainers
    assert.deepEqual(annotationsOf(bundle), {
      'io.cnab.runtime_version': 'v1.0.0',
      [ARTIFACT_TYPE_ANNOTATION]: CNAB_ARTIFACT_TYPE,
      [Annotations.Description]: '',
      [Annotations.Title]: 'my-app',
      [Annotations.Version]: '0.1.0',
    })
    const empty = annotationsOf({ ...bundle, keywords: [], maintainers: [] })
    assert.equal(empty['io.cnab.keywords'], '[]')
    assert.equal(empty[Annotations.Authors], '[]')
    assert.equal(annotationsOf({ ...bundle, keywords: null })['io.cnab.keywords'], undefined)
  })

  test('the runtime version is schemaVersion exactly as written', () => {
    assert.equal(annotationsOf({ ...goldenBundle(), schemaVersion: 'v1.2.0' })['io.cnab.runtime_version'], 'v1.2.0')
  })
})

describe('bundleIndex entry order and errors', () => {
  const entriesOf = (bytes: Buffer): Descriptor[] => (JSON.parse(bytes.toString()) as { manifests: Descriptor[] }).manifests

  test('components sorted by name in Go order (UTF-8 bytes), whatever the order in bundle.json', () => {
    const bundle = goldenBundle()
    const img = (bundle.images as Record<string, JsonObject>)['image-1']!
    const images = fixtureImages()
    const names = ['😀', 'b', '\ufffd', 'a']
    bundle.images = Object.fromEntries(names.map((n) => [n, { ...img, image: `r/${n === 'a' || n === 'b' ? n : 'x'}` }]))
    for (const ref of ['r/a', 'r/b', 'r/x']) images.set(ref, images.get('my.registry/namespace/image-1')!)
    const entries = entriesOf(bundleIndex(bundle, { config: c2oConfigManifest, images }).bytes)
    assert.deepEqual(
      entries.map((e) => e.annotations?.['io.cnab.component.name'] ?? e.annotations?.['io.cnab.manifest.type']),
      ['config', 'invocation', 'a', 'b', '\ufffd', '😀'],
    )
  })

  test('a bundle without images has config and invocation entries only', () => {
    const bundle = goldenBundle()
    delete bundle.images
    assert.equal(entriesOf(bundleIndex(bundle, { config: c2oConfigManifest, images: fixtureImages() }).bytes).length, 2)
  })

  test('an image without a resolved descriptor is an error naming it and its pointer', () => {
    const images = fixtureImages()
    images.delete('my.registry/namespace/image-1')
    assert.throws(() => bundleIndex(goldenBundle(), { config: c2oConfigManifest, images }), {
      name: 'InputError',
      message: /image "my\.registry\/namespace\/image-1" \(\/images\/image-1\) has no resolved descriptor/,
    })
  })

  test('bundle.json and the resolved descriptor must agree on contentDigest, size and mediaType', () => {
    const images = fixtureImages()
    const invoc = images.get('my.registry/namespace/my-app-invoc')!
    for (const [change, pattern] of [
      [{ digest: digestOf('other') }, /says contentDigest sha256:d59a.*0343 but the image resolved to sha256:/],
      [{ size: 1 }, /says size 506 but the image resolved to 1/],
      [{ mediaType: MediaTypes.OciManifest }, /says mediaType application\/vnd\.docker\.distribution\.manifest\.v2\+json/],
    ] as const) {
      images.set('my.registry/namespace/my-app-invoc', { ...invoc, ...change })
      assert.throws(() => bundleIndex(goldenBundle(), { config: c2oConfigManifest, images }), { name: 'InputError', message: pattern })
    }
  })

  test('what bundle.json leaves out is taken from the resolved descriptor', () => {
    const bundle = goldenBundle()
    const invoc = (bundle.invocationImages as JsonObject[])[0]!
    delete invoc.contentDigest
    delete invoc.size
    delete invoc.mediaType
    assert.equal(bundleIndex(bundle, { config: c2oConfigManifest, images: fixtureImages(), shape: 'cnab-to-oci' }).descriptor.size, 1360)
  })

  test('exactly one invocation image', () => {
    const bundle = goldenBundle()
    const invocation = bundle.invocationImages as JsonObject[]
    bundle.invocationImages = [invocation[0], invocation[0]]
    assert.throws(
      () => bundleIndex(bundle, { config: c2oConfigManifest, images: fixtureImages() }),
      /exactly one invocation image, and this bundle has 2/,
    )
    bundle.invocationImages = []
    assert.throws(() => bundleIndex(bundle, { config: c2oConfigManifest, images: fixtureImages() }), /this bundle has 0/)
  })

  test('the config entry must be an image manifest; image entries must be manifests or indexes', () => {
    assert.throws(
      () => bundleIndex(goldenBundle(), { config: { ...c2oConfigManifest, mediaType: MediaTypes.OciIndex }, images: fixtureImages() }),
      /config manifest must be an OCI or Docker image manifest/,
    )
    const images = fixtureImages()
    images.set('my.registry/namespace/image-1', { ...images.get('my.registry/namespace/image-1')!, mediaType: MediaTypes.OciLayerGzip })
    assert.throws(
      () => bundleIndex(goldenBundle(), { config: c2oConfigManifest, images }),
      /resolved to "application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip", which is not an image manifest or index/,
    )
  })

  test('malformed bundle fields are InputErrors with their pointer', () => {
    assert.throws(
      () => bundleIndex({ ...goldenBundle(), keywords: [1] }, { config: c2oConfigManifest, images: fixtureImages() }),
      /\/keywords\/0: a keyword must be a string/,
    )
    assert.throws(
      () => bundleIndex({ ...goldenBundle(), images: { x: { image: 7 } } }, { config: c2oConfigManifest, images: fixtureImages() }),
      /\/images\/x\/image: required non-empty string/,
    )
    assert.throws(
      () => bundleIndex({ ...goldenBundle(), name: 3 }, { config: c2oConfigManifest, images: fixtureImages() }),
      /\/name: must be a string/,
    )
  })
})
