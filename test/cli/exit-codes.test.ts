/**
 * Every row of the README's exit-code table (EXIT_CODES, src/cli/exit-codes.ts) produced through
 * the built CLI, with `status` of the --json envelope equal to the exit code (checked once per row). A row added to the
 * table without a case here fails the first test.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { makeExampleImages } from '../../scripts/make-example-images.js'
import { EXIT_CODES } from '../../src/cli/exit-codes.js'
import { ROOT, json, runCli, type CliResult } from '../helpers/cli.js'
import { freePort } from '../helpers/registry/ports.js'
import { startQuirkProxy, type QuirkProxy } from '../helpers/registry/quirk-proxy.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

const HELLO = 'bundles/hello-world/bundle.json'

let dir: TempDir
let images: string
let plain: RunningRegistry
let basic: RunningRegistry
let quay: QuirkProxy

before(async () => {
  dir = await makeTempDir('exit-codes-')
  images = join(dir.path, 'images')
  ;[plain, basic] = await Promise.all([startRegistry('plain'), startRegistry('basic'), makeExampleImages(images)])
  quay = await startQuirkProxy(plain, 'quay')
})
after(async () => {
  await quay.stop()
  await Promise.all([plain.stop(), basic.stop()])
  await dir.cleanup()
})

const env = () => ({
  DOCKER_CONFIG: join(dir.path, 'docker'),
  XDG_CONFIG_HOME: join(dir.path, 'xdg'),
  XDG_CACHE_HOME: join(dir.path, 'cache'),
})

/**
 * Runs the command and checks its exit code; with `json`, runs it with --json too, whose
 * envelope's status must say the same.
 */
async function expectExit(
  code: number,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; json?: boolean } = {},
): Promise<CliResult> {
  const opts = { env: { ...env(), ...options.env }, ...(options.input !== undefined && { input: options.input }) }
  const run = await runCli(args, opts)
  assert.equal(run.code, code, `${args.join(' ')}\n${run.stderr}`)
  if (options.json === true) {
    const asJson = await runCli([...args, '--json'], opts)
    assert.equal(asJson.code, code, `${args.join(' ')} --json\n${asJson.stderr}`)
    assert.equal(json(asJson).status, code)
  }
  return run
}

/** One case per row; keyed by exit code. */
const rows: Record<number, { what: string; run: () => Promise<void> }> = {
  0: {
    what: 'a valid bundle',
    run: async () => void (await expectExit(0, ['validate', HELLO], { json: true })),
  },
  1: {
    what: 'a registry that cannot be reached, and a file where a directory must be written',
    run: async () => {
      const closed = await freePort()
      const r = await expectExit(1, ['resolve', `127.0.0.1:${closed}/acme/app:1`])
      assert.match(r.stderr, /check that the registry is running/)
      await writeFile(join(dir.path, 'a-file'), 'x')
      const pulled = await expectExit(1, ['pull', `${images}@${await anyManifest()}`, '--output', join(dir.path, 'a-file')], { json: true })
      assert.match(pulled.stderr, /a-file already exists, as a file where a directory was expected or the other way round \(EEXIST\)/)
    },
  },
  2: {
    what: 'an unknown flag, a missing argument, a malformed reference, a mistyped command, a user name with ":"',
    run: async () => {
      await expectExit(2, ['validate', '--bogus', HELLO], { json: true })
      await expectExit(2, ['resolve'])
      await expectExit(2, ['resolve', `${plain.host}/Acme/App:1`])
      await expectExit(2, ['resolv', `${plain.host}/acme/app:1`])
      await expectExit(2, ['login', plain.host, '--username', 'a:b', '--password-stdin'], { input: 'secret\n' })
    },
  },
  3: {
    what: 'a bundle with validation errors, and a file that is not JSON (with line and column)',
    run: async () => {
      await expectExit(3, ['validate', 'test/fixtures/bundles/upstream/cnab-to-oci__examples__helloworld-cnab__bundle.json'], {
        json: true,
      })
      const bad = join(dir.path, 'bad.json')
      await writeFile(bad, '{\n  "name": "x",\n  "version": 1.0.0\n}')
      const r = await expectExit(3, ['build', bad, '--output', join(dir.path, 'never')])
      assert.match(r.stderr, /not valid JSON: .* at line 3, column/)
    },
  },
  4: {
    what: 'a registry that accepts no representation of the bundle (Quay without fallbacks)',
    run: async () => {
      const r = await expectExit(4, ['push', '--no-fallback', HELLO, `${quay.host}/acme/strict:v1`, '--images', images, '--auto-update'], {
        json: true,
      })
      assert.match(r.stderr, /allow-list/)
    },
  },
  5: {
    what: 'a registry that needs credentials, and wrong ones at login',
    run: async () => {
      const anonymous = await expectExit(5, ['resolve', `${basic.host}/acme/app:1`], { json: true })
      assert.match(anonymous.stderr, /log in first: ocibundle login/)
      const wrong = await expectExit(5, ['login', basic.host, '--username', basic.username!, '--password-stdin'], { input: 'wrong\n' })
      assert.match(wrong.stderr, new RegExp(`refused the credentials of the user ${basic.username}`))
      assert.doesNotMatch(wrong.stderr, /log in first/)
      await assert.rejects(stat(join(dir.path, 'docker', 'config.json')), 'nothing was stored')
    },
  },
  6: {
    what: 'a missing file, a missing tag, a repository that does not exist',
    run: async () => {
      const file = await expectExit(6, ['push', 'nope.json', `${plain.host}/acme/app`], { json: true })
      assert.match(file.stderr, /nope\.json does not exist/)
      await expectExit(6, ['resolve', `${plain.host}/acme/never:1`])
      const tags = await expectExit(6, ['tag', 'ls', `${plain.host}/acme/never`])
      assert.match(tags.stderr, /does not exist .*NAME_UNKNOWN/)
      await expectExit(6, ['resolve', '--ca-file', join(dir.path, 'no-ca.pem'), `${plain.host}/acme/app:1`])
    },
  },
  7: {
    what: 'a blob whose bytes do not match its digest; nothing is written',
    run: async () => {
      const layout = join(dir.path, 'damaged')
      await copyTree(images, layout)
      const blobs = join(layout, 'blobs', 'sha256')
      const [name] = (await readdir(blobs)).sort()
      const bytes = await readFile(join(blobs, name!))
      bytes[0] = bytes[0]! ^ 0xff
      await writeFile(join(blobs, name!), bytes)
      const out = join(dir.path, 'blob.out')
      await expectExit(7, ['blob', 'get', `${layout}@sha256:${name}`, '--output', out], { json: true })
      await assert.rejects(stat(out))
    },
  },
  8: {
    what: 'verify of a bundle in a layout with a layer of its image removed',
    run: async () => {
      const { layout, layer } = await builtCopy('incomplete')
      await rm(join(layout, 'blobs', 'sha256', layer.slice('sha256:'.length)))
      const r = await expectExit(8, ['verify', `ocidir://${layout}:v1.0.0`], { json: true })
      assert.match(r.stdout, new RegExp(`missing +${layer} at bundle sha256:[0-9a-f]{64} → image "`))
    },
  },
  9: {
    what: 'verify of a bundle in a layout with a byte of a layer of its image changed',
    run: async () => {
      const { layout, layer } = await builtCopy('corrupt')
      const file = join(layout, 'blobs', 'sha256', layer.slice('sha256:'.length))
      const bytes = await readFile(file)
      bytes[0] = bytes[0]! ^ 0xff
      await writeFile(file, bytes)
      const r = await expectExit(9, ['verify', `ocidir://${layout}:v1.0.0`], { json: true })
      assert.match(r.stdout, new RegExp(`corrupt +${layer} at bundle sha256:[0-9a-f]{64} → image ".*: digest mismatch`))
    },
  },
  10: {
    what: 'a bug (a TypeError injected where the command parses its flags): the stack and where to report it',
    run: async () => {
      const preload = join(dir.path, 'bug.mjs')
      const command = pathToFileURL(join(ROOT, 'node_modules', '@oclif', 'core', 'lib', 'command.js')).href
      writeFileSync(
        preload,
        `const { Command } = await import(${JSON.stringify(command)})\nCommand.prototype.parse = function () { throw new TypeError('injected bug') }\n`,
      )
      const r = await expectExit(10, ['validate', HELLO], { env: { NODE_OPTIONS: `--import ${preload}` }, json: true })
      assert.match(r.stderr, /this is a bug in ocibundle/)
      assert.match(r.stderr, /TypeError: injected bug\n\s+at /)
    },
  },
}

async function anyManifest(): Promise<string> {
  const index = JSON.parse(await readFile(join(images, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> }
  return index.manifests[0]!.digest
}

/** The hello-world bundle built once into a layout with its image; its installer's first layer. */
let built: Promise<{ layout: string; layer: string }> | undefined

/** A copy of the built hello-world layout named `name`, to damage, and the layer to damage in it. */
async function builtCopy(name: string): Promise<{ layout: string; layer: string }> {
  built ??= (async () => {
    const layout = join(dir.path, 'built')
    const r = await expectExit(0, ['build', HELLO, '--output', layout, '--images', images, '--auto-update', '--json'])
    const changes = json<{ changes: Array<{ field: string; to: string }> }>(r).result.changes
    const installer = changes.find((c) => c.field === 'contentDigest')!.to
    const manifest = JSON.parse(await readFile(join(layout, 'blobs', 'sha256', installer.slice('sha256:'.length)), 'utf8')) as {
      layers: Array<{ digest: string }>
    }
    return { layout, layer: manifest.layers[0]!.digest }
  })()
  const { layout, layer } = await built
  const copy = join(dir.path, name)
  await copyTree(layout, copy)
  return { layout: copy, layer }
}

async function copyTree(from: string, to: string): Promise<void> {
  for (const entry of await readdir(from, { recursive: true, withFileTypes: true })) {
    const source = join(entry.parentPath, entry.name)
    const target = join(to, source.slice(from.length))
    if (entry.isDirectory()) await mkdir(target, { recursive: true })
    else {
      await mkdir(join(target, '..'), { recursive: true })
      await copyFile(source, target)
    }
  }
}

describe('exit codes: one test per row of the README table', () => {
  test('every row has a case', () => {
    assert.deepEqual(
      Object.keys(rows).map(Number),
      EXIT_CODES.map((e) => e.code),
    )
  })
  for (const row of EXIT_CODES) {
    test(`${row.code} ${row.name}: ${rows[row.code]?.what ?? 'no case'}`, async () => {
      await rows[row.code]!.run()
    })
  }
})
