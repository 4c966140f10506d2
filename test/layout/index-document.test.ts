/**
 * index.json edits: tags as ref.name annotations, digest-only entries for untagged manifests,
 * and preservation of whatever other tools wrote.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { InvalidContentError } from '../../src/errors.js'
import {
  addUntagged,
  emptyIndex,
  parseIndexDocument,
  removeDigest,
  removeTag,
  serializeIndexDocument,
  setTag,
  tagsOf,
  withoutRefName,
  type IndexDocument,
} from '../../src/layout/index-document.js'
import { image } from '../helpers/content.js'

const REF = 'org.opencontainers.image.ref.name'
const a = image('a').manifest.desc
const b = image('b').manifest.desc

/** Entries as [digest, tag] pairs, for compact assertions. */
function shape(doc: IndexDocument): Array<[string, string | undefined]> {
  return doc.manifests.map((e) => [e.digest, e.annotations?.[REF]])
}

describe('index.json document', () => {
  test('a new index is an empty OCI image index', () => {
    assert.equal(
      serializeIndexDocument(emptyIndex()).toString(),
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}',
    )
  })

  test('an untagged manifest gets one digest-only entry, however often it is added', () => {
    const doc = emptyIndex()
    assert.equal(addUntagged(doc, a), true)
    assert.equal(addUntagged(doc, a), false)
    assert.deepEqual(shape(doc), [[a.digest, undefined]])
    assert.equal(doc.manifests[0]!.annotations, undefined)
  })

  test('tagging a manifest turns its digest-only entry into the tagged entry (no duplicate)', () => {
    const doc = emptyIndex()
    addUntagged(doc, a)
    assert.equal(setTag(doc, a, 'v1'), true)
    assert.deepEqual(shape(doc), [[a.digest, 'v1']])
    assert.equal(setTag(doc, a, 'v1'), false, 'tagging again changes nothing')
    assert.equal(addUntagged(doc, a), false, 'a tagged manifest needs no digest-only entry')
  })

  test('a second tag on the same manifest adds a second tagged entry', () => {
    const doc = emptyIndex()
    setTag(doc, a, 'v1')
    setTag(doc, a, 'latest')
    assert.deepEqual(shape(doc), [
      [a.digest, 'v1'],
      [a.digest, 'latest'],
    ])
  })

  test('moving a tag leaves the previous manifest a digest-only entry, so it is not orphaned', () => {
    const doc = emptyIndex()
    setTag(doc, a, 'latest')
    setTag(doc, b, 'latest')
    assert.deepEqual(shape(doc), [
      [a.digest, undefined],
      [b.digest, 'latest'],
    ])
  })

  test('moving a tag away from a manifest that keeps another tag drops the redundant entry', () => {
    const doc = emptyIndex()
    setTag(doc, a, 'v1')
    setTag(doc, a, 'latest')
    setTag(doc, b, 'latest')
    assert.deepEqual(shape(doc), [
      [a.digest, 'v1'],
      [b.digest, 'latest'],
    ])
  })

  test('removing a tag keeps a digest-only entry; removing an unknown tag reports false', () => {
    const doc = emptyIndex()
    setTag(doc, a, 'v1')
    assert.equal(removeTag(doc, 'v1'), true)
    assert.deepEqual(shape(doc), [[a.digest, undefined]])
    assert.equal(removeTag(doc, 'v1'), false)
  })

  test('removing a digest drops all its entries', () => {
    const doc = emptyIndex()
    setTag(doc, a, 'v1')
    setTag(doc, a, 'v2')
    addUntagged(doc, b)
    assert.equal(removeDigest(doc, a.digest), true)
    assert.deepEqual(shape(doc), [[b.digest, undefined]])
    assert.equal(removeDigest(doc, a.digest), false)
  })

  test('fields and annotations written by other tools survive tagging, moving and untagging', () => {
    const foreign = `{"schemaVersion":2,"annotations":{"com.example.index":"kept"},"x-tool":{"v":1},"manifests":[
      {"mediaType":"${a.mediaType}","digest":"${a.digest}","size":${a.size},"platform":{"architecture":"arm64","os":"linux"},
       "x-entry":"kept","annotations":{"com.example.note":"kept"}}]}`
    const doc = parseIndexDocument(Buffer.from(foreign), 'index.json')
    setTag(doc, a, 'v1')
    setTag(doc, b, 'v1')
    removeTag(doc, 'v1')
    const round = JSON.parse(serializeIndexDocument(doc).toString())
    assert.deepEqual(round.annotations, { 'com.example.index': 'kept' })
    assert.deepEqual(round['x-tool'], { v: 1 })
    assert.deepEqual(round.manifests[0], {
      mediaType: a.mediaType,
      digest: a.digest,
      size: a.size,
      platform: { architecture: 'arm64', os: 'linux' },
      'x-entry': 'kept',
      annotations: { 'com.example.note': 'kept' },
    })
    assert.deepEqual(tagsOf(doc), [])
  })

  test('tagging a digest-only entry of another tool merges its fields with the tagged descriptor', () => {
    const doc = parseIndexDocument(
      Buffer.from(
        `{"schemaVersion":2,"manifests":[{"mediaType":"${a.mediaType}","digest":"${a.digest}","size":${a.size},"x-entry":1,"annotations":{"from":"tool"}}]}`,
      ),
      'index.json',
    )
    setTag(doc, { ...a, artifactType: 'application/vnd.example', annotations: { from: 'caller', extra: 'y' } }, 'v1')
    assert.deepEqual(doc.manifests, [
      { ...a, 'x-entry': 1, artifactType: 'application/vnd.example', annotations: { from: 'caller', extra: 'y', [REF]: 'v1' } },
    ])
  })

  test('embedded data is not copied into index.json', () => {
    const doc = emptyIndex()
    setTag(doc, { ...a, data: 'e30=' }, 'v1')
    assert.equal('data' in doc.manifests[0]!, false)
  })

  test('withoutRefName keeps other annotations and drops a map left empty', () => {
    assert.deepEqual(withoutRefName({ ...a, annotations: { [REF]: 'v1', note: 'x' } }).annotations, { note: 'x' })
    assert.equal('annotations' in withoutRefName({ ...a, annotations: { [REF]: 'v1' } }), false)
  })

  test('tagsOf lists distinct tags sorted', () => {
    const doc = emptyIndex()
    setTag(doc, a, 'b')
    setTag(doc, b, 'a')
    setTag(doc, b, 'c')
    assert.deepEqual(tagsOf(doc), ['a', 'b', 'c'])
  })

  test('parsing accepts an index without mediaType, as skopeo and umoci write it', () => {
    const doc = parseIndexDocument(Buffer.from('{"schemaVersion":2,"manifests":[]}'), 'index.json')
    assert.deepEqual(doc.manifests, [])
  })

  const invalid: Array<[string, string, RegExp]> = [
    ['not JSON', '{"schemaVersion":2,', /not valid JSON/],
    ['duplicate keys', '{"schemaVersion":2,"manifests":[],"manifests":[]}', /duplicate keys at \/manifests/],
    ['an array', '[]', /must be a JSON object/],
    ['schemaVersion 1', '{"schemaVersion":1,"manifests":[]}', /schemaVersion: must be 2/],
    ['a manifest media type', '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]}', /mediaType/],
    ['no manifests', '{"schemaVersion":2}', /manifests: required array/],
    ['a bad digest', '{"schemaVersion":2,"manifests":[{"mediaType":"a/b","digest":"sha256:zz","size":1}]}', /\/manifests\/0\/digest/],
    [
      'a path-like digest',
      '{"schemaVersion":2,"manifests":[{"mediaType":"a/b","digest":"sha256:../../etc","size":1}]}',
      /\/manifests\/0\/digest/,
    ],
  ]
  for (const [what, text, why] of invalid) {
    test(`parsing rejects index.json with ${what}`, () => {
      assert.throws(
        () => parseIndexDocument(Buffer.from(text), 'index.json'),
        (err: unknown) => {
          assert.ok(err instanceof InvalidContentError)
          assert.match(err.message, why)
          return true
        },
      )
    })
  }
})
