/**
 * saveCredentials / removeCredentials: Docker's file format, every other field of config.json
 * preserved, mode 0600 (directory 0700), helpers used when configured, symlinks followed.
 */
import assert from 'node:assert/strict'
import { mkdir, readFile, readlink, stat, symlink, writeFile, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { InputError, UsageError } from '../../../src/errors.js'
import { CredentialHelperError } from '../../../src/registry/credentials/credential-helper.js'
import { resolveCredential } from '../../../src/registry/credentials/resolve-credential.js'
import { removeCredentials, saveCredentials } from '../../../src/registry/credentials/save-credentials.js'
import { assertNoSecrets, thrownBy } from '../auth/no-secrets.js'
import { seedHelperStore } from './fake-helper.js'
import { b64, makeCredentialEnv, type CredentialEnv } from './credential-env.js'

let ce: CredentialEnv
beforeEach(async () => {
  ce = await makeCredentialEnv()
})
afterEach(() => ce.cleanup())

const readConfig = async (): Promise<Record<string, unknown>> =>
  JSON.parse(await readFile(ce.configPath, 'utf8')) as Record<string, unknown>
const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777

/** A config.json with everything Docker and other tools put there. */
const RICH_CONFIG = {
  auths: {
    'other.example': { auth: b64('o:p'), email: 'o@example.com' },
    'a.example': { auth: b64('stale:old'), identitytoken: 'stale-token', email: 'a@example.com' },
  },
  psFormat: 'table {{.ID}}\\t{{.Names}}',
  proxies: { default: { httpProxy: 'http://proxy:3128', noProxy: '*.local' } },
  plugins: { compose: { hidden: 'false' } },
  currentContext: 'remote',
  'x-unknown-future-field': [1, { nested: true }, null],
}

describe('saveCredentials to config.json', () => {
  test('creates the file 0600 in a new 0700 directory, with base64 auth, readable back', async () => {
    const where = await saveCredentials('localhost:5000', { username: 'alice', password: 's3cret:with:colons' }, { env: ce.env })
    assert.deepEqual(where, { kind: 'file', path: ce.configPath })
    assert.deepEqual(await readConfig(), { auths: { 'localhost:5000': { auth: b64('alice:s3cret:with:colons') } } })
    assert.equal(await mode(ce.configPath), 0o600)
    assert.equal(await mode(join(ce.configPath, '..')), 0o700)
    assert.match(await readFile(ce.configPath, 'utf8'), /^\{\n\t"auths"/, 'tab-indented like the Docker CLI')
    assert.deepEqual(await resolveCredential('localhost:5000', { env: ce.env }), { username: 'alice', password: 's3cret:with:colons' })
  })

  test("replaces only the registry's secrets; every other field and entry is kept", async () => {
    await ce.writeConfig(RICH_CONFIG)
    await chmod(ce.configPath, 0o644)
    await saveCredentials('a.example', { username: 'alice', password: 'new' }, { env: ce.env })
    assert.deepEqual(await readConfig(), {
      ...RICH_CONFIG,
      auths: { ...RICH_CONFIG.auths, 'a.example': { email: 'a@example.com', auth: b64('alice:new') } },
    })
    assert.equal(await mode(ce.configPath), 0o600, 'tightened to 0600')
  })

  test("an identity token is stored as identitytoken with the user name in auth (Docker's form)", async () => {
    await saveCredentials(
      'acr.example',
      { identityToken: 'refresh-abc', username: '00000000-0000-0000-0000-000000000000' },
      { env: ce.env },
    )
    assert.deepEqual(await readConfig(), {
      auths: { 'acr.example': { auth: b64('00000000-0000-0000-0000-000000000000:'), identitytoken: 'refresh-abc' } },
    })
    assert.deepEqual(await resolveCredential('acr.example', { env: ce.env }), {
      identityToken: 'refresh-abc',
      username: '00000000-0000-0000-0000-000000000000',
    })
  })

  test('Docker Hub is saved under https://index.docker.io/v1/', async () => {
    await saveCredentials('docker.io', { username: 'hub', password: 'pw' }, { env: ce.env })
    assert.deepEqual(Object.keys((await readConfig()).auths as object), ['https://index.docker.io/v1/'])
  })

  test('a symlinked config.json: the target is replaced and the link kept', async () => {
    const real = join(ce.root, 'dotfiles', 'docker-config.json')
    await mkdir(join(real, '..'), { recursive: true })
    await writeFile(real, JSON.stringify({ psFormat: 'x' }))
    await mkdir(join(ce.configPath, '..'), { recursive: true })
    await symlink(real, ce.configPath)
    await saveCredentials('a.example', { username: 'u', password: 'p' }, { env: ce.env })
    assert.equal(await readlink(ce.configPath), real)
    assert.deepEqual(JSON.parse(await readFile(real, 'utf8')), { psFormat: 'x', auths: { 'a.example': { auth: b64('u:p') } } })
  })

  test('a user name with ":" is refused as a usage error', async () => {
    await assert.rejects(saveCredentials('a.example', { username: 'a:b', password: 'p' }, { env: ce.env }), UsageError)
  })

  test('an unreadable config is not overwritten', async () => {
    await ce.writeConfig('{ not json')
    await assert.rejects(saveCredentials('a.example', { username: 'u', password: 'p' }, { env: ce.env }), InputError)
    assert.equal(await readFile(ce.configPath, 'utf8'), '{ not json')
  })
})

describe('saveCredentials with a credential helper', () => {
  test('credsStore: the secret goes to the helper; config.json only gets an empty marker entry', async () => {
    await ce.writeConfig({ ...RICH_CONFIG, credsStore: 'test' })
    const where = await saveCredentials('a.example', { username: 'alice', password: 'helper-secret' }, { env: ce.env })
    assert.deepEqual(where, { kind: 'helper', helper: 'test' })
    assert.deepEqual(await ce.helperEntries(), { 'a.example': { ServerURL: 'a.example', Username: 'alice', Secret: 'helper-secret' } })
    const config = await readConfig()
    assert.deepEqual(
      (config.auths as Record<string, unknown>)['a.example'],
      { email: 'a@example.com' },
      'stale secrets removed from the file',
    )
    assert.ok(!JSON.stringify(config).includes('helper-secret'))
    assert.deepEqual(await resolveCredential('a.example', { env: ce.env }), { username: 'alice', password: 'helper-secret' })
  })

  test('credHelpers: identity tokens are stored with the <token> user name', async () => {
    await ce.writeConfig({ credHelpers: { 'acr.example': 'other' } })
    await saveCredentials('acr.example', { identityToken: 'refresh-xyz' }, { env: ce.env })
    assert.deepEqual(await ce.helperCalls(), [
      { helper: 'other', action: 'store', input: JSON.stringify({ ServerURL: 'acr.example', Username: '<token>', Secret: 'refresh-xyz' }) },
    ])
  })

  test('a helper failing on store: the error never contains the secret, even if the helper echoes it', async () => {
    await ce.writeConfig({ credsStore: 'test' })
    const err = await thrownBy(() =>
      saveCredentials('a.example', { username: 'alice', password: 'Echoed-Secret-99' }, { env: { ...ce.env, FAKE_HELPER_MODE: 'fail' } }),
    )
    assert.ok(err instanceof CredentialHelperError)
    assert.match(err.message, /docker-credential-test store failed \(exit status 1\): helper exploded on: .*\*\*\*/)
    assertNoSecrets(err, ['Echoed-Secret-99'])
  })
})

describe('removeCredentials', () => {
  test('removes every key naming the registry and keeps the rest', async () => {
    await ce.writeConfig({
      ...RICH_CONFIG,
      auths: { ...RICH_CONFIG.auths, 'https://a.example': { auth: b64('x:y') }, 'http://a.example/': { auth: b64('x:y') } },
    })
    assert.equal(await removeCredentials('a.example', { env: ce.env }), true)
    assert.deepEqual(await readConfig(), { ...RICH_CONFIG, auths: { 'other.example': RICH_CONFIG.auths['other.example'] } })
    assert.equal(await mode(ce.configPath), 0o600)
  })

  test('nothing stored: false, and the file is left alone', async () => {
    assert.equal(await removeCredentials('a.example', { env: ce.env }), false)
    await ce.writeConfig(RICH_CONFIG)
    const before = await readFile(ce.configPath, 'utf8')
    assert.equal(await removeCredentials('nothing.example', { env: ce.env }), false)
    assert.equal(await readFile(ce.configPath, 'utf8'), before)
  })

  test('Docker Hub logout removes its v1 key and alias keys', async () => {
    await ce.writeConfig({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('a:b') },
        'registry-1.docker.io': { auth: b64('a:b') },
        'ghcr.io': { auth: b64('a:b') },
      },
    })
    assert.equal(await removeCredentials('docker.io', { env: ce.env }), true)
    assert.deepEqual(await readConfig(), { auths: { 'ghcr.io': { auth: b64('a:b') } } })
  })

  test('with a helper: erased from the helper and the marker entry removed', async () => {
    await seedHelperStore(ce.helperStore, { 'a.example': { Username: 'u', Secret: 's' } })
    await ce.writeConfig({ credsStore: 'test', auths: { 'a.example': {} } })
    assert.equal(await removeCredentials('a.example', { env: ce.env }), true)
    assert.deepEqual(await ce.helperEntries(), {})
    assert.deepEqual(await readConfig(), { credsStore: 'test', auths: {} })
    assert.equal(await removeCredentials('a.example', { env: ce.env }), false, 'helper says not found the second time')
  })
})
