/**
 * parseWwwAuthenticate: RFC 7235 challenges as registries send them, and the malformed ones
 * parsing must survive.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseWwwAuthenticate, type AuthChallenge } from '../../../src/registry/auth/challenge.js'

const cases: Array<{ name: string; header: string; expected: AuthChallenge[] }> = [
  {
    name: 'Docker Hub bearer challenge',
    header: 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"',
    expected: [
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push' },
      },
    ],
  },
  {
    name: 'distribution htpasswd Basic challenge',
    header: 'Basic realm="ocibundle-test-registry"',
    expected: [{ scheme: 'basic', params: { realm: 'ocibundle-test-registry' } }],
  },
  {
    name: 'several challenges in one header',
    header: 'Basic realm="a", Bearer realm="https://b/token",service="b", Negotiate',
    expected: [
      { scheme: 'basic', params: { realm: 'a' } },
      { scheme: 'bearer', params: { realm: 'https://b/token', service: 'b' } },
      { scheme: 'negotiate', params: {} },
    ],
  },
  {
    name: 'scheme without parameters followed by another challenge',
    header: 'Basic, Bearer realm="r"',
    expected: [
      { scheme: 'basic', params: {} },
      { scheme: 'bearer', params: { realm: 'r' } },
    ],
  },
  {
    name: 'quoted commas and equals signs stay in the value',
    header: 'Bearer scope="repository:a:pull,push repository:b:pull",realm="https://x/t?a=b,c"',
    expected: [{ scheme: 'bearer', params: { scope: 'repository:a:pull,push repository:b:pull', realm: 'https://x/t?a=b,c' } }],
  },
  {
    name: 'quoted-pair escapes',
    header: 'Bearer realm="a\\"b\\\\c\\d"',
    expected: [{ scheme: 'bearer', params: { realm: 'a"b\\cd' } }],
  },
  {
    name: 'case-insensitive scheme and parameter names; whitespace around "="',
    header: 'BEARER Realm = "r" ,  SERVICE=s',
    expected: [{ scheme: 'bearer', params: { realm: 'r', service: 's' } }],
  },
  {
    name: 'unquoted URL value (lenient)',
    header: 'Bearer realm=https://auth.example/token,service=example',
    expected: [{ scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'example' } }],
  },
  {
    name: 'error hints after the scope',
    header: 'Bearer realm="r",service="s",scope="repository:a:push",error="insufficient_scope"',
    expected: [{ scheme: 'bearer', params: { realm: 'r', service: 's', scope: 'repository:a:push', error: 'insufficient_scope' } }],
  },
  {
    name: 'empty quoted value and duplicate parameter (first wins)',
    header: 'Bearer realm="", realm="second"',
    expected: [{ scheme: 'bearer', params: { realm: '' } }],
  },
  {
    name: 'token68',
    header: 'Negotiate YIIB4gYGKwYBBQUCoIIB1jCCAdKgDTAL==, Basic realm="x"',
    expected: [
      { scheme: 'negotiate', params: {}, token68: 'YIIB4gYGKwYBBQUCoIIB1jCCAdKgDTAL==' },
      { scheme: 'basic', params: { realm: 'x' } },
    ],
  },
  {
    name: 'unterminated quoted string runs to the end',
    header: 'Bearer realm="https://a/token',
    expected: [{ scheme: 'bearer', params: { realm: 'https://a/token' } }],
  },
  {
    name: 'garbage between challenges is skipped',
    header: '"junk", Basic realm="x"',
    expected: [{ scheme: 'basic', params: { realm: 'x' } }],
  },
  { name: 'empty header', header: '', expected: [] },
  { name: 'only separators', header: ' , ,', expected: [] },
]

describe('parseWwwAuthenticate', () => {
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(parseWwwAuthenticate(c.header), c.expected)
    })
  }
})
