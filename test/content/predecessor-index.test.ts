/**
 * The shared graph index: edges recorded per manifest, re-indexing without duplicates, and
 * removal of a node's outgoing edges only.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { PredecessorIndex } from '../../src/content/predecessor-index.js'
import { blob, digests } from '../helpers/content.js'

const m1 = blob('m1').desc
const m2 = blob('m2').desc
const cfg = blob('cfg').desc
const layer = blob('layer').desc

describe('PredecessorIndex', () => {
  test('records every parent of a node, each once', () => {
    const g = new PredecessorIndex()
    g.add(m1, [cfg, layer])
    g.add(m2, [cfg])
    g.add(m1, [cfg, layer])
    assert.deepEqual(digests(g.predecessors(cfg)), digests([m1, m2]))
    assert.deepEqual(digests(g.predecessors(layer)), [m1.digest])
    assert.deepEqual(g.predecessors(m1), [])
  })

  test('re-indexing a node replaces its edges', () => {
    const g = new PredecessorIndex()
    g.add(m1, [cfg, layer])
    g.add(m1, [cfg])
    assert.deepEqual(g.predecessors(layer), [])
    assert.deepEqual(digests(g.predecessors(cfg)), [m1.digest])
  })

  test('identifies nodes by digest and size, so a descriptor of another size is another node', () => {
    const g = new PredecessorIndex()
    g.add(m1, [cfg])
    assert.deepEqual(g.predecessors({ ...cfg, size: cfg.size + 1 }), [])
    assert.deepEqual(digests(g.predecessors({ ...cfg, mediaType: 'application/octet-stream' })), [m1.digest])
  })

  test('remove forgets the outgoing edges of a node and keeps the edges pointing at it', () => {
    const g = new PredecessorIndex()
    g.add(m2, [m1])
    g.add(m1, [cfg])
    g.remove(m1)
    assert.deepEqual(g.predecessors(cfg), [])
    assert.deepEqual(digests(g.predecessors(m1)), [m2.digest])
  })
})
