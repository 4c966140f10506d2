/**
 * The small rules of the library's workflow calls that need no registry: which publish sources
 * are files, tag derivation from a bundle, and argument checks made before anything is opened.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { InputError, NotFoundError, UsageError } from '../../src/errors.js'
import { bundleTagOf } from '../../src/publish/bundle-tags.js'
import { publish } from '../../src/publish/publish.js'
import { listTags } from '../../src/publish/read-content.js'

describe('publish sources', () => {
  test('a missing bundle.json is reported by name, before any registry is asked', async () => {
    await assert.rejects(publish('nope.json', 'localhost:1/acme/shop'), (err: unknown) => {
      assert.ok(err instanceof NotFoundError)
      assert.equal(err.message, 'nope.json does not exist')
      return true
    })
  })

  test('a destination with a digest is refused before anything is read', async () => {
    await assert.rejects(publish('nope.json', `registry.example.com/a@sha256:${'a'.repeat(64)}`), (err: unknown) => {
      assert.ok(err instanceof UsageError)
      assert.match(err.message, /published under a tag, not a digest/)
      return true
    })
  })
})

describe('the tag of a bundle', () => {
  test('v<version>, with + as _', () => assert.equal(bundleTagOf({ version: '1.2.3+build.5' }), 'v1.2.3_build.5'))
  test('a bundle without a string version gives an InputError that says to name the tag', () => {
    for (const bundle of [{}, { version: 7 }, null]) {
      assert.throws(
        () => bundleTagOf(bundle),
        (err: unknown) => err instanceof InputError && /no version/.test(err.message),
      )
    }
  })
})

describe('listTags', () => {
  test('a limit below 1 is a usage error, checked before the repository is opened', async () => {
    for (const limit of [0, -1, 1.5]) {
      await assert.rejects(listTags('ocidir:///nonexistent-layout-for-this-test', { limit }), UsageError)
    }
  })
})
