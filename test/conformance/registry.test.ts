/**
 * The storage contract against RegistryRepository on a real registry (CNCF distribution 2.8,
 * plain HTTP), a fresh repository per case. A registry finds predecessors through referrers
 * (subject links) only; see RegistryRepository.predecessors.
 */
import { after } from 'node:test'
import { RegistryClient } from '../../src/registry/http/client.js'
import { backoffPolicy } from '../../src/registry/http/retry.js'
import { RegistryRepository } from '../../src/registry/repository.js'
import { startRegistry, type RunningRegistry } from '../helpers/registry/server.js'
import { describeTargetConformance } from './target-suite.js'

let registry: Promise<RunningRegistry> | undefined
let cases = 0

after(async () => {
  await (await registry)?.stop()
})

describeTargetConformance(
  'RegistryRepository (distribution 2.8, plain HTTP)',
  async () => {
    registry ??= startRegistry('plain')
    const { host } = await registry
    const client = new RegistryClient({ retry: backoffPolicy({ baseMs: 1, maxDelayMs: 20 }) })
    const target = new RegistryRepository({ registry: host, repository: `conformance/case-${++cases}` }, client)
    return { target, cleanup: () => client.close() }
  },
  { predecessors: 'subject-only' },
)
