/**
 * Proxy selection (src/registry/http/proxy.ts) against the cases of Go's
 * golang.org/x/net/http/httpproxy (https://github.com/golang/net/blob/master/http/httpproxy/proxy_test.go)
 * and curl's ALL_PROXY: which variable applies to which origin, NO_PROXY's forms, loopback, and
 * redaction of proxy credentials.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { InputError } from '../../../src/errors.js'
import { bypassesProxy, parseProxyUrl, proxyEnvironment, proxyFor, redactUrl } from '../../../src/registry/http/proxy.js'

describe('proxyEnvironment', () => {
  test('HTTPS_PROXY for https, HTTP_PROXY for http, ALL_PROXY for either when its own is unset; upper case first', () => {
    assert.deepEqual(proxyEnvironment({ HTTPS_PROXY: 'http://s:1', https_proxy: 'http://lower:1', HTTP_PROXY: 'p:2' }), {
      https: 'http://s:1',
      http: 'p:2',
      sources: { https: 'HTTPS_PROXY', http: 'HTTP_PROXY' },
    })
    assert.deepEqual(proxyEnvironment({ https_proxy: 'http://lower:1', ALL_PROXY: 'http://all:3', no_proxy: '.corp' }), {
      https: 'http://lower:1',
      http: 'http://all:3',
      noProxy: '.corp',
      sources: { https: 'https_proxy', http: 'ALL_PROXY' },
    })
    assert.deepEqual(proxyEnvironment({ HTTPS_PROXY: '', all_proxy: 'http://all:3' }).sources, { https: 'all_proxy', http: 'all_proxy' })
  })

  test('a proxy URL without scheme is http; an unsupported or malformed one names where it came from and hides credentials', () => {
    assert.equal(parseProxyUrl('proxy.corp:3128', 'HTTP_PROXY').href, 'http://proxy.corp:3128/')
    assert.throws(
      () => parseProxyUrl('socks5://u:secret@s:1080', 'ALL_PROXY'),
      (err: unknown) => err instanceof InputError && /from ALL_PROXY/.test(err.message) && !err.message.includes('secret'),
    )
    assert.throws(() => parseProxyUrl('http://[bad', 'HTTP_PROXY'), /the proxy from HTTP_PROXY is not a URL/)
  })
})

describe('proxyFor', () => {
  const env = { https: 'http://proxy:3128/', http: 'http://proxy:3128/' }
  const via = (url: string, noProxy?: string) => proxyFor(new URL(url), undefined, { ...env, ...(noProxy !== undefined && { noProxy }) })

  test('loopback hosts never use the environment proxy; an explicit proxy is used for them all the same', () => {
    for (const url of ['http://localhost:5000', 'https://127.0.0.1:5000', 'http://127.9.9.9', 'https://[::1]:5000'])
      assert.equal(via(url), undefined, url)
    assert.equal(proxyFor(new URL('http://127.0.0.1:5000'), 'http://explicit:1/', env), 'http://explicit:1/')
    assert.equal(proxyFor(new URL('https://registry.example.com'), false, env), undefined)
  })

  const cases: Array<[noProxy: string, url: string, proxied: boolean]> = [
    ['*', 'https://registry.example.com', false],
    ['example.com', 'https://example.com', false],
    ['example.com', 'https://registry.example.com', false],
    ['example.com', 'https://notexample.com', true],
    ['.example.com', 'https://example.com', true],
    ['.example.com', 'https://registry.example.com', false],
    ['*.example.com', 'https://registry.example.com', false],
    ['*.example.com', 'https://example.com', true],
    ['registry.example.com:5000', 'https://registry.example.com:5000', false],
    ['registry.example.com:5000', 'https://registry.example.com', true],
    ['example.com:443', 'https://registry.example.com', false],
    ['10.0.0.0/8', 'http://10.1.2.3:5000', false],
    ['10.0.0.0/8', 'http://11.1.2.3:5000', true],
    ['192.168.1.10', 'http://192.168.1.10:5000', false],
    ['192.168.1.10:80', 'http://192.168.1.10:5000', true],
    ['2001:db8::/32', 'https://[2001:db8::1]', false],
    ['[2001:db8::1]:443', 'https://[2001:db8::1]', false],
    [' other.example , Registry.Example.com ', 'https://registry.example.com', false],
  ]
  for (const [noProxy, url, proxied] of cases) {
    test(`NO_PROXY=${JSON.stringify(noProxy)}: ${url} ${proxied ? 'goes through the proxy' : 'is reached directly'}`, () => {
      assert.equal(via(url, noProxy), proxied ? 'http://proxy:3128/' : undefined)
      assert.equal(
        bypassesProxy(
          new URL(url).hostname.replace(/^\[|\]$/g, ''),
          new URL(url).port || (url.startsWith('https') ? '443' : '80'),
          noProxy,
        ),
        !proxied,
      )
    })
  }
})

describe('redactUrl', () => {
  test('user name and password become ***; a URL without them is unchanged', () => {
    assert.equal(redactUrl('http://alice:s3cret@proxy.corp:3128'), 'http://***@proxy.corp:3128')
    assert.equal(redactUrl('http://token@proxy.corp:3128/'), 'http://***@proxy.corp:3128')
    assert.equal(redactUrl('http://proxy.corp:3128/'), 'http://proxy.corp:3128')
  })
})
