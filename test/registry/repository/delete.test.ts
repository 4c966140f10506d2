/**
 * Deleting on a real registry: manifests and blobs by digest, and tags. Distribution 2.8 refuses
 * DELETE by tag (400 DIGEST_INVALID: its DeleteManifest takes digests only,
 * https://github.com/distribution/distribution/blob/v2.8.2/registry/handlers/manifests.go), so
 * untag takes the regctl route there for real: the tag moves to a throwaway manifest, which is
 * deleted by digest.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { InvalidReferenceError, NotFoundError, OcibundleError } from '../../../src/errors.js'
import { descriptorFromBytes } from '../../../src/oci/descriptor.js'
import { MediaTypes } from '../../../src/oci/media-types.js'
import { image, readAll } from '../../helpers/content.js'
import { matchRequest } from '../../helpers/registry/fault-proxy.js'
import { freshRepository, logged, proxiedImage, useRegistry } from './helpers.js'

const env = useRegistry()

async function collect(tags: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = []
  for await (const t of tags) out.push(t)
  return out
}

describe('RegistryRepository: delete and untag', () => {
  test('delete removes a manifest (with its tags) and a blob by digest; deleting again throws NotFoundError', async () => {
    const { name, img, repo } = await proxiedImage(env, 'delete', 'deleted', 'v1')
    const records = await logged(env.proxy, async () => {
      await repo.delete(img.manifest.desc)
      await repo.delete(img.layer.desc)
    })
    assert.deepEqual(
      records.filter((r) => r.method === 'DELETE').map((r) => `${r.path} ${r.status}`),
      [`/v2/${name}/manifests/${img.manifest.desc.digest} 202`, `/v2/${name}/blobs/${img.layer.desc.digest} 202`],
    )
    assert.equal(await repo.exists(img.manifest.desc), false)
    assert.equal(await repo.exists(img.layer.desc), false)
    await assert.rejects(repo.resolve('v1'), NotFoundError)
    await assert.rejects(repo.delete(img.manifest.desc), NotFoundError)
    await assert.rejects(repo.delete(img.layer.desc), NotFoundError)
  })

  test('untag on distribution 2.8: DELETE by tag is refused, so the tag moves to a throwaway manifest deleted by digest', async () => {
    const { name, img, repo } = await proxiedImage(env, 'delete', 'untagged', 'v1')
    await repo.tag(img.manifest.desc, 'v2')
    const emptyConfig = descriptorFromBytes(MediaTypes.OciEmpty, '{}')
    const records = await logged(env.proxy, () => repo.untag('v1'))
    const lines = records.map((r) => `${r.method} ${r.path.replace(/\?.*$/, '').replace(/uploads\/.+$/, 'uploads/…')} ${r.status}`)
    const throwaway = records.find((r) => r.method === 'PUT' && r.path === `/v2/${name}/manifests/v1`)
    const throwawayDigest = String(throwaway?.responseHeaders['docker-content-digest'])
    assert.deepEqual(lines, [
      `DELETE /v2/${name}/manifests/v1 400`,
      `HEAD /v2/${name}/manifests/v1 200`,
      `HEAD /v2/${name}/blobs/${emptyConfig.digest} 404`,
      `POST /v2/${name}/blobs/uploads/ 202`,
      `PUT /v2/${name}/blobs/uploads/… 201`,
      `PUT /v2/${name}/manifests/v1 201`,
      `DELETE /v2/${name}/manifests/${throwawayDigest} 202`,
    ])
    assert.notEqual(throwawayDigest, img.manifest.desc.digest)
    await assert.rejects(repo.resolve('v1'), NotFoundError)
    assert.deepEqual(await collect(repo.listTags()), ['v2'])
    assert.deepEqual(await readAll(await repo.fetch(img.manifest.desc)), img.manifest.bytes, 'the manifest itself stays')
    assert.equal((await repo.resolve('v2')).digest, img.manifest.desc.digest)
  })

  test('untag is a single DELETE when the registry deletes by tag', async () => {
    const name = freshRepository('delete')
    env.proxy.addFault({ match: matchRequest('DELETE', `/v2/${name}/manifests/v1`), action: { status: 202, body: '' } })
    const records = await logged(env.proxy, () => env.proxied(name).untag('v1'))
    assert.deepEqual(
      records.map((r) => `${r.method} ${r.path} ${r.status}`),
      [`DELETE /v2/${name}/manifests/v1 202`],
    )
  })

  test('untag of an unknown tag throws NotFoundError; of a digest, InvalidReferenceError', async () => {
    const repo = env.proxied(freshRepository('delete'))
    await assert.rejects(repo.untag('nope'), NotFoundError)
    await assert.rejects(repo.untag(image('x').manifest.desc.digest), InvalidReferenceError)
  })

  test('when the throwaway manifest cannot be deleted either, the tag is put back where it was and untag throws', async () => {
    const { name, img, repo } = await proxiedImage(env, 'delete', 'delete disabled', 'v1')
    env.proxy.addFault({ match: matchRequest('DELETE', `/v2/${name}/manifests/sha256:`), action: { status: 405 } })
    await assert.rejects(
      repo.untag('v1'),
      (err: unknown) => err instanceof OcibundleError && /refuses to delete by tag and by digest$/.test(err.message),
    )
    assert.deepEqual(await repo.resolve('v1'), img.manifest.desc)
  })
})
