import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { applyToAction, builtInActionName } from '../../src/cnab/index.js'
import { brief, bundle } from './helpers.js'

describe('rule 14 built-in-action-name', () => {
  test('custom actions with other names pass', () => {
    assert.deepEqual(builtInActionName(bundle({ actions: { 'io.cnab.status': {}, 'com.example.install-extra': {} } })), [])
  })

  test('install, upgrade and uninstall declared as custom actions are errors at each action', () => {
    const b = bundle({ actions: { install: {}, upgrade: {}, uninstall: {}, 'io.cnab.help': {} } })
    assert.deepEqual(brief(builtInActionName(b)), [
      'error built-in-action-name /actions/install',
      'error built-in-action-name /actions/upgrade',
      'error built-in-action-name /actions/uninstall',
    ])
  })
})

describe('rule 16 apply-to-action', () => {
  test('applyTo naming built-in actions or declared custom actions passes', () => {
    const b = bundle({
      actions: { 'io.cnab.status': {} },
      parameters: { p: { definition: 's', destination: { env: 'P' }, applyTo: ['install', 'upgrade', 'uninstall', 'io.cnab.status'] } },
      credentials: { c: { env: 'C', applyTo: ['io.cnab.status'] } },
      outputs: { o: { definition: 's', path: '/cnab/app/outputs/o', applyTo: ['install'] } },
    })
    assert.deepEqual(applyToAction(b), [])
  })

  test('an unknown action in applyTo of a parameter, credential or output is a warning at the entry', () => {
    const b = bundle({
      parameters: { p: { definition: 's', destination: { env: 'P' }, applyTo: ['install', 'instal'] } },
      credentials: { c: { env: 'C', applyTo: ['io.cnab.status'] } },
      outputs: { o: { definition: 's', path: '/cnab/app/outputs/o', applyTo: ['deploy'] } },
    })
    assert.deepEqual(brief(applyToAction(b)), [
      'warning apply-to-action /parameters/p/applyTo/1',
      'warning apply-to-action /credentials/c/applyTo/0',
      'warning apply-to-action /outputs/o/applyTo/0',
    ])
  })

  test('an inherited Object property name such as "constructor" is not mistaken for a declared action', () => {
    const b = bundle({ actions: {}, credentials: { c: { env: 'C', applyTo: ['constructor', '__proto__'] } } })
    assert.deepEqual(brief(applyToAction(b)), [
      'warning apply-to-action /credentials/c/applyTo/0',
      'warning apply-to-action /credentials/c/applyTo/1',
    ])
  })
})
