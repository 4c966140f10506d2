/**
 * Interoperability with skopeo (containers/image), a third-party client: an image skopeo pushes
 * from a hand-written OCI layout is resolved, fetched and verified by RegistryRepository, copied
 * node by node into an OciLayoutStore, pushed from there to another repository, and skopeo reads
 * back the identical manifest bytes and digest. skopeo is required (scripts/install-system-deps.sh):
 * a missing tool fails the test rather than skipping it.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { fetchAll } from '../../../src/content/verify.js'
import { OciLayoutStore } from '../../../src/layout/layout-store.js'
import { digestOf } from '../../../src/oci/digest.js'
import { parseManifest, successors } from '../../../src/oci/manifest.js'
import { MediaTypes } from '../../../src/oci/media-types.js'
import { readAll } from '../../helpers/content.js'
import { runSkopeo, writeTinyOciLayout } from '../../helpers/registry/skopeo.js'
import { tarOf } from '../../helpers/tar.js'
import { makeTempDir, type TempDir } from '../../helpers/tmp.js'
import { freshRepository, useRegistry } from './helpers.js'

const env = useRegistry()

describe('RegistryRepository: interoperability with skopeo', () => {
  let dir: TempDir
  beforeEach(async () => {
    dir = await makeTempDir('ocibundle-skopeo-')
  })
  afterEach(async () => {
    await dir.cleanup()
  })

  test('an image pushed by skopeo resolves and verifies, copies through a layout to another repository, and skopeo reads back identical bytes', async () => {
    const home = join(dir.path, 'skopeo-home')
    const layout = await writeTinyOciLayout(join(dir.path, 'source'), tarOf({ 'hello.txt': 'hello from skopeo\n' }))
    const source = freshRepository('skopeo')
    const target = freshRepository('skopeo')
    const host = env.registry.host
    await runSkopeo(
      ['copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${layout.dir}:${layout.tag}`, `docker://${host}/${source}:t`],
      home,
    )

    // Pull with RegistryRepository: every node verified against its descriptor.
    const from = env.direct(source)
    const root = await from.resolve('t')
    assert.deepEqual(root, { mediaType: MediaTypes.OciManifest, digest: layout.manifestDigest, size: layout.manifest.length })
    const manifestBytes = await fetchAll(from, root)
    assert.deepEqual(manifestBytes, layout.manifest)
    const children = successors(parseManifest(manifestBytes, root.mediaType))
    assert.deepEqual(
      children.map((d) => d.digest),
      [digestOf(layout.config), digestOf(layout.layer)],
    )
    assert.deepEqual(await fetchAll(from, children[0]!), layout.config)
    assert.deepEqual(await readAll(await from.fetch(children[1]!)), layout.layer)

    // Into an OCI layout, node by node (children first), then out to another repository.
    const store = await OciLayoutStore.open(join(dir.path, 'copy'), { create: true })
    for (const d of [...children, root]) await store.push(d, await from.fetch(d))
    await store.tag(root, 't')
    const to = env.direct(target)
    for (const d of children) await to.push(d, await store.fetch(d))
    await to.pushReference(root, await store.fetch(root), 't')

    const { stdout } = await runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${host}/${target}:t`], home)
    assert.equal(stdout, layout.manifest.toString('utf8'))
    assert.equal(digestOf(stdout), layout.manifestDigest)
    const inspected = JSON.parse((await runSkopeo(['inspect', '--tls-verify=false', `docker://${host}/${target}:t`], home)).stdout) as {
      Digest: string
      Layers: string[]
    }
    assert.equal(inspected.Digest, layout.manifestDigest)
    assert.deepEqual(inspected.Layers, [digestOf(layout.layer)])
  })
})
