import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { InvalidContentError, SizeLimitError } from '../../src/errors.js'
import { digestOf } from '../../src/oci/digest.js'
import { MAX_MANIFEST_BYTES, parseManifest, successors } from '../../src/oci/manifest.js'
import { isForeignLayer, isImageManifest, isIndex, isLayer, isManifest, MediaTypes } from '../../src/oci/media-types.js'

const EX = new URL('../fixtures/oci/', import.meta.url)
const d = (c: string) => `sha256:${c.repeat(64)}`
const enc = (v: unknown) => Buffer.from(JSON.stringify(v))

describe('parseManifest keeps raw bytes and validates structure', () => {
  test('the cnab-to-oci index fixture parses, keeps its exact bytes and lists children in order', () => {
    const pretty = readFileSync(new URL('cnab-to-oci__remotes__push_test.go__expectedBundleManifest.oci-index.json', EX))
    const compact = Buffer.from(pretty.toString('utf8').replace(/[\s]/g, ''))
    assert.equal(digestOf(compact), 'sha256:00043ca96c3c9470fc0f647c67613ddf500941556d1ecc14d75bc9b2834f66c3')
    const parsed = parseManifest(compact)
    assert.equal(parsed.kind, 'index')
    assert.equal(parsed.raw, compact)
    assert.equal(digestOf(parsed.raw), 'sha256:00043ca96c3c9470fc0f647c67613ddf500941556d1ecc14d75bc9b2834f66c3')
    const kids = successors(parsed)
    assert.equal(kids.length, 4)
    assert.deepEqual(
      kids.map((k) => k.annotations?.['io.cnab.manifest.type']),
      ['config', 'invocation', 'component', 'component'],
    )
    assert.equal(kids[0]!.digest, 'sha256:122a5dc186ec285488de9d25e99c96a11d3f7ff71c6e05a06c98e8627472a920')
  })
  test('cnab-to-oci config manifests with "layers":null are read, with a warning', () => {
    const raw = Buffer.from(
      '{"schemaVersion":2,"config":{"mediaType":"application/vnd.cnab.config.v1+json","digest":"sha256:dbe3480b9cb300f389e8d02e4a682f9107772468feb6845f912dc8deed6d76fd","size":1596},"layers":null}',
    )
    assert.equal(digestOf(raw), 'sha256:122a5dc186ec285488de9d25e99c96a11d3f7ff71c6e05a06c98e8627472a920')
    const parsed = parseManifest(raw, MediaTypes.OciManifest)
    assert.equal(parsed.kind, 'manifest')
    assert.match(parsed.warnings.join(), /layers: is null/)
    assert.deepEqual(
      successors(parsed).map((x) => x.size),
      [1596],
    )
  })
  test('the Docker schema2 fallback fixture parses; config and the repeated layer are its successors', () => {
    const raw = readFileSync(new URL('cnab-to-oci__remotes__push_test.go__expectedConfigManifest.docker-fallback.json', EX))
    assert.equal(digestOf(raw), 'sha256:2e1d4789d0a80f5a28aa8c3e53d4698d6d8c2495af9360d69d6394de50cc13d9')
    const parsed = parseManifest(raw)
    assert.equal(parsed.mediaType, MediaTypes.DockerManifest)
    assert.deepEqual(
      successors(parsed).map((x) => x.digest),
      [
        'sha256:dbe3480b9cb300f389e8d02e4a682f9107772468feb6845f912dc8deed6d76fd',
        'sha256:dbe3480b9cb300f389e8d02e4a682f9107772468feb6845f912dc8deed6d76fd',
      ],
    )
  })
  test('subject is a successor of manifests and indexes', () => {
    const subject = { mediaType: MediaTypes.OciManifest, digest: d('b'), size: 10 }
    const m = parseManifest(
      enc({
        schemaVersion: 2,
        mediaType: MediaTypes.OciManifest,
        artifactType: 'application/x.sig',
        config: { mediaType: MediaTypes.OciEmpty, digest: d('c'), size: 2 },
        layers: [],
        subject,
      }),
    )
    assert.deepEqual(successors(m).at(-1), subject)
    const i = parseManifest(enc({ schemaVersion: 2, mediaType: MediaTypes.OciIndex, manifests: [], subject }))
    assert.deepEqual(successors(i), [subject])
  })

  const invalid: Array<[string, unknown, RegExp, string?]> = [
    ['schemaVersion other than 2', { schemaVersion: 3, manifests: [] }, /schemaVersion: must be 2/],
    ['an index without manifests', { schemaVersion: 2, mediaType: MediaTypes.OciIndex }, /\/manifests: required array/],
    ['a manifest without config', { schemaVersion: 2, mediaType: MediaTypes.OciManifest, layers: [] }, /\/config: required/],
    [
      'a bad layer digest',
      {
        schemaVersion: 2,
        config: { mediaType: MediaTypes.OciConfig, digest: d('a'), size: 1 },
        layers: [{ mediaType: MediaTypes.OciLayerGzip, digest: 'sha256:xyz', size: 1 }],
      },
      /\/layers\/0\/digest/,
    ],
    [
      'a negative size',
      { schemaVersion: 2, config: { mediaType: MediaTypes.OciConfig, digest: d('a'), size: -1 }, layers: [] },
      /\/config\/size: must be a non-negative integer/,
    ],
    [
      'a media type served differently from the document',
      { schemaVersion: 2, mediaType: MediaTypes.OciIndex, manifests: [] },
      /served as/,
      MediaTypes.DockerManifestList,
    ],
    [
      'the empty config without artifactType',
      { schemaVersion: 2, config: { mediaType: MediaTypes.OciEmpty, digest: d('a'), size: 2 }, layers: [] },
      /artifactType: required/,
    ],
    ['Docker schema 1', { schemaVersion: 1, name: 'x', fsLayers: [] }, /schema 1/],
    ['non-string annotations', { schemaVersion: 2, manifests: [], annotations: { a: 1 } }, /annotations/],
    [
      'embedded data that does not match',
      { schemaVersion: 2, manifests: [{ mediaType: MediaTypes.OciManifest, digest: d('a'), size: 2, data: 'e30=' }] },
      /embedded data/,
    ],
  ]
  for (const [name, doc, why, mt] of invalid) {
    test(`rejects ${name}`, () => {
      assert.throws(
        () => parseManifest(enc(doc), mt),
        (e: unknown) => e instanceof InvalidContentError && why.test(e.message),
      )
    })
  }
  test('rejects duplicate keys, which different parsers would read differently', () => {
    const raw = Buffer.from(
      `{"schemaVersion":2,"manifests":[],"manifests":[{"mediaType":"${MediaTypes.OciManifest}","digest":"${d('a')}","size":1}]}`,
    )
    assert.throws(() => parseManifest(raw), /duplicate keys \(\/manifests\)/)
  })
  test('refuses manifests over 4 MiB before parsing', () => {
    assert.throws(() => parseManifest(Buffer.alloc(MAX_MANIFEST_BYTES + 1, 32)), SizeLimitError)
  })
})

describe('media type predicates', () => {
  test('classify OCI and Docker types, ignoring parameters and case', () => {
    assert.ok(isIndex(MediaTypes.DockerManifestList) && isIndex(`${MediaTypes.OciIndex}; charset=utf-8`))
    assert.ok(isImageManifest('Application/VND.oci.image.manifest.v1+json'))
    assert.ok(isManifest(MediaTypes.DockerManifest) && !isManifest(MediaTypes.OciConfig))
    assert.ok(isLayer(MediaTypes.DockerLayerGzip) && isLayer(MediaTypes.OciLayerZstd) && !isLayer(MediaTypes.OciConfig))
    assert.ok(isForeignLayer(MediaTypes.DockerForeignLayer) && !isForeignLayer(MediaTypes.OciLayerGzip))
  })
})
