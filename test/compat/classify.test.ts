import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { classifyPushError, isFallbackable } from '../../src/compat/classify.js'
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
