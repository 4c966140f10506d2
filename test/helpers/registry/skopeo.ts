/**
 * skopeo (containers/image), a third-party client, run hermetically against test registries; and
 * a tiny OCI image layout for it to push.
 *
 * Hermetic: skopeo keeps state under $HOME, XDG dirs and, as root, /var/lib/containers (its
 * blob-info cache makes later pushes skip or cross-mount blobs it has "seen"). Every call here
 * points all of that into a per-test home, with `_CONTAINERS_ROOTLESS_UID` so containers/image
 * picks rootless paths even as root (its GetRootlessEUID reads that variable:
 * https://github.com/containers/image/blob/main/internal/rootless/rootless.go), and uses its own
 * trust policy file.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runTool, type RunResult } from './bins.js'
import { sha256 } from './raw-http.js'

/**
 * Runs `skopeo args...` with state confined to `home` (created if needed).
 * @throws Error with skopeo's stderr when it fails.
 */
export async function runSkopeo(args: readonly string[], home: string): Promise<RunResult> {
  const dirs = { data: join(home, 'data'), config: join(home, 'config'), run: join(home, 'run'), tmp: join(home, 'tmp') }
  await Promise.all(Object.values(dirs).map((d) => mkdir(d, { recursive: true, mode: 0o700 })))
  const policy = join(home, 'policy.json')
  await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }))
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_DATA_HOME: dirs.data,
    XDG_CONFIG_HOME: dirs.config,
    XDG_RUNTIME_DIR: dirs.run,
    TMPDIR: dirs.tmp,
    _CONTAINERS_ROOTLESS_UID: '1000',
  }
  return runTool('skopeo', ['--policy', policy, ...args], { env, timeoutMs: 60_000 })
}

export interface TinyLayout {
  /** The layout directory (`oci:<dir>:<tag>` for skopeo). */
  dir: string
  tag: string
  manifest: Buffer
  manifestDigest: string
  config: Buffer
  layer: Buffer
}

/**
 * Writes an OCI image layout holding one image: one uncompressed tar layer, an image config and
 * a manifest, tagged `tag` in index.json. Uncompressed, so `skopeo copy --preserve-digests`
 * pushes the bytes unchanged.
 */
export async function writeTinyOciLayout(dir: string, layer: Buffer, tag = 't'): Promise<TinyLayout> {
  const layerDigest = sha256(layer)
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layerDigest] }, config: {} }),
  )
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
    }),
  )
  const manifestDigest = sha256(manifest)
  const blobs = join(dir, 'blobs', 'sha256')
  await mkdir(blobs, { recursive: true })
  const put = (data: Buffer) => writeFile(join(blobs, sha256(data).slice('sha256:'.length)), data)
  await Promise.all([put(layer), put(config), put(manifest)])
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: manifestDigest,
        size: manifest.length,
        annotations: { 'org.opencontainers.image.ref.name': tag },
      },
    ],
  }
  await writeFile(join(dir, 'index.json'), JSON.stringify(index))
  return { dir, tag, manifest, manifestDigest, config, layer }
}
