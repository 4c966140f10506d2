/**
 * Scope strings: building repository scopes and normalising scope lists into cache keys.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { normalizeScopes, repositoryScope } from '../../../src/registry/auth/scope.js'

describe('repositoryScope', () => {
  test('actions in pull, push, delete order without duplicates', () => {
    assert.equal(repositoryScope('acme/app', ['push', 'pull', 'push']), 'repository:acme/app:pull,push')
    assert.equal(repositoryScope('acme/app', ['delete', 'pull']), 'repository:acme/app:pull,delete')
    assert.equal(repositoryScope('library/alpine', ['pull']), 'repository:library/alpine:pull')
  })
})

describe('normalizeScopes', () => {
  test('merges actions on the same resource and sorts resources', () => {
    assert.deepEqual(normalizeScopes(['repository:b:push', 'repository:a:pull', 'repository:b:pull']), [
      'repository:a:pull',
      'repository:b:pull,push',
    ])
  })

  test('a mount needs push on the target and pull on the source: both kept', () => {
    const scopes = [repositoryScope('team/target', ['pull', 'push']), repositoryScope('team/source', ['pull'])]
    assert.deepEqual(normalizeScopes(scopes), ['repository:team/source:pull', 'repository:team/target:pull,push'])
  })

  test('equal needs in any order give equal lists', () => {
    assert.deepEqual(
      normalizeScopes(['repository:a:push,pull', 'registry:catalog:*']),
      normalizeScopes(['registry:catalog:*', 'repository:a:pull', 'repository:a:push']),
    )
  })

  test('* absorbs the other actions', () => {
    assert.deepEqual(normalizeScopes(['repository:a:pull', 'repository:a:*']), ['repository:a:*'])
  })

  test('names holding host:port split on the last colon', () => {
    assert.deepEqual(normalizeScopes(['repository:localhost:5000/x:pull', 'repository:localhost:5000/x:push']), [
      'repository:localhost:5000/x:pull,push',
    ])
  })

  test('strings that are not type:name:actions are kept as they are; empty ones dropped', () => {
    assert.deepEqual(normalizeScopes(['opaque', '', 'repository:a:pull', 'opaque']), ['opaque', 'repository:a:pull'])
  })

  test('no scopes → empty list', () => {
    assert.deepEqual(normalizeScopes([]), [])
  })
})
