/**
 * Host configuration: the file (location, strict validation, relative paths, proxy), environment
 * variables, flags, and their precedence (flags > env > file > automatic).
 */
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { InputError } from '../../../src/errors.js'
import { hostConfigFilePath, loadHostConfigFile } from '../../../src/registry/config/host-config-file.js'
import { resolveHostConfigs } from '../../../src/registry/config/resolve-host-configs.js'
import { makeTempDir, type TempDir } from '../../helpers/tmp.js'

let tmp: TempDir
let ca: string
let ca2: string
beforeEach(async () => {
  tmp = await makeTempDir('ocibundle-hostcfg-')
  ca = join(tmp.path, 'ca.pem')
  ca2 = join(tmp.path, 'ca2.pem')
  await writeFile(ca, 'pem')
  await writeFile(ca2, 'pem')
})
afterEach(() => tmp.cleanup())

async function configFile(doc: unknown, name = 'config.json'): Promise<string> {
  const path = join(tmp.path, name)
  await writeFile(path, typeof doc === 'string' ? doc : JSON.stringify(doc))
  return path
}

describe('hostConfigFilePath', () => {
  test('$OCIBUNDLE_CONFIG (explicit), else $XDG_CONFIG_HOME or ~/.config', () => {
    assert.deepEqual(hostConfigFilePath({ OCIBUNDLE_CONFIG: '/etc/o.json', XDG_CONFIG_HOME: '/x' }), {
      path: '/etc/o.json',
      explicit: true,
    })
    assert.deepEqual(hostConfigFilePath({ XDG_CONFIG_HOME: '/x', HOME: '/home/u' }), { path: '/x/ocibundle/config.json', explicit: false })
    assert.deepEqual(hostConfigFilePath({ HOME: '/home/u' }), { path: '/home/u/.config/ocibundle/config.json', explicit: false })
  })
})

describe('loadHostConfigFile', () => {
  test('hosts with normalised keys and caFile relative to the file', async () => {
    const path = await configFile({
      hosts: { 'Registry.Local:5000': { plainHttp: true }, 'index.docker.io': { insecure: false }, '*': { caFile: 'ca.pem' } },
    })
    assert.deepEqual(await loadHostConfigFile(path), {
      'registry.local:5000': { plainHttp: true },
      'docker.io': { insecure: false },
      '*': { caFile: ca },
    })
  })

  test('a missing file is empty unless required', async () => {
    assert.deepEqual(await loadHostConfigFile(join(tmp.path, 'none.json')), {})
    await assert.rejects(
      loadHostConfigFile(join(tmp.path, 'none.json'), { required: true }),
      /host configuration file .*none\.json does not exist/,
    )
    assert.deepEqual(await loadHostConfigFile(await configFile({})), {})
  })

  const invalid: Array<[string, unknown, RegExp]> = [
    ['not JSON (comments)', '{ // comment\n}', /config\.json: not valid JSON/],
    [
      'duplicate keys',
      '{"hosts": {"a": {"plainHttp": true, "plainHttp": false}}}',
      /duplicate key in JSON object: "plainHttp" at \/hosts\/a\/plainHttp/,
    ],
    ['not an object', '[]', /must hold a JSON object/],
    ['unknown top-level field', { host: {} }, /unknown field "host" \(expected "hosts"\)/],
    ['hosts not an object', { hosts: [] }, /"hosts" must be an object/],
    [
      'unknown host field (typo)',
      { hosts: { a: { plainHTTP: true } } },
      /hosts\["a"\]: unknown field "plainHTTP" \(expected plainHttp, insecure, caFile, certFile, keyFile, proxy, connectTimeoutMs, headersTimeoutMs, idleTimeoutMs\)/,
    ],
    ['wrong type', { hosts: { a: { insecure: 'yes' } } }, /hosts\["a"\]\.insecure must be true or false/],
    ['empty caFile', { hosts: { a: { caFile: '' } } }, /caFile must be a non-empty string/],
    [
      'a time limit that is not whole milliseconds',
      { hosts: { a: { connectTimeoutMs: 1.5 } } },
      /connectTimeoutMs must be a whole number of milliseconds/,
    ],
    ['URL as key', { hosts: { 'https://a.example': {} } }, /"https:\/\/a\.example" is not a registry host; write host\[:port\]/],
    ['two keys for one registry', { hosts: { 'A.example': {}, 'a.example': {} } }, /names the same registry as another entry/],
  ]
  for (const [name, doc, message] of invalid) {
    test(`refuses ${name}, naming the file`, async () => {
      const path = await configFile(doc)
      await assert.rejects(
        loadHostConfigFile(path),
        (err: unknown) => err instanceof InputError && err.message.startsWith(path) && message.test(err.message),
      )
    })
  }

  test('refuses an oversized file', async () => {
    const path = await configFile(`{"hosts": {}, "pad": "${'x'.repeat(1024 * 1024)}"}`)
    await assert.rejects(loadHostConfigFile(path), /larger than the 1 MiB limit/)
  })
})

describe('resolveHostConfigs', () => {
  test('nothing configured: no entries (automatic: HTTPS, plain HTTP on loopback)', async () => {
    assert.deepEqual(await resolveHostConfigs({ env: { HOME: tmp.path } }), {})
  })

  test('environment: comma lists of hosts, * for all, OCIBUNDLE_CA_FILE for all', async () => {
    const hosts = await resolveHostConfigs({
      file: await configFile({}),
      env: { OCIBUNDLE_PLAIN_HTTP: 'a.example:5000, B.example ,', OCIBUNDLE_INSECURE: 'b.example', OCIBUNDLE_CA_FILE: ca },
    })
    assert.deepEqual(hosts, {
      'a.example:5000': { plainHttp: true, caFile: ca },
      'b.example': { plainHttp: true, insecure: true, caFile: ca },
      '*': { caFile: ca },
    })
    assert.deepEqual(await resolveHostConfigs({ file: await configFile({}), env: { OCIBUNDLE_INSECURE: '*' } }), {
      '*': { insecure: true },
    })
  })

  test("flags apply to the command's registries, or to every registry", async () => {
    assert.deepEqual(
      await resolveHostConfigs({
        file: await configFile({}),
        env: {},
        flags: { plainHttp: true, registries: ['docker.io', 'registry-1.docker.io', 'r.local:5000'] },
      }),
      {
        'docker.io': { plainHttp: true },
        'r.local:5000': { plainHttp: true },
      },
    )
    assert.deepEqual(await resolveHostConfigs({ file: await configFile({}), env: {}, flags: { insecure: true, caFile: ca } }), {
      '*': { insecure: true, caFile: ca },
    })
    assert.deepEqual(
      await resolveHostConfigs({ file: await configFile({}), env: {}, flags: { registries: ['x'] } }),
      {},
      'no flag set: nothing',
    )
  })

  test("precedence per setting: flags > env > file, and a host's own entry > * within a source", async () => {
    const file = await configFile({
      hosts: {
        'a.example': { plainHttp: true, insecure: true, caFile: 'ca.pem' },
        'b.example': { insecure: true },
        '*': { plainHttp: false },
      },
    })
    const hosts = await resolveHostConfigs({
      file,
      env: { OCIBUNDLE_INSECURE: 'c.example', OCIBUNDLE_CA_FILE: ca2 },
      flags: { plainHttp: false, registries: ['a.example'] },
    })
    assert.deepEqual(hosts, {
      // flags beat the file's plainHttp; env's CA (for all) beats the file's own caFile; insecure only from the file.
      'a.example': { plainHttp: false, insecure: true, caFile: ca2 },
      'b.example': { plainHttp: false, insecure: true, caFile: ca2 },
      'c.example': { plainHttp: false, insecure: true, caFile: ca2 },
      '*': { plainHttp: false, caFile: ca2 },
    })
  })

  test('$OCIBUNDLE_CONFIG names the file, which must exist', async () => {
    const file = await configFile({ hosts: { 'a.example': { plainHttp: true } } }, 'custom.json')
    assert.deepEqual(await resolveHostConfigs({ env: { OCIBUNDLE_CONFIG: file } }), { 'a.example': { plainHttp: true } })
    await assert.rejects(resolveHostConfigs({ env: { OCIBUNDLE_CONFIG: join(tmp.path, 'missing.json') } }), /does not exist/)
  })

  test('the default file under XDG_CONFIG_HOME is read when present', async () => {
    await mkdir(join(tmp.path, 'ocibundle'))
    await configFile({ hosts: { 'a.example': { insecure: true } } }, join('ocibundle', 'config.json'))
    assert.deepEqual(await resolveHostConfigs({ env: { XDG_CONFIG_HOME: tmp.path } }), {
      'a.example': { insecure: true, plainHttp: false },
    })
  })

  test('TLS settings named for a host turn off automatic plain HTTP for it; * settings do not', async () => {
    const file = await configFile({})
    assert.deepEqual(await resolveHostConfigs({ file, env: {}, flags: { caFile: ca, registries: ['localhost:5000'] } }), {
      'localhost:5000': { caFile: ca, plainHttp: false },
    })
    assert.deepEqual(await resolveHostConfigs({ file, env: { OCIBUNDLE_INSECURE: 'localhost:5000' } }), {
      'localhost:5000': { insecure: true, plainHttp: false },
    })
    assert.deepEqual(await resolveHostConfigs({ file, env: { OCIBUNDLE_PLAIN_HTTP: 'localhost:5000', OCIBUNDLE_CA_FILE: ca } }), {
      'localhost:5000': { plainHttp: true, caFile: ca },
      '*': { caFile: ca },
    })
    assert.deepEqual(await resolveHostConfigs({ file, env: {}, flags: { insecure: false, registries: ['localhost:5000'] } }), {
      'localhost:5000': { insecure: false },
    })
  })

  test('a CA file that cannot be read is reported with where it was set', async () => {
    await assert.rejects(
      resolveHostConfigs({ env: { HOME: tmp.path }, flags: { caFile: join(tmp.path, 'nope.pem') } }),
      /the CA file .*nope\.pem \(from --ca-file\) cannot be read: .*nope\.pem does not exist \(ENOENT\)/,
    )
    await assert.rejects(
      resolveHostConfigs({ env: { HOME: tmp.path, OCIBUNDLE_CA_FILE: join(tmp.path, 'nope.pem') } }),
      /\(from OCIBUNDLE_CA_FILE\)/,
    )
    const file = await configFile({ hosts: { a: { caFile: 'nope.pem' } } })
    await assert.rejects(
      resolveHostConfigs({ file, env: {} }),
      new RegExp(`\\(from caFile in ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)`),
    )
  })

  test('malformed variables are reported with the variable name', async () => {
    await assert.rejects(
      resolveHostConfigs({ env: { HOME: tmp.path, OCIBUNDLE_PLAIN_HTTP: 'http://a.example' } }),
      /OCIBUNDLE_PLAIN_HTTP: "http:\/\/a\.example" is not a registry host/,
    )
  })

  test('proxy: --proxy > hosts option > file, false for a direct connection, and the URL validated where it was set', async () => {
    const file = await configFile({
      hosts: { 'a.example': { proxy: 'file-proxy:3128' }, 'b.example': { proxy: false }, '*': { proxy: 'http://star:1' } },
    })
    assert.deepEqual(await resolveHostConfigs({ file, env: {} }), {
      'a.example': { proxy: 'http://file-proxy:3128/' },
      'b.example': { proxy: false },
      '*': { proxy: 'http://star:1/' },
    })
    const flagged = await resolveHostConfigs({
      file,
      env: {},
      flags: { proxy: 'http://flag:2', registries: ['a.example'] },
      hosts: { 'b.example': { proxy: 'http://code:3' } },
    })
    assert.equal(flagged['a.example']!.proxy, 'http://flag:2/')
    assert.equal(flagged['b.example']!.proxy, 'http://code:3/')
    await assert.rejects(
      resolveHostConfigs({ file: await configFile({ hosts: { a: { proxy: 'ftp://u:secret@p' } } }, 'bad.json'), env: {} }),
      (err: unknown) => err instanceof InputError && /hosts\["a"\]\.proxy/.test(err.message) && !err.message.includes('secret'),
    )
  })

  test('a client certificate brings its key from the same place; a key alone is an error; both are checked as PEM', async () => {
    const { generateKeyPairSync } = await import('node:crypto')
    const key = join(tmp.path, 'k.pem')
    await writeFile(key, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }))
    await assert.rejects(
      resolveHostConfigs({ env: {}, flags: { certFile: ca, keyFile: key } }),
      /the client certificate .*ca\.pem \(from --cert-file\) holds no PEM certificate/,
    )
    await assert.rejects(resolveHostConfigs({ env: {}, flags: { keyFile: key } }), /a client key is given without its certificate/)
    await assert.rejects(
      resolveHostConfigs({ file: await configFile({ hosts: { a: { keyFile: 'k.pem' } } }, 'key-only.json'), env: {} }),
      /a client key is given without its certificate \(certFile in .*key-only\.json is missing for a\)/,
    )
  })
})
