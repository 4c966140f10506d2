/**
 * Registries that require client certificates (mutual TLS): distribution with
 * `http.tls.clientcas` (test/helpers/registry/server.ts, variant `mtls`) accepts a connection only
 * with a certificate its client CA signed. The certificate comes from --cert-file/--key-file or
 * from the host configuration file, and is checked before any connection.
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { runCli } from '../helpers/cli.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const WEB = 'example.com/ocibundle/shop-web:2.3.1'

let dir: TempDir
let images: string
let webDigest: string
let reg: RunningRegistry

before(async () => {
  dir = await makeTempDir('mtls-cli-')
  images = join(dir.path, 'images')
  ;[webDigest, reg] = await Promise.all([makeExampleImages(images).then((m) => m.get(WEB)!.digest), startRegistry('mtls')])
})
after(async () => {
  await reg.stop()
  await dir.cleanup()
})

const env = (extra: NodeJS.ProcessEnv = {}) => ({
  DOCKER_CONFIG: join(dir.path, 'docker'),
  XDG_CONFIG_HOME: join(dir.path, 'xdg'),
  ...extra,
})

describe('a registry that requires client certificates', () => {
  test('--cert-file and --key-file: copy and resolve work, digests unchanged', async () => {
    const tlsFlags = ['--ca-file', reg.caFile!, '--cert-file', reg.clientCertFile!, '--key-file', reg.clientKeyFile!]
    const copy = await runCli(['copy', ...tlsFlags, `${images}@${webDigest}`, `${reg.host}/shop/web:1`], { env: env() })
    assert.equal(copy.code, 0, copy.stderr)
    const resolved = await runCli(['resolve', ...tlsFlags, `${reg.host}/shop/web:1`], { env: env() })
    assert.equal(resolved.stdout.trim(), webDigest)
  })

  test('without a certificate the connection is refused, and the message says a client certificate may be needed', async () => {
    const r = await runCli(['resolve', '--ca-file', reg.caFile!, `${reg.host}/shop/web:1`], { env: env() })
    assert.equal(r.code, 1)
    assert.match(r.stderr, /if the registry requires a client certificate \(mutual TLS\), give it with --cert-file and --key-file/)
  })

  test('certFile and keyFile of the host configuration file; a key in the certificate file needs no keyFile', async () => {
    const file = join(dir.path, 'hosts.json')
    await writeFile(
      file,
      JSON.stringify({ hosts: { [reg.host]: { caFile: reg.caFile, certFile: reg.clientCertFile, keyFile: reg.clientKeyFile } } }),
    )
    const fromFile = await runCli(['resolve', `${reg.host}/shop/web:1`], { env: env({ OCIBUNDLE_CONFIG: file }) })
    assert.equal(fromFile.stdout.trim(), webDigest, fromFile.stderr)
    const both = join(dir.path, 'client-with-key.pem')
    await writeFile(both, (await readFile(reg.clientCertFile!, 'utf8')) + (await readFile(reg.clientKeyFile!, 'utf8')))
    const oneFile = await runCli(['resolve', '--ca-file', reg.caFile!, '--cert-file', both, `${reg.host}/shop/web:1`], { env: env() })
    assert.equal(oneFile.stdout.trim(), webDigest, oneFile.stderr)
  })

  test('a wrong key, a missing file or a certificate without key is reported by name before any connection', async () => {
    const wrongKey = await runCli(
      ['resolve', '--ca-file', reg.caFile!, '--cert-file', reg.clientCertFile!, '--key-file', reg.caFile!, `${reg.host}/shop/web:1`],
      { env: env() },
    )
    assert.equal(wrongKey.code, 3)
    assert.match(wrongKey.stderr, /the client key .*ca\.pem \(from --key-file\) is not an unencrypted PEM private key/)
    const missing = await runCli(['resolve', '--cert-file', join(dir.path, 'nope.pem'), `${reg.host}/shop/web:1`], { env: env() })
    assert.equal(missing.code, 6)
    assert.match(missing.stderr, /the client certificate .*nope\.pem \(from --cert-file\) cannot be read: .*does not exist \(ENOENT\)/)
    const noKey = await runCli(['resolve', '--ca-file', reg.caFile!, '--cert-file', reg.clientCertFile!, `${reg.host}/shop/web:1`], {
      env: env(),
    })
    assert.equal(noKey.code, 3)
    assert.match(noKey.stderr, /needs its private key/)
    const otherKey = join(dir.path, 'other.key')
    const { generateKeyPairSync } = await import('node:crypto')
    await writeFile(otherKey, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }))
    const mismatch = await runCli(
      ['resolve', '--ca-file', reg.caFile!, '--cert-file', reg.clientCertFile!, '--key-file', otherKey, `${reg.host}/shop/web:1`],
      { env: env() },
    )
    assert.equal(mismatch.code, 3)
    assert.match(mismatch.stderr, /does not belong to the certificate/)
  })
})
