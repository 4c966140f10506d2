/**
 * Publish and pull round trips against registries that need credentials (htpasswd Basic, and
 * the token flow), with Docker's config file in a temp directory written by saveCredentials and
 * the client built by createRegistryClient, as the commands do.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { canonicalBytes } from '../../src/cnab/canonical.js'
import { fixupBundle, layoutImageSource, publishBundle, pullBundle } from '../../src/publish/index.js'
import type { OciLayoutStore } from '../../src/layout/layout-store.js'
import { createRegistryClient } from '../../src/registry/config/create-registry-client.js'
import { saveCredentials } from '../../src/registry/credentials/save-credentials.js'
import type { RegistryClient } from '../../src/registry/http/client.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'
import { exampleBundle, exampleImages, fastRetry, pushRepository, SHOP_IMAGES } from './helpers.js'

let dir: TempDir
let images: OciLayoutStore
let shop: Record<string, unknown>
const registries: RunningRegistry[] = []
const clients: RegistryClient[] = []

before(async () => {
  dir = await makeTempDir('publish-auth-')
  ;[{ store: images }, shop] = await Promise.all([exampleImages(join(dir.path, 'images')), exampleBundle('shop')])
})
after(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await Promise.all(registries.map((r) => r.stop()))
  await dir?.cleanup()
})

for (const variant of ['basic', 'token'] as const) {
  test(`${variant} auth: fixup, publish and pull with credentials saved in a Docker config file`, async () => {
    const reg = await startRegistry(variant)
    registries.push(reg)
    const env = {
      DOCKER_CONFIG: join(dir.path, `docker-${variant}`),
      HOME: join(dir.path, `home-${variant}`),
      XDG_CONFIG_HOME: join(dir.path, `xdg-${variant}`),
    }
    await saveCredentials(reg.host, { username: reg.username!, password: reg.password! }, { env })
    const client = await createRegistryClient({ env, retry: fastRetry() })
    clients.push(client)
    const target = pushRepository(reg.host, 'shop/bundle', client)

    const fixed = await fixupBundle(shop, { target }, { source: layoutImageSource(images), autoUpdate: true })
    const published = await publishBundle(fixed.bundle, { target })
    const pulled = await pullBundle(pushRepository(reg.host, 'shop/bundle', client), published.tag)
    assert.equal(pulled.digest, published.digest)
    assert.deepEqual(pulled.bundleBytes, canonicalBytes(fixed.bundle))
    assert.deepEqual(Object.keys(pulled.relocationMap!), [...SHOP_IMAGES])
  })
}
