/**
 * Where fixup reads images: the registries the references name (mounting blobs when the
 * bundle goes to the same registry), a layout by the thick-bundle convention, and a layout in
 * front of the network that wins when it has the image.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  chainImageSources,
  fixupBundle,
  FixupError,
  layoutImageSource,
  registryImageSource,
  type FixupEvent,
} from '../../src/publish/index.js'
import { MemoryStore } from '../../src/content/memory-store.js'
import { copy } from '../../src/copy/index.js'
import { NotFoundError } from '../../src/errors.js'
import { OciLayoutStore } from '../../src/layout/layout-store.js'
import type { Descriptor } from '../../src/oci/descriptor.js'
import { RegistryClient } from '../../src/registry/http/client.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'
import { API, exampleBundle, exampleImages, fastRetry, INSTALLER, pushRepository } from './helpers.js'

let dir: TempDir
let reg: RunningRegistry
let client: RegistryClient
let layout: OciLayoutStore
let made: Map<string, Descriptor>
/** The installer image as a registry reference. */
let upstream: string

before(async () => {
  dir = await makeTempDir('publish-source-')
  ;[reg, { store: layout, images: made }] = await Promise.all([startRegistry('plain'), exampleImages(join(dir.path, 'images'))])
  client = new RegistryClient({ retry: fastRetry() })
  upstream = `${reg.host}/upstream/installer:1.0.0`
  await copy(layout, INSTALLER, pushRepository(reg.host, 'upstream/installer', client), '1.0.0')
})
after(async () => {
  await client?.close()
  await reg?.stop()
  await dir?.cleanup()
})

/** The hello-world bundle with its invocation image at `ref`. */
async function helloAt(ref: string): Promise<Record<string, unknown>> {
  const hello = await exampleBundle('hello-world')
  return { ...hello, invocationImages: [{ imageType: 'oci', image: ref }] }
}

describe('image sources', () => {
  test('from the registry a reference names; within the same registry the blobs are mounted, not uploaded', async () => {
    const events: FixupEvent[] = []
    const target = pushRepository(reg.host, 'hello/mounted', client)
    const result = await fixupBundle(
      await helloAt(upstream),
      { target },
      { source: registryImageSource(client), autoUpdate: true, onImage: (e) => events.push(e) },
    )
    assert.equal(result.images.get(upstream)!.digest, made.get(INSTALLER)!.digest)
    assert.deepEqual(result.relocationMap, { [upstream]: `${reg.host}/hello/mounted@${made.get(INSTALLER)!.digest}` })
    const copied = events.find((e) => e.type === 'copied')
    assert.ok(copied?.type === 'copied' && copied.stats.mounted > 0 && copied.stats.bytesCopied < 1000, JSON.stringify(copied))
    assert.deepEqual(
      events.map((e) => e.type),
      ['resolved', 'copied'],
    )
    const resolved = events[0]
    assert.equal(resolved?.type === 'resolved' && resolved.origin, `${reg.host}/upstream/installer`)
  })

  test('a layout in front of the registry wins for the references it holds', async () => {
    const overrides = await OciLayoutStore.open(join(dir.path, 'overrides'), { create: true })
    await copy(layout, API, overrides, upstream)
    const source = chainImageSources(layoutImageSource(overrides), registryImageSource(client))
    const result = await fixupBundle(await helloAt(upstream), { target: new MemoryStore() }, { source, autoUpdate: true })
    assert.equal(result.images.get(upstream)!.digest, made.get(API)!.digest)
  })

  test('a layout without the reference passes it on to the registry', async () => {
    const empty = await OciLayoutStore.open(join(dir.path, 'empty'), { create: true })
    const source = chainImageSources(layoutImageSource(empty), registryImageSource(client))
    const result = await fixupBundle(await helloAt(upstream), { target: new MemoryStore() }, { source, autoUpdate: true })
    assert.equal(result.images.get(upstream)!.digest, made.get(INSTALLER)!.digest)
  })

  test('a reference no source has fails naming the image and where it was looked for', async () => {
    const err = await fixupBundle(
      await helloAt('example.com/nowhere:1'),
      { target: new MemoryStore() },
      { source: layoutImageSource(layout), autoUpdate: true },
    ).catch((e: unknown) => e)
    assert.ok(err instanceof FixupError, String(err))
    assert.ok(err.cause instanceof NotFoundError)
    assert.match(
      err.message,
      /image "example\.com\/nowhere:1" \(\/invocationImages\/0\): image "example\.com\/nowhere:1" is not in layout .*images: no index\.json entry has org\.opencontainers\.image\.ref\.name "example\.com\/nowhere:1"/,
    )
  })
})
