import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  classifyPushError,
  isFallbackable,
  isMissingRepository,
  refusedConfigType,
  refusesDigestReferences,
  refusesUntaggedPush,
  RepresentationRefusedError,
} from '../../src/compat/classify.js'
import { OcibundleError } from '../../src/errors.js'
import { AuthenticationError, RegistryResponseError } from '../../src/registry/http/response-errors.js'

const refused = (status: number, ...codes: string[]) =>
  new RegistryResponseError(
    'PUT',
    'https://r.example/v2/x/manifests/v1',
    status,
    codes.map((code) => ({ code })),
  )

describe('classifyPushError: only representation refusals fall back', () => {
  const fallbacks: Array<[string, RegistryResponseError]> = [
    ['400 MANIFEST_INVALID (Docker Hub 2019 on OCI index, Quay allow-list)', refused(400, 'MANIFEST_INVALID')],
    ['400 without a code (GCR on layers:null)', refused(400)],
    ['400 UNSUPPORTED', refused(400, 'UNSUPPORTED')],
    ['405 (no such manifest kind)', refused(405, 'UNSUPPORTED')],
    ['415 (media type not accepted)', refused(415)],
    ['404 without NAME_UNKNOWN (Gitea on index PUT)', refused(404)],
  ]
  for (const [name, err] of fallbacks) {
    test(`falls back on ${name}`, () => assert.equal(isFallbackable(err), true))
  }

  const stops: Array<[string, unknown, string]> = [
    ['401', refused(401, 'UNAUTHORIZED'), 'auth'],
    ['403 DENIED', refused(403, 'DENIED'), 'auth'],
    ['an AuthenticationError', new AuthenticationError('refused'), 'auth'],
    ['404 NAME_UNKNOWN (ECR: repository must exist)', refused(404, 'NAME_UNKNOWN'), 'repository-missing'],
    ['409 (immutable tag)', refused(409), 'immutable-tag'],
    ['429', refused(429, 'TOOMANYREQUESTS'), 'rate-limit'],
    ['500', refused(500, 'UNKNOWN'), 'server'],
    ['503', refused(503, 'UNAVAILABLE'), 'server'],
    ['400 MANIFEST_BLOB_UNKNOWN (a child is missing; no other shape helps)', refused(400, 'MANIFEST_BLOB_UNKNOWN'), 'content'],
    ['400 DIGEST_INVALID', refused(400, 'DIGEST_INVALID'), 'content'],
    ['a network error', new OcibundleError('connect ECONNREFUSED'), 'other'],
  ]
  for (const [name, err, reason] of stops) {
    test(`never falls back on ${name}`, () => {
      const c = classifyPushError(err)
      assert.equal(c.fallback, false)
      assert.equal(c.fallback === false && c.reason, reason)
    })
  }
})

describe('the refusals that lead somewhere other than the next tier', () => {
  const at = (method: 'PUT' | 'GET', url: string, status: number, errors: Array<{ code: string; message?: string; detail?: unknown }>) =>
    new RegistryResponseError(method, url, status, errors)

  test("Quay's config type allow-list (QUAY-1): the refused type and the allowed ones, from the detail", () => {
    const quay = at('PUT', 'https://quay.example/v2/acme/shop/manifests/sha256:aa', 400, [
      {
        code: 'MANIFEST_INVALID',
        message: 'manifest invalid',
        detail: {
          message:
            "failed to parse manifest: 'application/vnd.cnab.config.v1+json' is not one of ['application/vnd.oci.image.config.v1+json']",
        },
      },
    ])
    assert.deepEqual(refusedConfigType(quay), {
      type: 'application/vnd.cnab.config.v1+json',
      allowed: "'application/vnd.oci.image.config.v1+json'",
    })
    assert.equal(refusedConfigType(refused(400, 'MANIFEST_INVALID')), undefined)
    assert.equal(refusedConfigType(new Error("'x' is not one of [y]")), undefined, 'only a registry answer')
  })

  test('untagged pushes refused, in every form: 405, 400 TAG_INVALID, or 400 MANIFEST_INVALID / UNSUPPORTED about a tag, to a PUT by digest', () => {
    const byDigest = 'https://r.example/v2/x/manifests/sha256:aa'
    const refusals: Array<[number, Array<{ code: string; message?: string; detail?: unknown }>]> = [
      [405, []],
      [405, [{ code: 'UNSUPPORTED', message: 'The operation is unsupported.' }]],
      [400, [{ code: 'TAG_INVALID', message: 'manifest tag did not match URI' }]],
      [400, [{ code: 'MANIFEST_INVALID', message: 'manifest invalid', detail: { message: 'manifest must be pushed with a tag' } }]],
      [400, [{ code: 'UNSUPPORTED', message: 'pushing a manifest without a tag is unsupported' }]],
    ]
    for (const [status, errors] of refusals) {
      const err = at('PUT', byDigest, status, errors)
      assert.equal(refusesUntaggedPush(err), true, `${status} ${JSON.stringify(errors)}`)
      assert.match(classifyPushError(err).reason, /wants manifests pushed with a tag/)
    }
    // The same answers to a PUT by tag, or a 400 about the manifest itself, are something else.
    assert.equal(refusesUntaggedPush(at('PUT', 'https://r.example/v2/x/manifests/v1', 405, [])), false)
    assert.equal(refusesUntaggedPush(at('PUT', 'https://r.example/v2/x/manifests/v1', 400, [{ code: 'TAG_INVALID' }])), false)
    assert.equal(refusesUntaggedPush(at('PUT', byDigest, 400, [])), false)
    assert.equal(refusesUntaggedPush(at('PUT', byDigest, 400, [{ code: 'MANIFEST_INVALID', message: 'manifest invalid' }])), false)
    assert.equal(
      refusesUntaggedPush(
        at('PUT', byDigest, 400, [{ code: 'TAG_INVALID', message: "The image tag 'v1' already exists and is immutable" }]),
      ),
      false,
    )
    assert.equal(refusesUntaggedPush(at('GET', byDigest, 405, [])), false)
  })

  test('pushing by digest refused: an untagged push refused, or a manifest the registry does not serve back by digest', () => {
    assert.equal(refusesDigestReferences(at('PUT', 'https://r.example/v2/x/manifests/sha256:aa', 405, [])), true)
    assert.equal(refusesDigestReferences(at('PUT', 'https://r.example/v2/x/manifests/sha256:aa', 400, [{ code: 'TAG_INVALID' }])), true)
    assert.equal(refusesDigestReferences(new RepresentationRefusedError('HEAD by digest found nothing')), true)
    assert.equal(refusesDigestReferences(refused(400, 'MANIFEST_INVALID')), false)
  })

  test('a missing repository (ECR-1): NAME_UNKNOWN from that repository only', () => {
    const missing = at('GET', 'https://ecr.example/v2/acme/shop/manifests/v1', 404, [{ code: 'NAME_UNKNOWN' }])
    assert.equal(isMissingRepository(missing, 'acme/shop'), true)
    assert.equal(isMissingRepository(missing, 'acme/other'), false)
    assert.equal(
      isMissingRepository(at('GET', 'https://ecr.example/v2/acme/shop/manifests/v1', 404, [{ code: 'MANIFEST_UNKNOWN' }]), 'acme/shop'),
      false,
    )
  })
})
