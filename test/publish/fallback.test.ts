/**
 * Fallbacks while publishing, through a fault-injecting proxy in front of the real registry: a
 * refusal of the representation (400 MANIFEST_INVALID) moves on to the next one and is
 * recorded; credentials, a missing repository or a server failure are reported as they are and
 * never set off a fallback (the proxy's request log shows what was sent).
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, afterEach, before, describe, test } from 'node:test'
import { fixupBundle, layoutImageSource, PublishError, publishBundle, pullBundle, RepositoryMissingError } from '../../src/publish/index.js'
import type { OciLayoutStore } from '../../src/layout/layout-store.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { RegistryClient } from '../../src/registry/http/client.js'
import type { RegistryRepository } from '../../src/registry/repository.js'
import { startFaultProxy, type FaultProxy, type FaultRequest } from '../helpers/registry/fault-proxy.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'
import { exampleBundle, exampleImages, fastRetry, pushRepository } from './helpers.js'

let dir: TempDir
let reg: RunningRegistry
let proxy: FaultProxy
let client: RegistryClient
let target: RegistryRepository
/** The hello-world bundle, fixed up into `target` (through the proxy). */
let bundle: unknown

/** A manifest PUT sent with `mediaType` as Content-Type. */
const manifestPut = (mediaType: string) => (req: FaultRequest) =>
  req.method === 'PUT' && req.path.includes('/manifests/') && req.headers['content-type'] === mediaType
const refusal = (status: number, code: string) => ({ status, body: { errors: [{ code, message: `injected ${code}` }] } })
/** Content-Types of the manifest PUTs the proxy received since `from`. */
const putTypes = (from: number): string[] =>
  proxy.requests
    .slice(from)
    .filter((r) => r.method === 'PUT' && r.path.includes('/manifests/'))
    .map((r) => String(r.requestHeaders['content-type']))

before(async () => {
  dir = await makeTempDir('publish-fallback-')
  let images: OciLayoutStore
  ;[reg, { store: images }] = await Promise.all([startRegistry('plain'), exampleImages(join(dir.path, 'images'))])
  proxy = await startFaultProxy(reg)
  client = new RegistryClient({ retry: fastRetry() })
  target = pushRepository(proxy.host, 'hello/bundle', client)
  bundle = (await fixupBundle(await exampleBundle('hello-world'), { target }, { source: layoutImageSource(images), autoUpdate: true }))
    .bundle
})
afterEach(() => proxy.clearFaults())
after(async () => {
  await client?.close()
  await proxy?.stop()
  await reg?.stop()
  await dir?.cleanup()
})

describe('publish fallbacks', () => {
  test('400 MANIFEST_INVALID on the OCI index: published as a Docker manifest list, both attempts recorded', async () => {
    proxy.addFault({ match: manifestPut(MediaTypes.OciIndex), action: refusal(400, 'MANIFEST_INVALID') })
    const from = proxy.requests.length
    const result = await publishBundle(bundle, { target, reference: 'index-fallback' })
    assert.equal(result.representation.index, 'docker-manifest-list')
    assert.deepEqual(
      result.attempts.map((a) => [a.step, a.id, a.classification?.fallback]),
      [
        ['manifest-refs', 'digest', undefined],
        ['config', 'cnab-config', undefined],
        ['index', 'oci-index', true],
        ['index', 'docker-manifest-list', undefined],
      ],
    )
    assert.match(result.attempts[2]!.error!, /400: MANIFEST_INVALID: injected MANIFEST_INVALID/)
    assert.deepEqual(putTypes(from), [MediaTypes.OciManifest, MediaTypes.OciIndex, MediaTypes.DockerManifestList])
    const pulled = await pullBundle(target, 'index-fallback')
    assert.equal(pulled.digest, result.digest)
    assert.equal(pulled.representation.index, 'docker-manifest-list')
  })

  test('400 MANIFEST_INVALID on the first config manifest: the OCI image config variant is pushed instead', async () => {
    proxy.addFault({ match: manifestPut(MediaTypes.OciManifest), action: refusal(400, 'MANIFEST_INVALID') })
    const result = await publishBundle(bundle, { target, reference: 'config-fallback' })
    assert.equal(result.representation.config, 'oci-image-config')
    assert.deepEqual(
      result.attempts.filter((a) => a.step === 'config').map((a) => [a.id, a.classification?.fallback]),
      [
        ['cnab-config', true],
        ['oci-image-config', undefined],
      ],
    )
    const pulled = await pullBundle(target, 'config-fallback')
    assert.equal(pulled.representation.config, MediaTypes.OciConfig)
  })

  for (const [name, action, reason] of [
    ['401 UNAUTHORIZED', refusal(401, 'UNAUTHORIZED'), 'auth'],
    ['404 NAME_UNKNOWN', refusal(404, 'NAME_UNKNOWN'), 'repository-missing'],
    ['500 UNKNOWN', refusal(500, 'UNKNOWN'), 'server'],
  ] as const) {
    test(`${name} on the OCI index is no fallback: the error surfaces and no Docker manifest list is sent`, async () => {
      proxy.addFault({ match: manifestPut(MediaTypes.OciIndex), times: Infinity, action })
      const from = proxy.requests.length
      const thrown = await publishBundle(bundle, { target, reference: 'no-fallback' }).catch((e: unknown) => e)
      // A missing repository is said as such (ECR-1); the PublishError with the attempts is its cause.
      if (reason === 'repository-missing') {
        assert.ok(thrown instanceof RepositoryMissingError, String(thrown))
        assert.equal(
          thrown.message,
          `the repository hello/bundle does not exist on ${proxy.host}; create it first (ECR does not create repositories on push)`,
        )
      }
      const err = thrown instanceof RepositoryMissingError ? thrown.cause : thrown
      assert.ok(err instanceof PublishError, String(err))
      assert.equal(err.step, 'index')
      const last = err.attempts.at(-1)!
      assert.deepEqual([last.id, last.classification?.fallback, last.classification?.reason], ['oci-index', false, reason])
      assert.ok(!putTypes(from).includes(MediaTypes.DockerManifestList), `sent: ${putTypes(from).join(', ')}`)
      assert.ok(putTypes(from).includes(MediaTypes.OciIndex))
    })
  }

  test('with fallbacks off, a fallbackable refusal surfaces as it is', async () => {
    proxy.addFault({ match: manifestPut(MediaTypes.OciIndex), action: refusal(400, 'MANIFEST_INVALID') })
    const from = proxy.requests.length
    const err = await publishBundle(bundle, { target, reference: 'no-fallback' }, { allowFallback: false }).catch((e: unknown) => e)
    assert.ok(err instanceof PublishError, String(err))
    assert.match(err.message, /^pushing the bundle index failed: PUT .* answered 400: MANIFEST_INVALID/)
    assert.ok(!putTypes(from).includes(MediaTypes.DockerManifestList))
  })
})
