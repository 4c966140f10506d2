/**
 * CopyError: what its message tells the user about the failed step, and the fields callers branch on.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { CopyError } from '../../src/copy/copy-error.js'
import { OcibundleError } from '../../src/errors.js'
import { blob } from '../helpers/content.js'

describe('CopyError', () => {
  const layer = blob('layer').desc

  test('names the operation, the content, the side and the cause, and keeps the cause', () => {
    const cause = new Error('connection reset')
    const err = new CopyError({ op: 'fetch', origin: 'source', descriptor: layer, cause })
    assert.ok(err instanceof OcibundleError)
    assert.deepEqual(
      [err.name, err.code, err.op, err.origin, err.descriptor, err.cause],
      ['CopyError', 'ERR_COPY', 'fetch', 'source', layer, cause],
    )
    assert.equal(
      err.message,
      `copy failed: could not fetch ${layer.digest} (${layer.mediaType}, ${layer.size} bytes) in the source: connection reset`,
    )
  })

  test('names the tag of a failed tag step and the reference of a failed resolve', () => {
    const tag = new CopyError({ op: 'tag', origin: 'destination', descriptor: layer, reference: 'v1', cause: new Error('denied') })
    assert.match(tag.message, new RegExp(`could not tag ${layer.digest} .* as "v1" in the destination: denied$`))
    const resolve = new CopyError({ op: 'resolve', origin: 'source', reference: 'missing', cause: new Error('not found') })
    assert.equal(resolve.message, 'copy failed: could not resolve "missing" in the source: not found')
  })

  test('suggests checking the side that failed', () => {
    const source = new CopyError({ op: 'fetch', origin: 'source', descriptor: layer, cause: 'x' })
    const destination = new CopyError({ op: 'push', origin: 'destination', descriptor: layer, cause: 'x' })
    assert.match(source.suggestions.join(' '), /source/)
    assert.match(destination.suggestions.join(' '), /destination/)
    assert.notDeepEqual(source.suggestions, destination.suggestions)
  })
})
