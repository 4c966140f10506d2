import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  componentImageDigestReference,
  imageContentDigest,
  imageDescriptorFields,
  imageTypeKnown,
  invocationImageCount,
} from '../../src/cnab/index.js'
import { LINT, PUBLISH, WEB_DIGEST, brief, bundle, invocationImage } from './helpers.js'

describe('rule 4 invocation-image-count', () => {
  test('exactly one invocation image passes in both modes', () => {
    assert.deepEqual(invocationImageCount(bundle(), LINT), [])
    assert.deepEqual(invocationImageCount(bundle(), PUBLISH), [])
  })

  test('zero invocation images is an error in both modes', () => {
    for (const ctx of [LINT, PUBLISH]) {
      assert.deepEqual(brief(invocationImageCount(bundle({ invocationImages: [] }), ctx)), [
        'error invocation-image-count /invocationImages',
      ])
    }
  })

  test('two invocation images warn in lint mode and fail publish mode, saying OCI output needs exactly one', () => {
    const b = bundle({ invocationImages: [invocationImage(), invocationImage()] })
    assert.deepEqual(brief(invocationImageCount(b, LINT)), ['warning invocation-image-count /invocationImages'])
    const published = invocationImageCount(b, PUBLISH)
    assert.deepEqual(brief(published), ['error invocation-image-count /invocationImages'])
    assert.match(published[0]!.message, /cnab-to-oci-compatible OCI output needs exactly one/)
  })

  test('a missing or non-array invocationImages is left to the schema pass', () => {
    assert.deepEqual(invocationImageCount({}, PUBLISH), [])
    assert.deepEqual(invocationImageCount(bundle({ invocationImages: {} }), PUBLISH), [])
  })
})

describe('rule 5 image-type-known', () => {
  test('docker, oci and a missing imageType (default oci) pass', () => {
    const b = bundle({
      invocationImages: [invocationImage({ imageType: 'docker' })],
      images: { a: { image: 'x', imageType: 'oci' }, b: { image: 'y' } },
    })
    assert.deepEqual(imageTypeKnown(b, PUBLISH), [])
  })

  test('an unknown imageType is a warning in lint mode and an error in publish mode, on invocation and component images', () => {
    const b = bundle({ invocationImages: [invocationImage({ imageType: 'qcow2' })], images: { vm: { image: 'x', imageType: 'vmdk' } } })
    assert.deepEqual(brief(imageTypeKnown(b, LINT)), [
      'warning image-type-known /invocationImages/0/imageType',
      'warning image-type-known /images/vm/imageType',
    ])
    assert.deepEqual(brief(imageTypeKnown(b, PUBLISH)), [
      'error image-type-known /invocationImages/0/imageType',
      'error image-type-known /images/vm/imageType',
    ])
  })
})

describe('rule 6 image-content-digest', () => {
  test('a sha256 contentDigest passes in both modes', () => {
    assert.deepEqual(imageContentDigest(bundle(), PUBLISH), [])
  })

  test('a missing contentDigest is silent while linting and an error at the image when publishing', () => {
    const b = bundle({ invocationImages: [invocationImage({ contentDigest: undefined })] })
    assert.deepEqual(imageContentDigest(b, LINT), [])
    assert.deepEqual(brief(imageContentDigest(b, PUBLISH)), ['error image-content-digest /invocationImages/0'])
  })

  test('a malformed contentDigest (placeholder, uppercase, sha512, no algorithm) warns while linting and fails publish', () => {
    for (const contentDigest of ['sha256:aaaaaaa...', `sha256:${'A'.repeat(64)}`, `sha512:${'a'.repeat(128)}`, 'a'.repeat(64)]) {
      const b = bundle({ images: { web: { image: 'x', contentDigest } } })
      assert.deepEqual(brief(imageContentDigest(b, LINT)), ['warning image-content-digest /images/web/contentDigest'], contentDigest)
      assert.deepEqual(brief(imageContentDigest(b, PUBLISH)), ['error image-content-digest /images/web/contentDigest'], contentDigest)
    }
  })

  test('images of other types are not required to have a digest (rule 5 reports the type)', () => {
    const b = bundle({ invocationImages: [invocationImage({ imageType: 'qcow2', contentDigest: undefined })] })
    assert.deepEqual(imageContentDigest(b, PUBLISH), [])
  })
})

describe('rule 7 image-descriptor-fields', () => {
  test('a positive size and any of the four manifest media types pass; a missing mediaType is derived from imageType', () => {
    const mediaTypes = [
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
    ]
    for (const mediaType of mediaTypes) {
      assert.deepEqual(imageDescriptorFields(bundle({ invocationImages: [invocationImage({ mediaType })] }), PUBLISH), [], mediaType)
    }
    assert.deepEqual(imageDescriptorFields(bundle(), PUBLISH), [])
  })

  test('a missing size is silent while linting and an error at the image when publishing', () => {
    const b = bundle({ images: { web: { image: 'x' } } })
    assert.deepEqual(imageDescriptorFields(b, LINT), [])
    assert.deepEqual(brief(imageDescriptorFields(b, PUBLISH)), ['error image-descriptor-fields /images/web'])
  })

  test('size 0 or negative and a non-manifest mediaType warn while linting and fail publish', () => {
    const b = bundle({
      invocationImages: [invocationImage({ size: 0, mediaType: 'application/vnd.oci.image.config.v1+json' })],
      images: { w: { image: 'x', size: -1 } },
    })
    const expected = ['/invocationImages/0/size', '/invocationImages/0/mediaType', '/images/w/size']
    assert.deepEqual(
      brief(imageDescriptorFields(b, LINT)),
      expected.map((p) => `warning image-descriptor-fields ${p}`),
    )
    assert.deepEqual(
      brief(imageDescriptorFields(b, PUBLISH)),
      expected.map((p) => `error image-descriptor-fields ${p}`),
    )
  })
})

describe('rule 19 image-digest-reference', () => {
  test('component images referenced by digest pass, with or without a tag', () => {
    const b = bundle({ images: { a: { image: `example.com/web@${WEB_DIGEST}` }, b: { image: `localhost:5000/web:1.0@${WEB_DIGEST}` } } })
    assert.deepEqual(componentImageDigestReference(b), [])
  })

  test('tag references, bare names and malformed digests are warnings at images/<name>/image', () => {
    const b = bundle({ images: { tag: { image: 'example.com/web:1.0' }, bare: { image: 'web' }, bad: { image: 'web@sha256:abc' } } })
    assert.deepEqual(brief(componentImageDigestReference(b)), [
      'warning image-digest-reference /images/tag/image',
      'warning image-digest-reference /images/bare/image',
      'warning image-digest-reference /images/bad/image',
    ])
  })

  test('invocation images are not covered by this rule', () => {
    assert.deepEqual(componentImageDigestReference(bundle({ invocationImages: [invocationImage({ image: 'example.com/app:1.0' })] })), [])
  })
})
