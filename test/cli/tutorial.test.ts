/**
 * The README's "Your first bundle" runs as written: its step 2 is cut out of README.md and run
 * by bash in a scratch directory laid out like a clone (bundles/, scripts/, src/, package.json
 * and node_modules linked from this one), with `ocibundle` on PATH as `npm link` puts it, against
 * a registry started here in place of the one of step 1 (its address replaces localhost:5000).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmod, copyFile, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { ROOT } from '../helpers/cli.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { makeTempDir, type TempDir } from '../helpers/tmp.js'

let dir: TempDir
let reg: RunningRegistry

before(async () => {
  ;[dir, reg] = await Promise.all([makeTempDir('tutorial-'), startRegistry('plain')])
})
after(async () => {
  await reg.stop()
  await dir.cleanup()
})

/** The sh block of the tutorial that runs `npm run example-images`. */
async function tutorialCommands(): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Your first bundle'), readme.indexOf('## Using it'))
  const block = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('npm run example-images'))
  assert.ok(block !== undefined, 'the tutorial has a sh block with its commands')
  return block
}

test("the README's first-bundle tutorial: build, push, inspect, pull and check, as written", async () => {
  const clone = join(dir.path, 'clone')
  await mkdir(clone)
  for (const name of ['bundles', 'scripts', 'src', 'node_modules', 'bin', 'dist']) await symlink(join(ROOT, name), join(clone, name))
  for (const name of ['package.json', 'oclif.manifest.json', 'tsconfig.json']) await copyFile(join(ROOT, name), join(clone, name))
  const bin = join(dir.path, 'bin')
  await mkdir(bin)
  await writeFile(join(bin, 'ocibundle'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin', 'run.js')}" "$@"\n`)
  await chmod(join(bin, 'ocibundle'), 0o755)

  const script = (await tutorialCommands()).replaceAll('localhost:5000', reg.host)
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    NO_COLOR: '1',
    npm_config_update_notifier: 'false',
    HOME: join(dir.path, 'home'),
    DOCKER_CONFIG: join(dir.path, 'docker'),
    XDG_CONFIG_HOME: join(dir.path, 'xdg'),
    XDG_CACHE_HOME: join(dir.path, 'cache'),
  }
  const { stdout } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(
      'bash',
      ['-euo', 'pipefail', '-c', script],
      { cwd: clone, env, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 },
      (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${out}\n${errOut}`)) : resolve({ stdout: out, stderr: errOut })),
    )
  })
  assert.match(stdout, /^Pushed ocidir:\/\/\.\/shop-oci:v2\.3\.1 → .*\/acme\/shop:v2\.3\.1$/m)
  assert.match(stdout, /^io\.ocibundle\.examples\.shop 2\.3\.1 {2}sha256:[0-9a-f]{64}$/m)
  assert.match(stdout, /✔ \.\/shop\/bundle\.json: valid/)
  assert.match(stdout, /^same bundle digest$/m)
  for (const file of [
    'shop/bundle.json',
    'shop/relocation-mapping.json',
    'shop/artifacts/layout/index.json',
    'shop-oci/index.json',
    'images/index.json',
  ]) {
    assert.ok((await stat(join(clone, file))).isFile(), file)
  }
})
