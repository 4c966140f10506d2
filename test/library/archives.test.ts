/**
 * Air-gap archives as a program embedding the library sees them, imported from the package
 * name: archive() with progress, verify() of the file, publish() of the file into a registry,
 * and openTarget('ociarchive://…') written by close() and left untouched by discard().
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { archive, build, copy, OciArchiveStore, openTarget, publish, verify, type CopyProgress, type OperationOptions } from 'ocibundle'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

let dir: TempDir
let reg: RunningRegistry
let options: OperationOptions
before(async () => {
  dir = await makeTempDir('library-archives-')
  await makeExampleImages(join(dir.path, 'images'))
  reg = await startRegistry('plain')
  const home = join(dir.path, 'home')
  options = { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache') } }
})
after(async () => {
  await reg?.stop()
  await dir?.cleanup()
})

test('archive → verify → publish from the package root: progress reaches every blob’s size, the file verifies, the digest is kept', async () => {
  const built = await build('bundles/hello-world/bundle.json', `ocidir://${join(dir.path, 'built')}`, {
    images: `ocidir://${join(dir.path, 'images')}`,
    autoUpdate: true,
    ...options,
  })
  const file = join(dir.path, 'hello.tgz')
  const done = new Map<string, number>()
  const archived = await archive(built.reference, file, {
    ...options,
    onProgress: (p: CopyProgress) => done.set(p.descriptor.digest, p.bytes === p.total ? p.total : -1),
  })
  assert.equal(archived.digest, built.digest)
  assert.equal(archived.size, (await readFile(file)).length)
  assert.ok(done.size > 0 && [...done.values()].every((v) => v >= 0), 'every blob streamed to its end')

  const checked = await verify(file, options)
  assert.deepEqual([checked.status, checked.digest, checked.missing, checked.corrupt], ['complete', built.digest, [], []])

  const published = await publish(file, `${reg.host}/lib/hello`, options)
  assert.equal(published.kind, 'copied')
  assert.equal(published.digest, built.digest)
})

test("openTarget('ociarchive://…', { write: true }): close() writes the archive, discard() leaves the file and its directory as they were", async () => {
  const file = join(dir.path, 'images.tar')
  const images = await openTarget(`ocidir://${join(dir.path, 'images')}`, options)
  const root = await images.resolve('example.com/ocibundle/shop-api:2.3.1')

  const target = await openTarget(`ociarchive://${file}`, { ...options, write: true })
  await copy(images, root.digest, target, 'api')
  await target.close()
  const written = await readFile(file)
  const read = await openTarget(`ociarchive://${file}`, options)
  assert.deepEqual(await read.resolve('api'), root)
  await read.close()

  const again = (await openTarget(`ociarchive://${file}`, { ...options, write: true })) as OciArchiveStore
  await copy(images, (await images.resolve('example.com/ocibundle/shop-db:15')).digest, again, 'db')
  await again.discard()
  assert.deepEqual(await readFile(file), written)
  assert.deepEqual(
    (await readdir(dir.path)).filter((n) => n.includes('images.tar')),
    ['images.tar'],
  )
})
