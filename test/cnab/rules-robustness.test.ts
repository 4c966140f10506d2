/**
 * Every semantic rule must tolerate any JSON value anywhere: the rules also run on documents the
 * schema rejected. Random documents and random mutations of a full bundle go through every rule
 * and the whole pipeline; nothing may throw, and every issue must carry its rule's id, a severity
 * the registry declares for the mode, and a pointer that exists in the document.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  canonicalBytes,
  listRules,
  pointerTokens,
  semanticRules,
  validateBundle,
  type Issue,
  type ValidationMode,
} from '../../src/cnab/index.js'
import { fixtureJson } from './helpers.js'

/** Small seeded PRNG (mulberry32) so a failure can be reproduced from the seed in the test name. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const KEYS = [
  'image',
  'imageType',
  'contentDigest',
  'size',
  'mediaType',
  'definition',
  'destination',
  'env',
  'path',
  'applyTo',
  'default',
  'type',
  'pattern',
  'enum',
  '$ref',
  'requires',
  'priority',
  'sources',
  'install',
  '__proto__',
  'constructor',
  'toString',
  '',
  'a/b',
  '~',
  'CNAB_X',
  'io.cnab.dependencies',
  'io.cnab.parameter-sources',
]
const STRINGS = [
  '',
  'x',
  '/cnab/app/outputs/x',
  '/cnab/app/outputs',
  '../x',
  'CNAB_ACTION',
  'install',
  'sha256:abc',
  '(',
  'v1.2.0',
  '\t',
  '\ud800',
  'latest',
]
const TOP_LEVEL = [
  'schemaVersion',
  'name',
  'version',
  'invocationImages',
  'images',
  'actions',
  'parameters',
  'credentials',
  'outputs',
  'definitions',
  'requiredExtensions',
  'custom',
]

function randomValue(rand: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
  const r = rand()
  if (depth <= 0 || r < 0.35) {
    return pick<unknown>([null, true, false, 0, -1, 1.5, 2 ** 53 + 2, pick(STRINGS)])
  }
  if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth - 1))
  const obj: Record<string, unknown> = {}
  for (let i = Math.floor(rand() * 5); i > 0; i--) {
    // Defined like JSON.parse does, so "__proto__" becomes an own member instead of replacing the prototype.
    Object.defineProperty(obj, pick(KEYS), { value: randomValue(rand, depth - 1), enumerable: true, writable: true, configurable: true })
  }
  return obj
}

/** A random document shaped roughly like a bundle, so rules reach their inner loops. */
function randomBundle(rand: () => number): Record<string, unknown> {
  const doc: Record<string, unknown> = {}
  for (const key of TOP_LEVEL) if (rand() < 0.7) doc[key] = randomValue(rand, 4)
  return doc
}

/** Replaces a random node of a real bundle with a random value. */
function mutate(doc: unknown, rand: () => number): unknown {
  const copy = structuredClone(doc)
  for (let n = 0; n < 3; n++) {
    let node: unknown = copy
    for (let hops = 0; hops < 6; hops++) {
      const keys = node !== null && typeof node === 'object' ? Object.keys(node) : []
      if (keys.length === 0) break
      const key = keys[Math.floor(rand() * keys.length)]!
      if (rand() < 0.3) {
        ;(node as Record<string, unknown>)[key] = randomValue(rand, 3)
        break
      }
      node = (node as Record<string, unknown>)[key]
    }
  }
  return copy
}

function resolves(doc: unknown, pointer: string): boolean {
  let node = doc
  for (const token of pointerTokens(pointer)) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, token)) return false
    node = (node as Record<string, unknown>)[token]
  }
  return true
}

const DECLARED = new Map(listRules().map((r) => [r.id, r]))

function checkIssues(doc: unknown, issues: readonly Issue[], mode: ValidationMode, onlyRule?: string): void {
  for (const issue of issues) {
    if (onlyRule !== undefined) assert.equal(issue.rule, onlyRule)
    const info = DECLARED.get(issue.rule)
    assert.ok(info, `undeclared rule id ${issue.rule}`)
    assert.ok(info[mode].includes(issue.severity), `${issue.rule} reported ${issue.severity} in ${mode} mode`)
    assert.ok(resolves(doc, issue.pointer), `${issue.rule} pointer ${issue.pointer} does not exist in the document`)
    assert.equal(typeof issue.message, 'string')
  }
}

const ODD_VALUES: unknown[] = [
  null,
  undefined,
  0,
  'bundle',
  [],
  [null],
  {},
  { invocationImages: null },
  { images: [1, 2] },
  { custom: 'x' },
]

describe('rules tolerate any JSON value', () => {
  test('every rule returns [] or well-formed issues for non-object documents and odd top-level values', () => {
    for (const { id, run } of semanticRules()) {
      for (const doc of ODD_VALUES) {
        for (const mode of ['lint', 'publish'] as const) checkIssues(doc, run(doc, { mode }), mode, id)
      }
    }
  })

  test('every rule handles 300 random bundle-shaped documents (seeds 1–300) without throwing', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const doc = randomBundle(prng(seed))
      const raw = Buffer.from(JSON.stringify(doc))
      for (const { id, run } of semanticRules()) {
        for (const mode of ['lint', 'publish'] as const) {
          try {
            checkIssues(doc, run(doc, { mode, raw }), mode, id)
          } catch (err) {
            assert.fail(`rule ${id}, seed ${seed}, mode ${mode}: ${(err as Error).message}`)
          }
        }
      }
    }
  })

  test('the whole pipeline handles 120 random mutations of valid/full.json (seeds 1–120) without throwing', () => {
    const full = fixtureJson('valid/full.json')
    for (let seed = 1; seed <= 120; seed++) {
      const doc = mutate(full, prng(seed))
      for (const mode of ['lint', 'publish'] as const) {
        try {
          checkIssues(doc, validateBundle(doc, { mode }).issues, mode)
          // Text input too, when the mutation left something JSON can express (no lone surrogate).
          const text = JSON.stringify(doc)
          if (!text.includes('\\ud800')) checkIssues(doc, validateBundle(canonicalBytes(doc), { mode }).issues, mode)
        } catch (err) {
          assert.fail(`seed ${seed}, mode ${mode}: ${(err as Error).message}`)
        }
      }
    }
  })
})
