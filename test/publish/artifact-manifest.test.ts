/**
 * The artifact manifest in each form (src/compat/strategies.ts ARTIFACT_TIERS), and how the
 * command line's `file[:mediaType]` is read.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { EMPTY_DESCRIPTOR } from '../../src/oci/referrers.js'
import { parseManifest } from '../../src/oci/manifest.js'
import { parseArtifactFile } from '../../src/publish/artifact-files.js'
import { artifactManifest } from '../../src/publish/artifact-manifest.js'
import { blob } from '../helpers/content.js'

const layer = { ...blob('data').desc, annotations: { 'org.opencontainers.image.title': 'data.txt' } }
const subject = blob('{}', 'application/vnd.oci.image.manifest.v1+json').desc

describe('artifactManifest', () => {
  test('the empty descriptor is the one image-spec v1.1 fixes', () => {
    assert.deepEqual(EMPTY_DESCRIPTOR, {
      mediaType: 'application/vnd.oci.empty.v1+json',
      digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
      size: 2,
    })
  })

  test('artifact-type: artifactType, the empty config, layers, subject, annotations in a fixed order and sorted', () => {
    const built = artifactManifest('artifact-type', {
      artifactType: 'application/vnd.example',
      layers: [layer],
      subject,
      annotations: { b: '2', a: '1' },
    })
    assert.equal(
      built.bytes.toString(),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: 'application/vnd.example',
        config: EMPTY_DESCRIPTOR,
        layers: [layer],
        subject,
        annotations: { a: '1', b: '2' },
      }),
    )
    assert.deepEqual(built.config.bytes, Buffer.from('{}'))
    assert.equal(parseManifest(built.bytes).kind, 'manifest', 'valid per the image spec')
  })

  test('config-media-type: no artifactType field, the type is the config media type over {}', () => {
    const doc = JSON.parse(
      artifactManifest('config-media-type', { artifactType: 'application/vnd.example', layers: [layer] }).bytes.toString(),
    )
    assert.equal(doc.artifactType, undefined)
    assert.deepEqual(doc.config, { ...EMPTY_DESCRIPTOR, mediaType: 'application/vnd.example' })
  })

  test('image-config: an OCI image config type, the type in the org.opencontainers.artifactType annotation; no room for a config of its own', () => {
    const doc = JSON.parse(artifactManifest('image-config', { artifactType: 'application/vnd.example', layers: [layer] }).bytes.toString())
    assert.equal(doc.config.mediaType, 'application/vnd.oci.image.config.v1+json')
    assert.deepEqual(doc.annotations, { 'org.opencontainers.artifactType': 'application/vnd.example' })
    const config = { desc: blob('{"a":1}', 'application/vnd.example.config').desc, bytes: Buffer.from('{"a":1}') }
    assert.throws(() => artifactManifest('image-config', { artifactType: 'application/vnd.example', layers: [], config }), RangeError)
  })

  test('without files the one layer is the empty descriptor, as image-spec v1.1 advises', () => {
    const doc = JSON.parse(artifactManifest('artifact-type', { artifactType: 'application/vnd.example', layers: [] }).bytes.toString())
    assert.deepEqual(doc.layers, [EMPTY_DESCRIPTOR])
  })
})

describe('parseArtifactFile', () => {
  test('a media type after the last colon; a path that exists, and colons not followed by a media type, stay whole', () => {
    assert.deepEqual(parseArtifactFile('sbom.json:application/spdx+json'), { path: 'sbom.json', mediaType: 'application/spdx+json' })
    assert.deepEqual(parseArtifactFile('test/fixtures'), { path: 'test/fixtures' })
    assert.deepEqual(parseArtifactFile('notes:v2.txt'), { path: 'notes:v2.txt' })
    assert.deepEqual(parseArtifactFile('C:\\\\data\\\\file.bin'), { path: 'C:\\\\data\\\\file.bin' })
    assert.deepEqual(parseArtifactFile('plain.txt'), { path: 'plain.txt' })
  })
})
