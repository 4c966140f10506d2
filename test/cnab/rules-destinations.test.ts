import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { destinationConflict, destinationPresent, inputPath, outputPath } from '../../src/cnab/index.js'
import { brief, bundle } from './helpers.js'

const S = { s: { type: 'string' } }

describe('rule 10 destination-present', () => {
  test('destinations and credentials with env, path or both pass', () => {
    const b = bundle({
      definitions: S,
      parameters: { a: { definition: 's', destination: { env: 'A' } }, b: { definition: 's', destination: { path: '/b' } } },
      credentials: { c: { env: 'C' }, d: { path: '/d' }, e: { env: 'E', path: '/e' } },
    })
    assert.deepEqual(destinationPresent(b), [])
  })

  test('an empty destination, empty strings and a credential without env or path are errors', () => {
    const b = bundle({
      definitions: S,
      parameters: { a: { definition: 's', destination: {} }, b: { definition: 's', destination: { env: '', path: '' } } },
      credentials: { c: { description: 'nothing' } },
    })
    assert.deepEqual(brief(destinationPresent(b)), [
      'error destination-present /parameters/a/destination',
      'error destination-present /parameters/b/destination',
      'error destination-present /credentials/c',
    ])
  })

  test('a missing destination is left to the schema pass (it is a required property)', () => {
    assert.deepEqual(destinationPresent(bundle({ parameters: { a: { definition: 's' } } })), [])
  })
})

describe('rule 11 input-path', () => {
  test('absolute clean paths outside /cnab/app/outputs pass, including /cnab/app/outputs-like siblings', () => {
    const b = bundle({
      parameters: { a: { definition: 's', destination: { path: '/etc/app/config.yaml' } } },
      credentials: { c: { path: '/cnab/app/outputsx/token' }, d: { path: '/root/.kube/config' } },
    })
    assert.deepEqual(inputPath(b), [])
  })

  test('relative, unclean (.., ., //, trailing slash) and outputs paths are errors at the path', () => {
    const paths = ['etc/x', '/etc/../x', '/etc/./x', '//etc/x', '/etc/x/', '/cnab/app/outputs', '/cnab/app/outputs/token']
    const b = bundle({ credentials: Object.fromEntries(paths.map((path, i) => [`c${i}`, { path }])) })
    assert.deepEqual(
      brief(inputPath(b)),
      paths.map((_, i) => `error input-path /credentials/c${i}/path`),
    )
    const messages = inputPath(b).map((i) => i.message)
    assert.match(messages[0]!, /is not absolute/)
    assert.match(messages[1]!, /is not clean/)
    assert.match(messages[6]!, /reserved for outputs/)
  })

  test('parameter destination paths are checked too', () => {
    const b = bundle({ parameters: { p: { definition: 's', destination: { path: '/cnab/app/outputs/p' } } } })
    assert.deepEqual(brief(inputPath(b)), ['error input-path /parameters/p/destination/path'])
  })
})

describe('rule 12 output-path', () => {
  test('clean, distinct paths strictly inside /cnab/app/outputs/ pass', () => {
    const b = bundle({
      outputs: { a: { definition: 's', path: '/cnab/app/outputs/a' }, b: { definition: 's', path: '/cnab/app/outputs/sub/b' } },
    })
    assert.deepEqual(outputPath(b), [])
  })

  test('traversal, the outputs directory itself and paths outside it are errors', () => {
    const b = bundle({
      outputs: {
        escape: { definition: 's', path: '/cnab/app/outputs/../../etc/passwd' },
        dir: { definition: 's', path: '/cnab/app/outputs/' },
        bare: { definition: 's', path: '/cnab/app/outputs' },
        outside: { definition: 's', path: '/tmp/out' },
      },
    })
    assert.deepEqual(brief(outputPath(b)), [
      'error output-path /outputs/escape/path',
      'error output-path /outputs/dir/path',
      'error output-path /outputs/bare/path',
      'error output-path /outputs/outside/path',
    ])
  })

  test('a path used twice is an error on the second output, naming the first', () => {
    const b = bundle({
      outputs: { first: { definition: 's', path: '/cnab/app/outputs/x' }, second: { definition: 's', path: '/cnab/app/outputs/x' } },
    })
    const issues = outputPath(b)
    assert.deepEqual(brief(issues), ['error output-path /outputs/second/path'])
    assert.match(issues[0]!.message, /already the path of output "first"/)
  })
})

describe('rule 13 destination-conflict', () => {
  test('distinct env names and paths without the CNAB_ prefix pass', () => {
    const b = bundle({
      parameters: { p: { definition: 's', destination: { env: 'PORT', path: '/etc/port' } } },
      credentials: { c: { env: 'TOKEN', path: '/etc/token' } },
    })
    assert.deepEqual(destinationConflict(b), [])
  })

  test('a parameter sharing an env or path with a credential is a warning at the parameter', () => {
    const b = bundle({
      parameters: { p: { definition: 's', destination: { env: 'TOKEN', path: '/etc/token' } } },
      credentials: { c: { env: 'TOKEN' }, f: { path: '/etc/token' } },
    })
    assert.deepEqual(brief(destinationConflict(b)), [
      'warning destination-conflict /parameters/p/destination/env',
      'warning destination-conflict /parameters/p/destination/path',
    ])
  })

  test('a CNAB_ env name on a parameter or credential is an error; lowercase cnab_ is not reserved', () => {
    const b = bundle({
      parameters: { p: { definition: 's', destination: { env: 'CNAB_ACTION' } }, q: { definition: 's', destination: { env: 'cnab_x' } } },
      credentials: { c: { env: 'CNAB_INSTALLATION_NAME' } },
    })
    assert.deepEqual(brief(destinationConflict(b)), [
      'error destination-conflict /parameters/p/destination/env',
      'error destination-conflict /credentials/c/env',
    ])
  })
})
