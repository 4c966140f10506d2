/**
 * Shared set-up of the publish tests: the example bundles as parsed JSON, the example images in
 * an OCI layout (scripts/make-example-images.ts), registry clients with fast retries, and a
 * byte-for-byte snapshot of a directory tree.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { readBundleFile } from '../../src/cnab/load.js'
import { OciLayoutStore } from '../../src/layout/layout-store.js'
import { plainDescriptor, type Descriptor } from '../../src/oci/descriptor.js'
import type { RegistryClient } from '../../src/registry/http/client.js'
import { backoffPolicy, type RetryPolicy } from '../../src/registry/http/retry.js'
import { RegistryRepository } from '../../src/registry/repository.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export const INSTALLER = 'example.com/ocibundle/shop-installer:2.3.1'
export const API = 'example.com/ocibundle/shop-api:2.3.1'
export const DB = 'example.com/ocibundle/shop-db:15'
export const WEB = 'example.com/ocibundle/shop-web:2.3.1'
/** The four image references of the shop bundle. */
export const SHOP_IMAGES = [INSTALLER, API, DB, WEB] as const

export const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`

/** Retries without waiting long: tests should not sleep through backoff. */
export const fastRetry = (): RetryPolicy => backoffPolicy({ baseMs: 1, maxDelayMs: 20 })

/** bundles/<name>/bundle.json, parsed. */
export async function exampleBundle(name: 'shop' | 'hello-world'): Promise<Record<string, unknown>> {
  const loaded = await readBundleFile(join(ROOT, 'bundles', name, 'bundle.json'))
  return loaded.value as Record<string, unknown>
}

/** The example images in a new layout at `dir`: the store and each reference's tagged descriptor (plain). */
export async function exampleImages(dir: string): Promise<{ store: OciLayoutStore; images: Map<string, Descriptor> }> {
  const made = await makeExampleImages(dir)
  const images = new Map([...made].map(([ref, d]) => [ref, plainDescriptor(d)]))
  return { store: await OciLayoutStore.open(dir), images }
}

/** A repository of `host` to push to. */
export function pushRepository(host: string, repository: string, client: RegistryClient): RegistryRepository {
  return new RegistryRepository({ registry: host, repository }, client, { access: 'push' })
}

/** Every file under `dir` (relative path → bytes), for comparing two trees byte for byte. */
export async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>()
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    // The writer's lease of a store still open for writing is not content.
    if (entry.name.startsWith('.writer-')) continue
    files.set(relative(dir, path), await readFile(path))
  }
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1)))
}
