/**
 * Property test of opening hostile OCI layouts: whatever `oci-layout`, `index.json` and the blobs
 * they name hold (garbage, the wrong JSON, FIFOs, directories, devices), opening the layout,
 * resolving its tags and reading its manifests ends in bounded time with content or a documented
 * error, never a wait.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import { OciLayoutStore } from '../../src/layout/layout-store.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'
import { isDocumentedFailure, params } from './runs.js'

let dir: TempDir
before(async () => {
  dir = await makeTempDir('ocibundle-fuzz-layout-')
})
after(() => dir.cleanup())

const HEX = 'c'.repeat(64)
/** What a layout file can be: bytes, JSON, or not a regular file at all. */
type FileSpec = { bytes: Uint8Array } | { special: 'fifo' | 'dir' | 'zero' | 'missing' }
const layoutJson = fc.oneof(
  fc.constant({ imageLayoutVersion: '1.0.0' }),
  fc.record({ imageLayoutVersion: fc.oneof(fc.string({ maxLength: 10 }), fc.anything()) }, { requiredKeys: [] }),
)
const indexJson = fc.record(
  {
    schemaVersion: fc.oneof(fc.constant(2), fc.anything()),
    mediaType: fc.oneof(fc.constant('application/vnd.oci.image.index.v1+json'), fc.string({ maxLength: 10 })),
    manifests: fc.oneof(
      fc.array(
        fc.record({
          mediaType: fc.constantFrom('application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json', 'x/y'),
          digest: fc.constantFrom(`sha256:${HEX}`, 'sha256:zz', 'md5:0'),
          size: fc.oneof(fc.nat({ max: 100 }), fc.integer()),
          annotations: fc.constant({ 'org.opencontainers.image.ref.name': 'v1' }),
        }),
        { maxLength: 3 },
      ),
      fc.anything(),
    ),
  },
  { requiredKeys: [] },
)
const fileSpec = (json: fc.Arbitrary<unknown>): fc.Arbitrary<FileSpec> =>
  fc.oneof(
    json.map((j) => ({ bytes: Buffer.from(JSON.stringify(j) ?? '') })),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes })),
    fc.constantFrom<FileSpec>(
      { special: 'fifo' },
      { special: 'dir' },
      { special: 'zero' },
      { special: 'missing' },
      { bytes: new Uint8Array() },
    ),
  )

async function place(path: string, spec: FileSpec): Promise<void> {
  if ('bytes' in spec) return writeFile(path, spec.bytes)
  if (spec.special === 'fifo') execFileSync('mkfifo', [path])
  else if (spec.special === 'dir') await mkdir(path)
  else if (spec.special === 'zero') await symlink('/dev/zero', path)
}

/** Fails when `promise` has not settled after `ms`: the property is "no wait", not a speed. */
async function settles<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, hang])
  } finally {
    clearTimeout(timer)
  }
}

let n = 0
describe('fuzz: hostile layouts', () => {
  test('opening, resolving and reading any layout ends with content or a documented error, without waiting', async () => {
    await fc.assert(
      fc.asyncProperty(fileSpec(layoutJson), fileSpec(indexJson), fileSpec(fc.anything()), async (layout, index, blob) => {
        const root = join(dir.path, `l${++n}`)
        await mkdir(join(root, 'blobs', 'sha256'), { recursive: true })
        await place(join(root, 'oci-layout'), layout)
        await place(join(root, 'index.json'), index)
        await place(join(root, 'blobs', 'sha256', HEX), blob)
        try {
          await settles(
            (async () => {
              const store = await OciLayoutStore.open(root)
              for await (const tag of store.listTags()) {
                const desc = await store.resolve(tag)
                const body = await store.fetch(desc)
                for await (const _chunk of body) void _chunk
              }
            })(),
            10_000,
          )
        } catch (err) {
          assert.ok(isDocumentedFailure(err), `undocumented failure: ${(err as Error)?.stack ?? String(err)}`)
        } finally {
          await rm(root, { recursive: true, force: true })
        }
      }),
      params(150),
    )
  })
})
