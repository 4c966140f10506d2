/**
 * writeFully: several buffers reach the file whole and in order through writev.
 */
import assert from 'node:assert/strict'
import { mkdtemp, open, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { writeFully } from '../../src/util/files.js'

describe('writeFully', () => {
  test('writes a list of buffers (empty ones and views into larger buffers included) whole and in order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ocibundle-files-'))
    try {
      const big = Buffer.alloc(3 * 1024 * 1024, 7)
      const backing = Buffer.from('xxhello, worldxx')
      const parts = [Buffer.from('start:'), Buffer.alloc(0), backing.subarray(2, 14), big, Buffer.from(':end')]
      const file = join(dir, 'out')
      const fh = await open(file, 'w')
      await writeFully(fh, parts)
      await writeFully(fh, Buffer.from('+one'))
      await fh.close()
      assert.deepEqual(await readFile(file), Buffer.concat([...parts, Buffer.from('+one')]))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
