/**
 * publishToMany from the package root: one bundle.json published to plain distribution and to two
 * emulated registries (Quay, GitHub Packages 2020) in one call, each getting the representation it
 * takes; the note says the digests differ and why. A destination that fails (a file name, not a
 * repository) is in the result with its error, and the others are completed.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { publishToMany, UsageError, type OperationOptions } from '../../src/index.js'
import { startQuirkProxy, type QuirkProxy } from '../helpers/registry/quirk-proxy.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

let dir: TempDir
let reg: RunningRegistry
let quay: QuirkProxy
let github: QuirkProxy
let options: OperationOptions & { reportCache: false; images: string; autoUpdate: true }

before(async () => {
  dir = await makeTempDir('publish-many-')
  ;[reg] = await Promise.all([startRegistry('plain'), makeExampleImages(join(dir.path, 'images'))])
  ;[quay, github] = await Promise.all([startQuirkProxy(reg, 'quay'), startQuirkProxy(reg, 'github-packages-2020')])
  options = { env: { HOME: join(dir.path, 'home') }, reportCache: false, images: join(dir.path, 'images'), autoUpdate: true }
})
after(async () => {
  await Promise.all([quay?.stop(), github?.stop()])
  await reg?.stop()
  await dir?.cleanup()
})

describe('publishToMany', () => {
  test('a bundle.json to plain distribution, Quay and GitHub Packages 2020: each its representation, the note says why the digests differ', async () => {
    const destinations = [`${reg.host}/lib/plain`, `${quay.host}/lib/quay`, `${github.host}/lib/github`]
    const result = await publishToMany('bundles/hello-world/bundle.json', destinations, options)
    assert.equal(result.failed, 0)
    const [plain, onQuay, onGithub] = result.destinations.map((d) => (d.status === 'published' ? d.outcome : assert.fail(d.message)))
    for (const o of [plain!, onQuay!, onGithub!]) assert.equal(o.kind, 'built')
    const built = (o: typeof plain) => (o!.kind === 'built' ? o! : assert.fail('not built'))
    assert.deepEqual(built(plain).representation, { index: 'oci-index', config: 'cnab-config', shape: 'portable' })
    assert.equal(built(onQuay).representation.config, 'oci-image-config')
    assert.equal(built(onGithub).manifestRefs, 'deterministic-tag')
    assert.equal(onGithub!.digest, plain!.digest, 'GitHub Packages takes the same bytes, under tags too')
    assert.notEqual(onQuay!.digest, plain!.digest)
    assert.equal(result.digestsAgree, false)
    assert.match(result.note, new RegExp(`${onQuay!.digest} at ${destinations[1]} \\(oci-index \\+ oci-image-config \\(portable\\)\\)`))
  })

  test('a destination that cannot be published to is reported with its error; the others are completed', async () => {
    const result = await publishToMany(
      'bundles/hello-world/bundle.json',
      [`${reg.host}/lib/ok`, `${reg.host}/lib/bad@sha256:${'0'.repeat(64)}`],
      options,
    )
    assert.equal(result.failed, 1)
    assert.equal(result.destinations[0]!.status, 'published')
    const failed = result.destinations[1]!
    assert.ok(failed.status === 'failed')
    assert.ok(failed.error instanceof UsageError)
    assert.equal(failed.code, 'ERR_USAGE')
    assert.match(failed.message, /published under a tag, not a digest/)
  })

  test('no destination is a usage error', async () => {
    await assert.rejects(publishToMany('bundles/hello-world/bundle.json', [], options), UsageError)
  })
})
