/**
 * The artifact entry points as a program imports them from the package root: push files into
 * an OCI layout, attach an SBOM to the artifact, list its referrers and pull it back,
 * byte-identical. No registry: the layout lists referrers through its own graph.
 */
import assert from 'node:assert/strict'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { attach, listReferrers, pullArtifact, pushArtifact } from 'ocibundle'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

let dir: TempDir | undefined
after(() => dir?.cleanup())

test('pushArtifact → attach → listReferrers → pullArtifact, through the package root', async () => {
  dir = await makeTempDir('library-artifacts-')
  const src = join(dir.path, 'src')
  await mkdir(join(src, 'config'), { recursive: true })
  await writeFile(join(src, 'app.wasm'), Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]))
  await writeFile(join(src, 'config', 'settings.yaml'), 'replicas: 3\n')
  await writeFile(join(dir.path, 'sbom.json'), '{"spdxVersion":"SPDX-2.3"}')
  const layout = `ocidir://${join(dir.path, 'layout')}`

  const pushed = await pushArtifact(`${layout}:v1`, [`${join(src, 'app.wasm')}:application/wasm`, join(src, 'config')], {
    artifactType: 'application/vnd.example.module.v1',
  })
  assert.equal(pushed.form, 'artifact-type')
  assert.deepEqual(
    pushed.layers.map((l) => [l.title, l.descriptor.mediaType, l.directory]),
    [
      ['app.wasm', 'application/wasm', false],
      ['config', 'application/vnd.oci.image.layer.v1.tar+gzip', true],
    ],
  )
  const sbom = await attach(`${layout}:v1`, [join(dir.path, 'sbom.json')], { artifactType: 'application/spdx+json' })
  assert.equal(sbom.recordedBy, 'layout')
  assert.equal(sbom.subject.digest, pushed.descriptor.digest)

  const tree = await listReferrers(`${layout}:v1`)
  assert.deepEqual(
    tree.referrers.map((r) => [r.digest, r.artifactType]),
    [[sbom.descriptor.digest, 'application/spdx+json']],
  )

  const out = join(dir.path, 'out')
  const pulled = await pullArtifact(`${layout}:v1`, out)
  assert.equal(pulled.artifactType, 'application/vnd.example.module.v1')
  assert.deepEqual(await readFile(join(out, 'app.wasm')), await readFile(join(src, 'app.wasm')))
  assert.equal(await readFile(join(out, 'config', 'settings.yaml'), 'utf8'), 'replicas: 3\n')
})
