/**
 * The one rule for reading reference strings (src/publish/target-argument.ts): local paths are
 * never registry references, missing ones are reported by name, docker-style short names stay
 * registry references, and `build` writes a bare name into a directory.
 */
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { NotFoundError, UsageError } from '../../src/errors.js'
import { formatReference } from '../../src/oci/reference.js'
import {
  buildOutputReference,
  classifyArgument,
  contentReference,
  destinationReference,
  sourceReference,
} from '../../src/publish/target-argument.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

let dir: TempDir
let rel: string
before(async () => {
  dir = await makeTempDir('target-argument-')
  await mkdir(join(dir.path, 'layout'))
  await writeFile(join(dir.path, 'bundle'), '{}')
  // A directory given without ./ must be found relative to the working directory.
  rel = relative(process.cwd(), join(dir.path, 'layout'))
})
after(() => dir.cleanup())

const kind = (input: string): string => {
  const a = classifyArgument(input)
  return a.kind === 'registry'
    ? `registry ${formatReference(a.reference)}`
    : `${a.kind}${a.kind === 'file' ? ` ${a.path}` : ` ${a.reference.path}`}`
}

describe('classifyArgument', () => {
  test('paths that start with ./, ../ or / and names ending in .json, .tgz or .tar are local, existing or not', () => {
    assert.equal(kind('./out'), 'layout ./out')
    assert.equal(kind('../x/out:v1'), 'layout ../x/out')
    assert.equal(kind('/abs/out@sha256:' + 'a'.repeat(64)), 'layout /abs/out')
    assert.equal(kind('nope.json'), 'file nope.json')
    assert.equal(kind('bundle.tgz'), 'file bundle.tgz')
    assert.equal(kind('thick.tar'), 'file thick.tar')
  })

  test('what exists on disk is local even without ./: a directory is a layout (with its :tag), a file is a file', () => {
    assert.equal(kind(rel), `layout ${rel}`)
    assert.equal(kind(`${rel}:v2`), `layout ${rel}`)
    const file = relative(process.cwd(), join(dir.path, 'bundle'))
    assert.equal(kind(file), `file ${file}`)
  })

  test('docker-style names that are not on disk stay registry references', () => {
    assert.equal(kind('nginx'), 'registry docker.io/library/nginx')
    assert.equal(kind('acme/app:1'), 'registry docker.io/acme/app:1')
    assert.equal(kind('localhost:5000/shop@sha256:' + 'b'.repeat(64)), `registry localhost:5000/shop@sha256:${'b'.repeat(64)}`)
    assert.equal(kind('ocidir://out:v1'), 'layout out')
  })
})

describe('sources, contents and destinations', () => {
  test('a missing local source is a NotFoundError naming it, never a registry lookup', () => {
    for (const input of ['./missing', 'missing.json', '/no/such/dir:v1', 'ocidir:///no/such/layout:v1']) {
      assert.throws(
        () => sourceReference(input),
        (err: unknown) => err instanceof NotFoundError && err.message.includes(input.replace(/^ocidir:\/\//, '').replace(/:v1$/, '')),
        input,
      )
    }
  })

  test('a file is not a reference to read from, nor a place to write to', () => {
    const file = join(dir.path, 'bundle')
    assert.throws(() => sourceReference(file), UsageError)
    assert.throws(() => destinationReference('out.tar'), UsageError)
  })

  test('a registry reference without tag or digest means :latest; a layout must name one', () => {
    assert.equal(contentReference('nginx').selector, 'latest')
    assert.equal(contentReference(`${rel}:v2`).selector, 'v2')
    assert.throws(() => contentReference(rel), UsageError)
  })

  test('a missing destination directory is a layout to create', () => {
    assert.deepEqual(destinationReference('./new-layout:v1'), { kind: 'layout', path: './new-layout', tag: 'v1' })
  })

  test('build writes a bare name into a directory, and a registry only when its host is named', () => {
    assert.deepEqual(buildOutputReference('out'), { kind: 'layout', path: 'out' })
    assert.deepEqual(buildOutputReference('acme/shop:v1'), { kind: 'layout', path: 'acme/shop', tag: 'v1' })
    assert.equal(formatReference(buildOutputReference('registry.example.com/acme/shop')), 'registry.example.com/acme/shop')
    assert.equal(formatReference(buildOutputReference('localhost:5000/shop:v1')), 'localhost:5000/shop:v1')
    assert.equal(formatReference(buildOutputReference('docker.io/acme/shop')), 'docker.io/acme/shop')
  })
})
