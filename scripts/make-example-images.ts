/**
 * Generates every image the example bundles (bundles/hello-world, bundles/shop) reference into
 * an OCI image layout, so the examples can be published and pulled without a network. Each
 * image is a real, small OCI image (config with platform, rootfs.diff_ids and Cmd; gzip tar
 * layers) tagged in index.json with `org.opencontainers.image.ref.name` = the reference string
 * the bundle uses, the convention of thick bundles (CNAB spec 104, Porter's archives).
 * `example.com/ocibundle/shop-web:2.3.1` is an image index for linux/amd64 and linux/arm64.
 *
 * The bytes are the same on every run: tar headers with mtime 0, uid/gid 0 and fixed modes,
 * entries in a fixed order, gzip at a fixed level with a zero timestamp and a fixed OS byte,
 * JSON written in a fixed key order, and content pushed in a fixed order (index.json lists it
 * in push order). The deflate stream itself comes from the zlib bundled with Node, so a Node
 * release that changes zlib could change layer digests; nothing pins them.
 *
 * Usage: npm run example-images -- <layout-dir>   (or: node --import tsx scripts/make-example-images.ts <layout-dir>)
 */
import { realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { OciLayoutStore } from '../src/layout/layout-store.js'
import { descriptorFromBytes, type Descriptor, type Platform } from '../src/oci/descriptor.js'
import { digestOf } from '../src/oci/digest.js'
import { MediaTypes } from '../src/oci/media-types.js'
import { tarBytes, type TarEntryBytes } from '../src/util/tar.js'

interface FileSpec {
  path: string
  content: string
  /** Default 0o644; 0o755 for what must be executable (the CNAB run tool). */
  mode?: number
}

interface ImageSpec {
  /** The reference exactly as the bundle writes it; also the layout tag. */
  ref: string
  /** One platform gives an image manifest, several an image index of one manifest each. */
  platforms: Platform[]
  /** The layers, bottom first, for one platform. */
  layers: (platform: Platform) => FileSpec[][]
  cmd: string[]
}

const AMD64: Platform = { architecture: 'amd64', os: 'linux' }
const ARM64: Platform = { architecture: 'arm64', os: 'linux', variant: 'v8' }
const EPOCH = '1970-01-01T00:00:00Z'
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** Shared by both installers, so the layout also shows a layer two images have in common. */
const BASE_LAYER: FileSpec[] = [{ path: 'etc/os-release', content: 'NAME="ocibundle example base"\nID=ocibundle-example\nVERSION_ID=1\n' }]

const runTool = (body: string): FileSpec => ({ path: 'cnab/app/run', mode: 0o755, content: `#!/bin/sh\nset -e\n${body}` })

const EXAMPLE_IMAGES: readonly ImageSpec[] = [
  {
    ref: 'example.com/ocibundle/hello-installer:1.0.0',
    platforms: [AMD64],
    cmd: ['/cnab/app/run'],
    layers: () => [BASE_LAYER, [runTool('echo "${GREETING:-hello, world} (action: ${CNAB_ACTION:-unknown})"\n')]],
  },
  {
    ref: 'example.com/ocibundle/shop-installer:2.3.1',
    platforms: [AMD64],
    cmd: ['/cnab/app/run'],
    layers: () => [
      BASE_LAYER,
      [
        runTool(
          'case "$CNAB_ACTION" in\n' +
            '  install|upgrade) echo "https://${SHOP_DOMAIN}/" > /cnab/app/outputs/url ;;\n' +
            '  io.ocibundle.backup) echo "c2hvcA==" > /cnab/app/outputs/backup ;;\n' +
            'esac\n',
        ),
        { path: 'cnab/app/manifests/shop.yaml', content: 'replicas: ${REPLICAS}\nservices: [web, api, db]\n' },
      ],
    ],
  },
  {
    ref: 'example.com/ocibundle/shop-api:2.3.1',
    platforms: [AMD64],
    cmd: ['/srv/api/server'],
    layers: () => [[{ path: 'srv/api/server', mode: 0o755, content: '#!/bin/sh\necho "shop API listening on :8080"\n' }]],
  },
  {
    ref: 'example.com/ocibundle/shop-db:15',
    platforms: [AMD64],
    cmd: ['postgres'],
    layers: () => [
      [{ path: 'docker-entrypoint-initdb.d/schema.sql', content: 'CREATE TABLE products (id serial PRIMARY KEY, name text NOT NULL);\n' }],
    ],
  },
  {
    ref: 'example.com/ocibundle/shop-web:2.3.1',
    platforms: [AMD64, ARM64],
    cmd: ['/srv/web/serve'],
    layers: (p) => [
      [
        { path: 'srv/web/index.html', content: '<!doctype html><title>Shop</title><h1>Shop</h1>\n' },
        { path: 'srv/web/platform', content: `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}\n` },
        { path: 'srv/web/serve', mode: 0o755, content: '#!/bin/sh\necho "storefront listening on :80"\n' },
      ],
    ],
  },
]

/**
 * Writes every image of EXAMPLE_IMAGES into the OCI layout at `dir` (created if needed) and tags
 * it with its reference. Returns the tagged descriptor of each reference. Running it again on
 * the same layout changes nothing.
 */
export async function makeExampleImages(dir: string): Promise<Map<string, Descriptor>> {
  const store = await OciLayoutStore.open(dir, { create: true })
  const tagged = new Map<string, Descriptor>()
  try {
    // One at a time: index.json lists manifests in push order, which must not depend on timing.
    for (const spec of EXAMPLE_IMAGES) {
      const root = spec.platforms.length === 1 ? await pushImage(store, spec, spec.platforms[0]!) : await pushIndex(store, spec)
      await store.tag(root, spec.ref)
      tagged.set(spec.ref, root)
    }
  } finally {
    await store.close()
  }
  return tagged
}

/** Pushes the image of every platform, then the index listing them with their platforms. */
async function pushIndex(store: OciLayoutStore, spec: ImageSpec): Promise<Descriptor> {
  const manifests: Descriptor[] = []
  for (const platform of spec.platforms) manifests.push({ ...(await pushImage(store, spec, platform)), platform })
  return pushJson(store, MediaTypes.OciIndex, { schemaVersion: 2, mediaType: MediaTypes.OciIndex, manifests })
}

/** Pushes layers, config and manifest of one platform; returns the manifest's descriptor. */
async function pushImage(store: OciLayoutStore, spec: ImageSpec, platform: Platform): Promise<Descriptor> {
  const layers: Descriptor[] = []
  const diffIds: string[] = []
  for (const files of spec.layers(platform)) {
    const tar = tarOf(files)
    const compressed = gzip(tar)
    const layer = descriptorFromBytes(MediaTypes.OciLayerGzip, compressed)
    await store.push(layer, compressed)
    layers.push(layer)
    diffIds.push(digestOf(tar))
  }
  const config = await pushJson(store, MediaTypes.OciConfig, {
    created: EPOCH,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant !== undefined && { variant: platform.variant }),
    config: { Env: [PATH_ENV], Cmd: spec.cmd, WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: layers.map(() => ({ created: EPOCH, created_by: 'scripts/make-example-images.ts' })),
  })
  return pushJson(store, MediaTypes.OciManifest, { schemaVersion: 2, mediaType: MediaTypes.OciManifest, config, layers })
}

async function pushJson(store: OciLayoutStore, mediaType: string, value: unknown): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(value))
  const desc = descriptorFromBytes(mediaType, bytes)
  await store.push(desc, bytes)
  return desc
}

/** gzip's header byte 9 names the OS that wrote it; zlib puts the build platform there, so it is fixed to 255 ("unknown", as Go writes). */
const GZIP_OS_OFFSET = 9
const GZIP_OS_UNKNOWN = 0xff

/** Level 9: fixed, so the output only depends on the input and Node's zlib. zlib writes mtime 0. */
function gzip(data: Buffer): Buffer {
  const out = gzipSync(data, { level: 9 })
  out[GZIP_OS_OFFSET] = GZIP_OS_UNKNOWN
  return out
}

/** A tar archive (the `tar` package's ustar headers) of `files` with an entry for every parent directory before its contents, in path order. */
function tarOf(files: readonly FileSpec[]): Buffer {
  const dirs = new Set<string>()
  for (const f of files) {
    const parts = f.path.split('/')
    for (let i = 1; i < parts.length; i++) dirs.add(`${parts.slice(0, i).join('/')}/`)
  }
  const entries: TarEntryBytes[] = [
    ...[...dirs].map((path) => ({ path, type: 'directory' as const })),
    ...files.map((f) => ({ path: f.path, type: 'file' as const, content: Buffer.from(f.content), mode: f.mode ?? 0o644 })),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return tarBytes(entries)
}

async function main(args: string[]): Promise<void> {
  const [dir] = args
  if (dir === undefined || args.length !== 1) {
    process.stderr.write('usage: npm run example-images -- <layout-dir>\n')
    process.exitCode = 2
    return
  }
  // Under `npm run example-images -- <dir>`, relative to where npm was started, not to the package.
  const target = resolve(process.env.INIT_CWD ?? process.cwd(), dir)
  for (const [ref, desc] of await makeExampleImages(target)) process.stdout.write(`${ref}\t${desc.digest}\t${desc.mediaType}\n`)
}

// Run as a script (Node gives the module its real path, so the script's path is compared resolved too).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href)
  await main(process.argv.slice(2))
