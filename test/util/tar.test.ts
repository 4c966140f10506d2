/**
 * Tar without unpacking (src/util/tar.ts, src/util/tar-index.ts): archives written with the
 * `tar` package's headers are the same bytes for the same entries and read back by GNU tar; the
 * random-access reader reads GNU tar's own pax and long names, `./` names, and refuses every
 * archive that could be read two ways or lead anywhere: links, devices, FIFOs, duplicate names,
 * names leading out, directories announcing content, bad checksums, truncation, too many entries.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { after, before, describe, test } from 'node:test'
import { Header } from 'tar'
import { DamagedArchiveError, SizeMismatchError, UnsafeArchiveError, UnsafePathError } from '../../src/errors.js'
import { readBounded } from '../../src/util/streams.js'
import { TAR_BLOCK, tarBytes, tarPadding, tarStream } from '../../src/util/tar.js'
import { TarIndex } from '../../src/util/tar-index.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const execFileAsync = promisify(execFile)

let dir: TempDir
before(async () => {
  dir = await makeTempDir('ocibundle-tar-')
})
after(async () => {
  await dir.cleanup()
})

let counter = 0
async function file(bytes: Buffer): Promise<string> {
  const path = join(dir.path, `a${++counter}.tar`)
  await writeFile(path, bytes)
  return path
}

/** One raw entry made with the `tar` package's Header, for the kinds src/util/tar.ts never writes. */
function raw(fields: ConstructorParameters<typeof Header>[0] & { content?: Buffer }): Buffer {
  const content = fields.content ?? Buffer.alloc(0)
  const block = Buffer.alloc(TAR_BLOCK)
  new Header({ mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), size: content.length, ...fields }).encode(block, 0)
  return Buffer.concat([block, content, tarPadding(content.length)])
}
const END = Buffer.alloc(2 * TAR_BLOCK)

describe('writing', () => {
  test('the same entries give the same bytes, and GNU tar lists them as written: owner 0/0, mtime 0, modes 0644/0755', async () => {
    const entries = [
      { path: './', type: 'directory' as const },
      { path: './bundle.json', type: 'file' as const, content: Buffer.from('{}') },
      { path: './run', type: 'file' as const, content: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
    ]
    const one = tarBytes(entries)
    const streamed = Buffer.concat(await Readable.from(tarStream(entries)).toArray())
    assert.deepEqual(streamed, one)
    assert.deepEqual(tarBytes(entries), one)
    const { stdout } = await execFileAsync('tar', ['--numeric-owner', '-tvf', await file(one)], {
      env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' },
    })
    const lines = stdout.trim().split('\n')
    assert.deepEqual(
      lines.map((l) => l.split(/\s+/).slice(0, 2).concat(l.split(/\s+/).at(-1)!)),
      [
        ['drwxr-xr-x', '0/0', './'],
        ['-rw-r--r--', '0/0', './bundle.json'],
        ['-rwxr-xr-x', '0/0', './run'],
      ],
    )
    for (const line of lines) assert.match(line, / 1970-01-01 00:00 /)
  })

  test('a streamed content that ends early or runs long fails the archive with SizeMismatchError', async () => {
    for (const [size, bytes] of [
      [5, 'abc'],
      [2, 'abc'],
    ] as const) {
      const entries = [{ path: 'f', type: 'file' as const, size, content: async () => Readable.from([Buffer.from(bytes)]) }]
      await assert.rejects(readBounded(tarStream(entries), 1 << 20), SizeMismatchError)
    }
  })
})

describe('reading by offsets', () => {
  test('GNU tar archives with pax and GNU long names read back, each file by its own bytes', async () => {
    const src = join(dir.path, 'gnu-src')
    const long = `${'d'.repeat(120)}/${'f'.repeat(110)}`
    await mkdir(join(src, 'd'.repeat(120)), { recursive: true })
    await writeFile(join(src, long), 'long name')
    await writeFile(join(src, 'short'), 'short name')
    for (const format of ['pax', 'gnu']) {
      const out = join(dir.path, `gnu-${format}.tar`)
      await execFileAsync('tar', [`--format=${format}`, '-cf', out, '-C', src, '.'])
      const index = await TarIndex.open(out)
      assert.equal((await index.read(index.file(long)!, 1024)).toString(), 'long name', format)
      assert.equal((await index.read(index.file('short')!, 1024)).toString(), 'short name', format)
      assert.ok(index.directories.has('') && index.directories.has('d'.repeat(120)), format)
    }
  })

  test('names with and without ./ are the same names; an entry read back is exactly its bytes', async () => {
    const index = await TarIndex.open(
      await file(
        tarBytes([
          { path: './a/b.json', type: 'file', content: Buffer.from('{"x":1}') },
          { path: 'c', type: 'file', content: Buffer.alloc(0) },
        ]),
      ),
    )
    assert.deepEqual([...index.files.keys()], ['a/b.json', 'c'])
    assert.deepEqual(await index.read(index.file('a/b.json')!, 100), Buffer.from('{"x":1}'))
    assert.deepEqual(await index.read(index.file('c')!, 100), Buffer.alloc(0))
  })
})

describe('hostile archives are refused before anything is used', () => {
  const cases: Array<[string, Buffer, new (...args: never[]) => Error, RegExp]> = [
    ['a name with ..', raw({ path: 'blobs/../../escaped', type: 'File', content: Buffer.from('x') }), UnsafePathError, /contains "\.\."/],
    ['an absolute name', raw({ path: '/etc/passwd', type: 'File', content: Buffer.from('x') }), UnsafePathError, /absolute path/],
    [
      'a symbolic link',
      raw({ path: 'index.json', type: 'SymbolicLink', linkpath: '/etc/passwd' }),
      UnsafeArchiveError,
      /symbolic link to "\/etc\/passwd"/,
    ],
    ['a hard link', raw({ path: 'oci-layout', type: 'Link', linkpath: '../../etc/passwd' }), UnsafeArchiveError, /hard link/],
    ['a character device', raw({ path: 'tty', type: 'CharacterDevice' }), UnsafeArchiveError, /character device/],
    ['a block device', raw({ path: 'sda', type: 'BlockDevice' }), UnsafeArchiveError, /block device/],
    ['a FIFO', raw({ path: 'pipe', type: 'FIFO' }), UnsafeArchiveError, /FIFO/],
    [
      'a name given twice',
      Buffer.concat([
        raw({ path: './index.json', type: 'File', content: Buffer.from('a') }),
        raw({ path: 'index.json', type: 'File', content: Buffer.from('b') }),
      ]),
      UnsafeArchiveError,
      /holds "index\.json" twice/,
    ],
    [
      'a directory announcing content',
      raw({ path: 'blobs/', type: 'Directory', size: 1024, content: Buffer.alloc(1024) }),
      UnsafeArchiveError,
      /announces content/,
    ],
  ]
  for (const [name, entries, type, message] of cases) {
    test(name, async () => {
      const path = await file(Buffer.concat([entries, END]))
      await assert.rejects(TarIndex.open(path), (err: Error) => err instanceof type && message.test(err.message))
    })
  }

  test('a header that does not check out, and an entry cut short, are a damaged archive', async () => {
    const good = tarBytes([{ path: 'index.json', type: 'file', content: Buffer.alloc(2000, 1) }])
    const flipped = Buffer.from(good)
    flipped[0] = flipped[0]! ^ 1
    await assert.rejects(
      TarIndex.open(await file(flipped)),
      (err: Error) => err instanceof DamagedArchiveError && /does not check out/.test(err.message),
    )
    await assert.rejects(
      TarIndex.open(await file(good.subarray(0, 1024))),
      (err: Error) => err instanceof DamagedArchiveError && /truncated/.test(err.message),
    )
  })

  test('more entries than allowed', async () => {
    const many = tarBytes(Array.from({ length: 5 }, (_, i) => ({ path: `f${i}`, type: 'file' as const, content: Buffer.from('x') })))
    const path = await file(many)
    assert.equal((await TarIndex.open(path, { maxEntries: 5 })).files.size, 5)
    await assert.rejects(
      TarIndex.open(path, { maxEntries: 4 }),
      (err: Error) => err instanceof UnsafeArchiveError && /more than 4 entries/.test(err.message),
    )
  })

  test('nothing is written while reading: the directory holds only the archive afterwards', async () => {
    const sub = join(dir.path, 'only')
    await mkdir(sub)
    const path = join(sub, 'x.tar')
    await writeFile(path, Buffer.concat([raw({ path: '../escaped', type: 'File', content: Buffer.from('x') }), END]))
    await assert.rejects(TarIndex.open(path), UnsafePathError)
    assert.deepEqual(await readdir(sub), ['x.tar'])
    assert.equal((await readdir(dir.path)).includes('escaped'), false)
  })
})
