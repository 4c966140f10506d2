/**
 * Realm validation: HTTPS always; plain HTTP only when the registry is reached over plain HTTP
 * and the realm is on that host or on loopback; anything else refused before any request.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { validateRealm } from '../../../src/registry/auth/realm.js'
import { AuthenticationError } from '../../../src/registry/http/response-errors.js'

describe('validateRealm', () => {
  test('https realms are accepted, on any host', () => {
    assert.equal(
      validateRealm('https://auth.docker.io/token', 'docker.io', 'https://registry-1.docker.io').href,
      'https://auth.docker.io/token',
    )
    assert.equal(validateRealm('https://auth.example/token', 'localhost:5000', 'http://localhost:5000').host, 'auth.example')
  })

  test('http realms are accepted for a plain-HTTP registry on loopback or on the registry host', () => {
    assert.equal(validateRealm('http://127.0.0.1:9000/token', '127.0.0.1:5000', 'http://127.0.0.1:5000').port, '9000')
    assert.equal(validateRealm('http://[::1]:9000/token', 'localhost:5000', 'http://localhost:5000').hostname, '[::1]')
    assert.equal(validateRealm('http://registry.lan:5000/auth', 'registry.lan:5000', 'http://registry.lan:5000').pathname, '/auth')
  })

  const refused: Array<[string, string, string, RegExp]> = [
    ['http://auth.example/token', 'registry.example', 'https://registry.example', /must use HTTPS/],
    ['http://127.0.0.1:9000/token', 'registry.example', 'https://registry.example', /must use HTTPS/],
    ['http://auth.elsewhere/token', 'registry.lan:5000', 'http://registry.lan:5000', /must use HTTPS/],
    ['ftp://auth.example/token', 'registry.example', 'https://registry.example', /ftp: realms are not supported/],
    ['not a url', 'registry.example', 'https://registry.example', /invalid realm URL/],
  ]
  for (const [realm, registry, origin, message] of refused) {
    test(`refuses ${realm} for ${origin}`, () => {
      assert.throws(
        () => validateRealm(realm, registry, origin),
        (err: unknown) => err instanceof AuthenticationError && message.test(err.message),
      )
    })
  }
})
