import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { InvalidReferenceError } from '../../src/errors.js'
import { apiHost, formatReference, parseReference, referenceSelector, withSelector } from '../../src/oci/reference.js'

const D = `sha256:${'a'.repeat(64)}`

describe('parseReference normalises docker-style references', () => {
  const cases: Array<[input: string, registry: string, repository: string, tag: string | undefined, digest: string | undefined]> = [
    ['nginx', 'docker.io', 'library/nginx', 'latest', undefined],
    ['docker/dcl2020', 'docker.io', 'docker/dcl2020', 'latest', undefined],
    ['example.com:5000/user/repo', 'example.com:5000', 'user/repo', 'latest', undefined],
    ['example.com:5000/user/repo:v1.0.0', 'example.com:5000', 'user/repo', 'v1.0.0', undefined],
    [`example.com:5000/user/repo@${D}`, 'example.com:5000', 'user/repo', undefined, D],
    [`example.com:5000/user/repo:v1.0.0@${D}`, 'example.com:5000', 'user/repo', 'v1.0.0', D],
    ['localhost:5000/x', 'localhost:5000', 'x', 'latest', undefined],
    ['localhost/x:1', 'localhost', 'x', '1', undefined],
    ['127.0.0.1:5000/x', '127.0.0.1:5000', 'x', 'latest', undefined],
    ['[::1]:5000/x', '[::1]:5000', 'x', 'latest', undefined],
    ['[::1]/x:t', '[::1]', 'x', 't', undefined],
    ['index.docker.io/nginx', 'docker.io', 'library/nginx', 'latest', undefined],
    ['registry-1.docker.io/library/nginx:1.25', 'docker.io', 'library/nginx', '1.25', undefined],
    ['docker.io/acme/app:1.0', 'docker.io', 'acme/app', '1.0', undefined],
    ['ghcr.io/acme/team/app:1.0.0_build.7', 'ghcr.io', 'acme/team/app', '1.0.0_build.7', undefined],
    ['registry.example.com/a__b/c-d/e.f--g:X_y-Z.1', 'registry.example.com', 'a__b/c-d/e.f--g', 'X_y-Z.1', undefined],
    [`nginx:${'t'.repeat(128)}`, 'docker.io', 'library/nginx', 't'.repeat(128), undefined],
  ]
  for (const [input, registry, repository, tag, digest] of cases) {
    test(`${input.length > 60 ? input.slice(0, 60) + '…' : input} → ${registry}/${repository}${tag ? ':' + tag : ''}${digest ? '@…' : ''}`, () => {
      const ref = parseReference(input)
      assert.equal(ref.kind, 'registry')
      if (ref.kind !== 'registry') return
      assert.equal(ref.registry, registry)
      assert.equal(ref.repository, repository)
      assert.equal(ref.tag, tag)
      assert.equal(ref.digest, digest)
    })
  }

  test('the digest decides what is fetched while the tag is kept for display', () => {
    const ref = parseReference(`example.com:5000/user/repo:v1.0.0@${D}`)
    assert.equal(referenceSelector(ref), D)
    assert.equal(formatReference(ref), `example.com:5000/user/repo:v1.0.0@${D}`)
  })

  test('formatReference prints the fully normalised name', () => {
    assert.equal(formatReference(parseReference('nginx')), 'docker.io/library/nginx:latest')
    assert.equal(formatReference(parseReference('index.docker.io/docker/dcl2020')), 'docker.io/docker/dcl2020:latest')
  })

  test('Docker Hub API requests go to registry-1.docker.io, others to the named host', () => {
    const hub = parseReference('nginx')
    const local = parseReference('localhost:5000/x')
    assert.ok(hub.kind === 'registry' && local.kind === 'registry')
    assert.equal(apiHost(hub), 'registry-1.docker.io')
    assert.equal(apiHost(local), 'localhost:5000')
  })

  test('withSelector replaces tag and digest', () => {
    const ref = parseReference(`example.com/r:v1@${D}`)
    assert.deepEqual(withSelector(ref, { tag: 'v2' }), { kind: 'registry', registry: 'example.com', repository: 'r', tag: 'v2' })
  })

  test('defaultTag:false leaves a bare name without tag', () => {
    const ref = parseReference('example.com/r', { defaultTag: false })
    assert.equal(ref.tag, undefined)
  })
})

describe('parseReference reads OCI layout references', () => {
  const cases: Array<[string, string, string | undefined, string | undefined]> = [
    ['ocidir://out', 'out', undefined, undefined],
    ['ocidir://./out:v1', './out', 'v1', undefined],
    ['ocidir:///tmp/a/b:1.0.0', '/tmp/a/b', '1.0.0', undefined],
    [`ocidir://out@${D}`, 'out', undefined, D],
    [`ocidir://../x/y:v2@${D}`, '../x/y', 'v2', D],
    ['ocidir://dir.with:colon/sub', 'dir.with:colon/sub', undefined, undefined],
  ]
  for (const [input, path, tag, digest] of cases) {
    test(`${input} → path ${path}${tag ? ' tag ' + tag : ''}${digest ? ' digest' : ''}`, () => {
      const ref = parseReference(input)
      assert.deepEqual(ref, { kind: 'layout', path, ...(tag && { tag }), ...(digest && { digest }) })
    })
  }
  test('layout references can be refused where only registries make sense', () => {
    assert.throws(() => parseReference('ocidir://out', { allowLayout: false }), /not accepted here/)
  })
})

describe('parseReference rejects bad references and says why', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['Nginx', /must be lowercase/],
    ['example.com/User/repo', /"User\/repo" must be lowercase/],
    ['example.com/repo:', /tag after ":" is empty/],
    ['example.com/repo:-bad', /tag "-bad" must match/],
    ['example.com/repo:a+b', /tag "a\+b" must match/],
    [`example.com/repo:${'t'.repeat(129)}`, /longer than 128/],
    ['example.com/repo@sha256:abc', /64 lowercase hex/],
    [`example.com/repo@sha256:${'A'.repeat(64)}`, /lowercase hex/],
    [`example.com/repo@md5:${'a'.repeat(32)}`, /unsupported digest algorithm "md5"/],
    ['example.com//repo', /empty path component/],
    ['example.com/repo/', /empty path component/],
    ['example.com/re..po', /path component "re..po"/],
    ['example.com/-repo', /path component "-repo"/],
    ['example.com:99999/repo', /port "99999"/],
    ['example.com:port/repo', /port "port"/],
    ['exa_mple.com/repo', /not a valid host name/],
    ['[::1/x', /unclosed/],
    ['https://example.com/repo', /unknown scheme "https:\/\/"/],
    ['example.com/repo name', /white space/],
    [`example.com/${'a/'.repeat(130)}b`, /longer than 255/],
    ['ocidir://', /layout directory is missing/],
    ['ocidir://out:bad+tag', /must match/],
  ]
  for (const [input, why] of cases) {
    test(`rejects ${JSON.stringify(input.length > 50 ? input.slice(0, 50) + '…' : input)} (${why.source})`, () => {
      assert.throws(
        () => parseReference(input),
        (err: unknown) => err instanceof InvalidReferenceError && why.test(err.message) && err.message.startsWith('invalid reference'),
      )
    })
  }
})
