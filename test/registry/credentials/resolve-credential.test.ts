/**
 * Credential resolution in Docker's order (credHelpers > credsStore > auths), key normalisation
 * (Hub's keys, https:// forms, namespaces), the helper protocol with a fake helper on PATH, and
 * the containers auth files as a lower-priority source.
 */
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { InputError } from '../../../src/errors.js'
import { CredentialHelperError, helperGet } from '../../../src/registry/credentials/credential-helper.js'
import { dockerCredentials, resolveCredential } from '../../../src/registry/credentials/resolve-credential.js'
import { assertNoSecrets, thrownBy } from '../auth/no-secrets.js'
import { seedHelperStore } from './fake-helper.js'
import { b64, makeCredentialEnv, type CredentialEnv } from './credential-env.js'

let ce: CredentialEnv
beforeEach(async () => {
  ce = await makeCredentialEnv()
})
afterEach(() => ce.cleanup())

const resolve = (registry: string) => resolveCredential(registry, { env: ce.env })

describe('auths in config.json', () => {
  test('no config file: anonymous', async () => {
    assert.equal(await resolve('ghcr.io'), undefined)
  })

  test('auth (base64 user:pass; the password may hold colons), legacy username/password, identitytoken, registrytoken', async () => {
    await ce.writeConfig({
      auths: {
        'a.example': { auth: b64('alice:pa:ss') },
        'b.example': { username: 'bob', password: 'pw' },
        'c.example': { auth: b64('carol:'), identitytoken: 'refresh-123' },
        'd.example': { registrytoken: 'bearer-xyz', auth: b64('dan:pw') },
        'e.example': {},
      },
    })
    assert.deepEqual(await resolve('a.example'), { username: 'alice', password: 'pa:ss' })
    assert.deepEqual(await resolve('b.example'), { username: 'bob', password: 'pw' })
    assert.deepEqual(await resolve('c.example'), { identityToken: 'refresh-123', username: 'carol' })
    assert.deepEqual(await resolve('d.example'), { registryToken: 'bearer-xyz' })
    assert.equal(await resolve('e.example'), undefined, 'an empty entry is a marker, not a credential')
    assert.equal(await resolve('f.example'), undefined)
  })

  test('Docker Hub: its v1 key and every alias key are found for docker.io', async () => {
    for (const key of [
      'https://index.docker.io/v1/',
      'index.docker.io',
      'docker.io',
      'registry-1.docker.io',
      'https://index.docker.io',
      'https://registry-1.docker.io/v2/',
    ]) {
      await ce.writeConfig({ auths: { [key]: { auth: b64('hubuser:hubpw') } } })
      assert.deepEqual(await resolve('docker.io'), { username: 'hubuser', password: 'hubpw' }, key)
    }
  })

  test('https:// and http:// forms of a host; the exact key wins over them', async () => {
    await ce.writeConfig({ auths: { 'http://localhost:5000/': { auth: b64('old:1') }, 'https://Registry.Example': { auth: b64('u:2') } } })
    assert.deepEqual(await resolve('localhost:5000'), { username: 'old', password: '1' })
    assert.deepEqual(await resolve('registry.example'), { username: 'u', password: '2' })
    await ce.writeConfig({ auths: { 'https://localhost:5000': { auth: b64('old:1') }, 'localhost:5000': { auth: b64('new:2') } } })
    assert.deepEqual(await resolve('localhost:5000'), { username: 'new', password: '2' })
  })

  test('containers-style namespace keys do not match the whole registry', async () => {
    await ce.writeConfig({ auths: { 'quay.io/team': { auth: b64('team:pw') } } })
    assert.equal(await resolve('quay.io'), undefined)
  })

  test('malformed files: InputError naming the file, never quoting it', async () => {
    await ce.writeConfig(`{"auths": {"x": {"auth": "${b64('alice:Secret-Pw-1')}"}},, }`)
    const err = await thrownBy(() => resolve('x'))
    assert.ok(err instanceof InputError)
    assert.match(err.message, new RegExp(`^${ce.configPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid JSON`))
    assertNoSecrets(err, [b64('alice:Secret-Pw-1'), 'Secret-Pw-1'])

    await ce.writeConfig({ auths: { x: { auth: b64('no-colon-here') } } })
    await assert.rejects(resolve('x'), /auths\["x"\]\): "auth" is not base64 of "username:password"/)
    await ce.writeConfig({ auths: ['x'] })
    await assert.rejects(resolve('x'), /"auths" must be an object of objects/)
    await ce.writeConfig({ credHelpers: { x: 1 } })
    await assert.rejects(resolve('x'), /"credHelpers" must map registries to helper names/)
    await ce.writeConfig('[]')
    await assert.rejects(resolve('x'), /must hold a JSON object/)
  })
})

describe('credential helpers', () => {
  test('credsStore is used instead of auths (the helper is chosen, not tried in turn)', async () => {
    await seedHelperStore(ce.helperStore, { 'a.example': { Username: 'helperuser', Secret: 'helper-pw' } })
    await ce.writeConfig({
      credsStore: 'test',
      auths: { 'a.example': { auth: b64('fileuser:file-pw') }, 'b.example': { auth: b64('fileuser:file-pw') } },
    })
    assert.deepEqual(await resolve('a.example'), { username: 'helperuser', password: 'helper-pw' })
    assert.equal(await resolve('b.example'), undefined, 'helper has nothing: Docker does not fall back to auths')
    assert.deepEqual(await ce.helperCalls(), [
      { helper: 'test', action: 'get', input: 'a.example' },
      { helper: 'test', action: 'get', input: 'b.example' },
    ])
  })

  test('credHelpers[host] wins over credsStore; other hosts use credsStore', async () => {
    await seedHelperStore(ce.helperStore, { 'a.example': { Username: 'u', Secret: 's' }, 'b.example': { Username: 'v', Secret: 't' } })
    await ce.writeConfig({ credsStore: 'test', credHelpers: { 'a.example': 'other' } })
    await resolve('a.example')
    await resolve('b.example')
    assert.deepEqual(
      (await ce.helperCalls()).map((c) => `${c.helper} ${c.input}`),
      ['other a.example', 'test b.example'],
    )
  })

  test('an empty credHelpers/credsStore entry means no helper', async () => {
    await ce.writeConfig({ credsStore: '', auths: { 'a.example': { auth: b64('u:p') } } })
    assert.deepEqual(await resolve('a.example'), { username: 'u', password: 'p' })
  })

  test('Docker Hub is asked for as https://index.docker.io/v1/ (raw URL on stdin, no newline)', async () => {
    await seedHelperStore(ce.helperStore, { 'https://index.docker.io/v1/': { Username: 'hub', Secret: 'hubsecret' } })
    await ce.writeConfig({ credHelpers: { 'docker.io': 'test' } })
    assert.deepEqual(await resolve('docker.io'), { username: 'hub', password: 'hubsecret' })
    assert.deepEqual(await ce.helperCalls(), [{ helper: 'test', action: 'get', input: 'https://index.docker.io/v1/' }])
  })

  test('Username "<token>" means the secret is an identity token', async () => {
    await seedHelperStore(ce.helperStore, { 'acr.example': { Username: '<token>', Secret: 'aad-refresh' } })
    await ce.writeConfig({ credsStore: 'test' })
    assert.deepEqual(await resolve('acr.example'), { identityToken: 'aad-refresh' })
  })

  test('a helper that is not installed: CredentialHelperError with a suggestion', async () => {
    await ce.writeConfig({ credsStore: 'missing' })
    await assert.rejects(resolve('a.example'), (err: unknown) => {
      assert.ok(err instanceof CredentialHelperError)
      assert.equal(err.message, 'docker-credential-missing was not found on PATH')
      assert.match(err.suggestions[0]!, /install docker-credential-missing/)
      return true
    })
  })

  test('a helper that hangs is killed after the timeout', async () => {
    await ce.writeConfig({ credsStore: 'test' })
    const started = Date.now()
    await assert.rejects(
      resolveCredential('a.example', { env: { ...ce.env, FAKE_HELPER_MODE: 'hang' }, helperTimeoutMs: 300 }),
      /docker-credential-test get did not finish within 0\.3 s/,
    )
    assert.ok(Date.now() - started < 5000)
  })

  test('a failing helper: its stdout message (first line), never its stderr', async () => {
    await ce.writeConfig({ credsStore: 'test' })
    const err = await thrownBy(() => resolveCredential('a.example', { env: { ...ce.env, FAKE_HELPER_MODE: 'fail' } }))
    assert.ok(err instanceof CredentialHelperError)
    assert.equal(err.message, 'docker-credential-test get failed (exit status 1): helper exploded on: a.example')
  })

  test('helper names that are not plain names are refused before running anything', async () => {
    await assert.rejects(helperGet('../../bin/sh', 'x', { env: ce.env }), /invalid credential helper name/)
    await assert.rejects(helperGet('-rf', 'x', { env: ce.env }), /invalid credential helper name/)
  })

  test('a helper answering something that is not JSON', async () => {
    const bin = join(ce.root, 'bin', 'docker-credential-garbage')
    await writeFile(bin, '#!/bin/sh\necho not json\n', { mode: 0o755 })
    await assert.rejects(helperGet('garbage', 'x', { env: ce.env }), /answered something that is not JSON/)
  })
})

describe('containers auth files (lower priority, read-only)', () => {
  async function writeAuthFile(path: string, auths: Record<string, unknown>): Promise<void> {
    await mkdir(join(path, '..'), { recursive: true })
    await writeFile(path, JSON.stringify({ auths }))
  }

  test('REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR and XDG_CONFIG_HOME files are read when Docker has nothing', async () => {
    const authFile = join(ce.root, 'skopeo-auth.json')
    const runtime = join(ce.root, 'run')
    const xdg = join(ce.root, 'xdg')
    await writeAuthFile(authFile, { 'a.example': { auth: b64('fromfile:1') } })
    await writeAuthFile(join(runtime, 'containers', 'auth.json'), {
      'a.example': { auth: b64('fromruntime:2') },
      'b.example': { auth: b64('fromruntime:2') },
    })
    await writeAuthFile(join(xdg, 'containers', 'auth.json'), { 'c.example': { auth: b64('fromxdg:3') } })
    const env = { ...ce.env, REGISTRY_AUTH_FILE: authFile, XDG_RUNTIME_DIR: runtime, XDG_CONFIG_HOME: xdg }
    assert.deepEqual(await resolveCredential('a.example', { env }), { username: 'fromfile', password: '1' })
    assert.deepEqual(await resolveCredential('b.example', { env }), { username: 'fromruntime', password: '2' })
    assert.deepEqual(await resolveCredential('c.example', { env }), { username: 'fromxdg', password: '3' })
  })

  test("Docker's config wins over the containers files", async () => {
    const authFile = join(ce.root, 'auth.json')
    await writeAuthFile(authFile, { 'a.example': { auth: b64('podman:1') } })
    await ce.writeConfig({ auths: { 'a.example': { auth: b64('docker:2') } } })
    assert.deepEqual(await resolveCredential('a.example', { env: { ...ce.env, REGISTRY_AUTH_FILE: authFile } }), {
      username: 'docker',
      password: '2',
    })
  })

  test('~/.config/containers/auth.json is the default when XDG_CONFIG_HOME is unset', async () => {
    await writeAuthFile(join(ce.env.HOME!, '.config', 'containers', 'auth.json'), { 'a.example': { auth: b64('home:1') } })
    assert.deepEqual(await resolve('a.example'), { username: 'home', password: '1' })
  })
})

describe('dockerCredentials', () => {
  test('is resolveCredential bound to its options', async () => {
    await ce.writeConfig({ auths: { 'a.example': { auth: b64('u:p') } } })
    assert.deepEqual(await dockerCredentials({ env: ce.env })('a.example'), { username: 'u', password: 'p' })
  })
})
