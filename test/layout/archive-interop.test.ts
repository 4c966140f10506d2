/**
 * `ociarchive://` is skopeo's `oci-archive:` (containers/image oci/archive: an uncompressed tar of
 * an OCI layout). Both directions, against the real distribution registry, with a multi-platform
 * image: skopeo pushes an archive we wrote, and we read one skopeo wrote; every digest is the
 * same on both sides. skopeo is required (scripts/install-system-deps.sh): a missing tool fails
 * the test rather than skipping it.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { fetchAll } from '../../src/content/verify.js'
import { OciArchiveStore } from '../../src/layout/archive-store.js'
import type { Descriptor } from '../../src/oci/descriptor.js'
import { digestOf } from '../../src/oci/digest.js'
import { parseManifest, successors } from '../../src/oci/manifest.js'
import { isManifest } from '../../src/oci/media-types.js'
import { copyReference } from '../../src/publish/copy-reference.js'
import { resolveReference } from '../../src/publish/read-content.js'
import { runSkopeo } from '../helpers/registry/skopeo.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const WEB = 'example.com/ocibundle/shop-web:2.3.1'

let dir: TempDir
let registry: RunningRegistry
let web: Descriptor
before(async () => {
  dir = await makeTempDir('ocibundle-archive-interop-')
  registry = await startRegistry('plain')
  web = (await makeExampleImages(join(dir.path, 'images'))).get(WEB)!
})
after(async () => {
  await registry?.stop()
  await dir?.cleanup()
})

/** Every digest of an image graph in an archive, each one read and verified through OciArchiveStore. */
async function graphDigests(store: OciArchiveStore, root: Descriptor): Promise<string[]> {
  const out: string[] = [root.digest]
  for (const child of successors(parseManifest(await fetchAll(store, root), root.mediaType))) {
    if (isManifest(child.mediaType)) out.push(...(await graphDigests(store, child)))
    else out.push((await fetchAll(store, child)) && child.digest)
  }
  return out.sort()
}

test('skopeo pushes an ociarchive:// we wrote, and we read the oci-archive skopeo wrote back: the same digests on both sides', async () => {
  const home = join(dir.path, 'skopeo-home')
  const ours = join(dir.path, 'ours.tar')
  await copyReference(`ocidir://${join(dir.path, 'images')}@${web.digest}`, `ociarchive://${ours}:web`)

  const target = `docker://${registry.host}/interop/web:v1`
  await runSkopeo(['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', `oci-archive:${ours}:web`, target], home)
  const { stdout: raw } = await runSkopeo(['inspect', '--raw', '--tls-verify=false', target], home)
  assert.equal(digestOf(raw), web.digest, 'skopeo pushed our index byte for byte')
  assert.equal((await resolveReference(`${registry.host}/interop/web:v1`)).digest, web.digest)

  const theirs = join(dir.path, 'theirs.tar')
  await runSkopeo(['copy', '--all', '--preserve-digests', '--src-tls-verify=false', target, `oci-archive:${theirs}:web`], home)
  const root = await resolveReference(`ociarchive://${theirs}:web`)
  assert.equal(root.digest, web.digest)
  const theirStore = await OciArchiveStore.open(theirs)
  const ourStore = await OciArchiveStore.open(ours)
  assert.deepEqual(await graphDigests(theirStore, root), await graphDigests(ourStore, root))

  // Through skopeo's archive into a layout: verified on the way, same digest.
  const copied = await copyReference(`ociarchive://${theirs}:web`, `ocidir://${join(dir.path, 'from-skopeo')}:web`)
  assert.equal(copied.descriptor.digest, web.digest)
  assert.equal(copied.stats.copied, (await graphDigests(ourStore, root)).length)
})
