/**
 * Pure helpers of the registry modules: `Link` header parsing and the referrers tag schema.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseDigest } from '../../../src/oci/digest.js'
import { referrersTag } from '../../../src/registry/referrers.js'
import { nextLink } from '../../../src/registry/urls.js'

describe('registry helpers', () => {
  const base = 'http://127.0.0.1:5000/v2/a/tags/list?n=2'

  test('nextLink finds rel="next" among links and parameters, resolved against the answering URL', () => {
    assert.equal(nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"', base), 'http://127.0.0.1:5000/v2/a/tags/list?n=2&last=b')
    assert.equal(
      nextLink('<https://r.example/v2/a/tags/list?next_page=x&n=50>; rel="next"', base),
      'https://r.example/v2/a/tags/list?next_page=x&n=50',
    )
    assert.equal(nextLink('</p1>; rel="prev", </p3>; title="x"; rel=next', base), 'http://127.0.0.1:5000/p3')
    assert.equal(nextLink('</p3>; rel="prev next"', base), 'http://127.0.0.1:5000/p3')
    assert.equal(nextLink('</p1>; rel="prev"', base), undefined)
    assert.equal(nextLink('</p1>; rel="nextpage"', base), undefined)
    assert.equal(nextLink(undefined, base), undefined)
  })

  test('referrersTag is <alg>-<encoded>, the encoded part cut to 64 characters', () => {
    const sha256 = parseDigest(`sha256:${'a'.repeat(64)}`)
    const sha512 = parseDigest(`sha512:${'b'.repeat(128)}`)
    assert.equal(referrersTag(sha256), `sha256-${'a'.repeat(64)}`)
    assert.equal(referrersTag(sha512), `sha512-${'b'.repeat(64)}`)
  })
})
