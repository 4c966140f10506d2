/**
 * Garbage collection of an OCI layout and the removal of crash leftovers: what is reachable
 * (tags, index.json entries, their graph, referrers of reachable manifests), what is removed,
 * what a dry run only lists, leftovers of dead writers collected on open for writing, and
 * content another live writer may still link kept.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readdir, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { INGEST_DIR, blobPath } from '../../src/layout/blob-path.js'
import { OciLayoutStore } from '../../src/layout/layout-store.js'
import { collectGarbage } from '../../src/publish/collect-garbage.js'
import type { Descriptor } from '../../src/oci/descriptor.js'
import { HOST_TAG } from '../../src/util/files.js'
import { blob, config, image, manifest, readAll, type Content } from '../helpers/content.js'
import { json, runCli } from '../helpers/cli.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

let dir: TempDir
beforeEach(async () => {
  dir = await makeTempDir('ocibundle-gc-')
})
afterEach(async () => {
  await dir.cleanup()
})

/** The pid of a process that has exited (and been reaped), so certainly not alive. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  return Number(child.stdout)
}

async function pushAll(store: OciLayoutStore, ...contents: Content[]): Promise<void> {
  for (const c of contents) await store.push(c.desc, c.bytes)
}

/** An image whose manifest has `subject`: a referrer such as a signature. */
function imageWith(label: string, subject: Descriptor): { config: Content; layer: Content; manifest: Content } {
  const cfg = config(label)
  const layer = blob(`layer of ${label}`)
  return { config: cfg, layer, manifest: manifest(cfg, [layer], subject) }
}

/** A minute ago: older than any writer's lease taken in the test. */
async function age(root: string, ...contents: Content[]): Promise<void> {
  const then = new Date(Date.now() - 60_000)
  for (const c of contents) await utimes(blobPath(root, c.desc.digest), then, then)
}

describe('layout: crash leftovers', () => {
  test('opening for writing removes .ingest files of dead writers of this machine and keeps those of live ones, other machines and other tools', async () => {
    await (await OciLayoutStore.open(dir.path, { create: true })).close()
    const ingest = join(dir.path, INGEST_DIR)
    const dead = deadPid()
    const files = {
      deadWriter: `.blob-${HOST_TAG}-${dead}-0123456789abcdef.tmp`,
      deadLegacy: `.blob-${dead}-0123456789abcdef.tmp`,
      deadLease: `.writer-${HOST_TAG}-${dead}-0123456789abcdef.tmp`,
      liveWriter: `.blob-${HOST_TAG}-${process.pid}-0123456789abcdef.tmp`,
      otherMachine: `.blob-ffffffff-${dead}-0123456789abcdef.tmp`,
      otherTool: 'partial-download',
    }
    for (const name of Object.values(files)) await writeFile(join(ingest, name), 'partial bytes')
    const store = await OciLayoutStore.open(dir.path, { create: true })
    const left = (await readdir(ingest)).filter((f) => !f.startsWith(`.writer-${HOST_TAG}-${process.pid}-`))
    assert.deepEqual(left.sort(), [files.liveWriter, files.otherMachine, files.otherTool].sort())
    await store.close()
    assert.deepEqual((await readdir(ingest)).sort(), left.sort(), 'close() gives up the lease')
  })

  test('a file of another machine that has not changed for a day is a leftover', async () => {
    await (await OciLayoutStore.open(dir.path, { create: true })).close()
    const file = join(dir.path, INGEST_DIR, `.blob-ffffffff-1-0123456789abcdef.tmp`)
    await writeFile(file, 'x')
    const dayAndMinute = new Date(Date.now() - 24 * 60 * 60 * 1000 - 60_000)
    await utimes(file, dayAndMinute, dayAndMinute)
    const result = await collectGarbage(`ocidir://${dir.path}`)
    assert.deepEqual(result.ingest, [{ file: '.blob-ffffffff-1-0123456789abcdef.tmp', size: 1 }])
  })
})

describe('layout: garbage collection', () => {
  test('removes exactly what no tag, entry or referrer reaches; a dry run lists the same and removes nothing', async () => {
    const store = await OciLayoutStore.open(dir.path, { create: true })
    const tagged = image('tagged')
    const untagged = image('untagged entry')
    const signature = imageWith('signature', tagged.manifest.desc)
    const orphan = image('orphan')
    const orphanReferrer = imageWith('referrer of orphan', orphan.manifest.desc)
    const loose = blob('loose blob')
    await pushAll(store, tagged.config, tagged.layer, tagged.manifest, untagged.config, untagged.layer, untagged.manifest)
    await store.tag(tagged.manifest.desc, 'v1')
    // Referrers and orphans are pushed as blobs: no index.json entry names them.
    const parts = (i: { config: Content; layer: Content; manifest: Content }) => [i.config, i.layer, i.manifest]
    for (const c of [...parts(signature), ...parts(orphan), ...parts(orphanReferrer), loose]) {
      await store.push({ ...c.desc, mediaType: 'application/octet-stream' }, c.bytes)
    }
    await store.close()
    const garbage = [...parts(orphan), ...parts(orphanReferrer), loose]
    await age(dir.path, ...garbage)
    const expected = garbage.map((c) => ({ digest: c.desc.digest, size: c.desc.size })).sort((a, b) => (a.digest < b.digest ? -1 : 1))

    const dry = await collectGarbage(`ocidir://${dir.path}`, { dryRun: true })
    assert.deepEqual(
      [...dry.blobs].sort((a, b) => (a.digest < b.digest ? -1 : 1)),
      expected,
    )
    assert.equal(
      dry.bytes,
      expected.reduce((n, b) => n + b.size, 0),
    )
    for (const c of garbage) assert.ok(await stat(blobPath(dir.path, c.desc.digest)), 'a dry run removes nothing')

    const done = await collectGarbage(`ocidir://${dir.path}`)
    assert.deepEqual(
      [...done.blobs].sort((a, b) => (a.digest < b.digest ? -1 : 1)),
      expected,
    )
    const after = await OciLayoutStore.open(dir.path)
    for (const c of garbage) assert.equal(await after.exists(c.desc), false)
    for (const c of [...parts(tagged), ...parts(untagged), ...parts(signature)]) {
      assert.deepEqual(await readAll(await after.fetch(c.desc)), c.bytes)
    }
    assert.equal(done.reachable, 9)
  })

  test('blobs another live writer wrote since it opened the layout are kept until it is done', async () => {
    const writer = await OciLayoutStore.open(dir.path, { create: true })
    const fresh = blob('written by a live writer, not linked yet')
    const old = blob('unlinked for a minute before the writer started')
    await pushAll(writer, fresh, old)
    await age(dir.path, old)
    const during = await collectGarbage(`ocidir://${dir.path}`)
    assert.deepEqual(
      during.blobs.map((b) => b.digest),
      [old.desc.digest],
    )
    assert.deepEqual(
      during.inUse.map((b) => b.digest),
      [fresh.desc.digest],
    )
    await writer.close()
    const afterwards = await collectGarbage(`ocidir://${dir.path}`)
    assert.deepEqual(
      afterwards.blobs.map((b) => b.digest),
      [fresh.desc.digest],
    )
  })

  test('a writer that finds a blob already present refreshes its time, so a collection running meanwhile keeps it', async () => {
    const first = await OciLayoutStore.open(dir.path, { create: true })
    const shared = blob('present before the second writer')
    await first.push(shared.desc, shared.bytes)
    await first.close()
    await age(dir.path, shared)
    const second = await OciLayoutStore.open(dir.path, { create: true })
    await second.push(shared.desc, shared.bytes)
    const result = await collectGarbage(`ocidir://${dir.path}`)
    assert.deepEqual(
      result.inUse.map((b) => b.digest),
      [shared.desc.digest],
    )
    assert.ok(await second.exists(shared.desc))
    await second.close()
  })

  test('ocibundle gc --dry-run --json lists, ocibundle gc removes; a registry reference is a usage error', async () => {
    const store = await OciLayoutStore.open(dir.path, { create: true })
    const loose = blob('loose for the CLI')
    await store.push(loose.desc, loose.bytes)
    await store.close()
    await age(dir.path, loose)
    const dry = await runCli(['gc', '--dry-run', '--json', `ocidir://${dir.path}`])
    assert.equal(dry.code, 0, dry.stderr)
    const listed = json<{ dryRun: boolean; blobs: Array<{ digest: string }> }>(dry).result
    assert.equal(listed.dryRun, true)
    assert.deepEqual(
      listed.blobs.map((b) => b.digest),
      [loose.desc.digest],
    )
    const run = await runCli(['gc', `ocidir://${dir.path}`])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, new RegExp(`removed blob ${loose.desc.digest}`))
    await assert.rejects(stat(blobPath(dir.path, loose.desc.digest)), { code: 'ENOENT' })
    const wrong = await runCli(['gc', 'registry.example.com/acme/app'])
    assert.equal(wrong.code, 2)
  })
})
