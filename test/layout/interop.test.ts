/**
 * Interoperability with third-party OCI layout tools: layouts written by skopeo and umoci open
 * and verify with OciLayoutStore, and layouts written by OciLayoutStore are read, copied,
 * unpacked and garbage-collected by skopeo and umoci with identical digests.
 * The tools are required (scripts/install-system-deps.sh installs them): a missing tool fails
 * the test rather than skipping it.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { access, constants, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { promisify } from 'node:util'
import { fetchAll } from '../../src/content/verify.js'
import { OciLayoutStore } from '../../src/layout/layout-store.js'
import { digestOf } from '../../src/oci/digest.js'
import { parseManifest } from '../../src/oci/manifest.js'
import { MediaTypes } from '../../src/oci/media-types.js'
import { blob, digests, manifest, type Content } from '../helpers/content.js'
import { tarOf } from '../helpers/tar.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const execFileAsync = promisify(execFile)

/** The path of a required tool; fails (never skips) with what to do when it is missing. */
async function tool(name: 'skopeo' | 'umoci'): Promise<string> {
  const path = `/usr/bin/${name}`
  try {
    await access(path, constants.X_OK)
  } catch {
    assert.fail(`${path} is missing: run scripts/install-system-deps.sh (as root) to install skopeo and umoci`)
  }
  return path
}

/** Runs a tool and returns its stdout; the error carries stderr. Policy checks are off: local files only. */
async function run(name: 'skopeo' | 'umoci', args: string[]): Promise<string> {
  const bin = await tool(name)
  const fullArgs = name === 'skopeo' ? ['--insecure-policy', ...args] : args
  try {
    const { stdout } = await execFileAsync(bin, fullArgs, { timeout: 30_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' })
    return stdout
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`${name} ${fullArgs.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: err })
  }
}

/** A runnable-looking image: one uncompressed tar layer and a config whose diff_ids match it. */
function tarImage(label: string): { config: Content; layer: Content; manifest: Content } {
  const layer = blob(tarOf({ 'hello.txt': `hello from ${label}\n` }), MediaTypes.OciLayer)
  const cfg = {
    architecture: 'amd64',
    os: 'linux',
    config: { Labels: { 'com.example.label': label } },
    rootfs: { type: 'layers', diff_ids: [layer.desc.digest] },
    history: [{ created_by: `ocibundle test ${label}` }],
  }
  const config = blob(JSON.stringify(cfg), MediaTypes.OciConfig)
  return { config, layer, manifest: manifest(config, [layer]) }
}

/** Writes a layout with plain file writes, as the image spec describes it: no code under test involved. */
async function writeLayoutByHand(root: string, contents: Content[], tagged: Content, tag: string): Promise<void> {
  await mkdir(join(root, 'blobs', 'sha256'), { recursive: true })
  for (const c of contents) await writeFile(join(root, 'blobs', 'sha256', c.desc.digest.slice('sha256:'.length)), c.bytes)
  await writeFile(join(root, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
  const entry = { ...tagged.desc, annotations: { 'org.opencontainers.image.ref.name': tag } }
  await writeFile(join(root, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [entry] }))
}

describe('interoperability with skopeo and umoci', () => {
  let dir: TempDir
  beforeEach(async () => {
    dir = await makeTempDir('ocibundle-interop-')
  })
  afterEach(async () => {
    await dir.cleanup()
  })

  test('a layout written by skopeo copy opens: tag resolves, manifest, config and layer verify, predecessors are indexed', async () => {
    const img = tarImage('skopeo-source')
    const src = join(dir.path, 'src')
    const dst = join(dir.path, 'dst')
    await writeLayoutByHand(src, [img.config, img.layer, img.manifest], img.manifest, 'v1')
    await run('skopeo', ['copy', '--preserve-digests', `oci:${src}:v1`, `oci:${dst}:copied`])

    const store = await OciLayoutStore.open(dst)
    const desc = await store.resolve('copied')
    assert.equal(desc.digest, img.manifest.desc.digest)
    assert.deepEqual(await fetchAll(store, desc), img.manifest.bytes)
    const parsed = parseManifest(await fetchAll(store, desc), desc.mediaType)
    assert.ok(parsed.kind === 'manifest')
    assert.deepEqual(await fetchAll(store, parsed.manifest.config), img.config.bytes)
    assert.deepEqual(await fetchAll(store, parsed.manifest.layers![0]!), img.layer.bytes)
    assert.deepEqual(digests(await store.predecessors(img.layer.desc)), [img.manifest.desc.digest])
    assert.deepEqual(digests(await store.predecessors(img.config.desc)), [img.manifest.desc.digest])
  })

  test('a layout created and modified by umoci opens, and tags written into it are seen by umoci', async () => {
    const layout = join(dir.path, 'umoci')
    await run('umoci', ['init', '--layout', layout])
    await run('umoci', ['new', '--image', `${layout}:base`])
    await run('umoci', ['config', '--image', `${layout}:base`, '--config.label', 'com.example.by=umoci', '--tag', 'v1'])

    const store = await OciLayoutStore.open(layout)
    const tags: string[] = []
    for await (const t of store.listTags()) tags.push(t)
    assert.deepEqual(tags, ['base', 'v1'])
    const desc = await store.resolve('v1')
    const parsed = parseManifest(await fetchAll(store, desc), desc.mediaType)
    assert.ok(parsed.kind === 'manifest')
    const config = JSON.parse((await fetchAll(store, parsed.manifest.config)).toString()) as { config: { Labels: Record<string, string> } }
    assert.equal(config.config.Labels['com.example.by'], 'umoci')
    assert.deepEqual(digests(await store.predecessors(parsed.manifest.config)), [desc.digest])

    await store.tag(desc, 'tagged-by-ocibundle')
    assert.deepEqual((await run('umoci', ['ls', '--layout', layout])).split('\n').filter(Boolean).sort(), [
      'base',
      'tagged-by-ocibundle',
      'v1',
    ])
  })

  test('skopeo and umoci read, copy and unpack a layout written by OciLayoutStore with the same digests', async () => {
    const img = tarImage('ocibundle')
    const other = tarImage('untagged')
    const layout = join(dir.path, 'ours')
    const store = await OciLayoutStore.open(layout, { create: true })
    for (const c of [img.config, img.layer, img.manifest, other.config, other.layer, other.manifest]) await store.push(c.desc, c.bytes)
    await store.tag(img.manifest.desc, 'v1')

    const raw = await run('skopeo', ['inspect', '--raw', `oci:${layout}:v1`])
    assert.equal(digestOf(raw), img.manifest.desc.digest)
    assert.equal(raw, img.manifest.bytes.toString())
    const rawConfig = await run('skopeo', ['inspect', '--config', '--raw', `oci:${layout}:v1`])
    assert.equal(digestOf(rawConfig), img.config.desc.digest)

    const copy = join(dir.path, 'copy')
    await run('skopeo', ['copy', '--preserve-digests', `oci:${layout}:v1`, `oci:${copy}:v1`])
    const copied = await OciLayoutStore.open(copy)
    assert.equal((await copied.resolve('v1')).digest, img.manifest.desc.digest)
    assert.deepEqual(await fetchAll(copied, img.layer.desc), img.layer.bytes)

    assert.deepEqual((await run('umoci', ['ls', '--layout', layout])).trim(), 'v1')
    const stat = JSON.parse(await run('umoci', ['stat', '--json', '--image', `${layout}:v1`])) as { history: Array<{ created_by: string }> }
    assert.equal(stat.history[0]?.created_by, 'ocibundle test ocibundle')
    const bundle = join(dir.path, 'bundle')
    await run('umoci', ['unpack', '--rootless', '--image', `${layout}:v1`, bundle])
    assert.equal(await readFile(join(bundle, 'rootfs', 'hello.txt'), 'utf8'), 'hello from ocibundle\n')
  })

  test('umoci gc on a layout written by OciLayoutStore removes only unreachable blobs, and the layout still opens', async () => {
    const img = tarImage('kept')
    const orphan = blob('nobody references me')
    const layout = join(dir.path, 'gc')
    const store = await OciLayoutStore.open(layout, { create: true })
    for (const c of [img.config, img.layer, img.manifest, orphan]) await store.push(c.desc, c.bytes)
    await store.tag(img.manifest.desc, 'v1')

    await run('umoci', ['gc', '--layout', layout])
    const after = await OciLayoutStore.open(layout)
    assert.equal(await after.exists(orphan.desc), false)
    for (const c of [img.config, img.layer, img.manifest]) assert.deepEqual(await fetchAll(after, c.desc), c.bytes)
    assert.equal((await after.resolve('v1')).digest, img.manifest.desc.digest)
  })
})
