import { MemoryStore } from '../../src/content/memory-store.js'
import { describeTargetConformance } from './target-suite.js'

describeTargetConformance('MemoryStore', async () => ({ target: new MemoryStore(), cleanup: async () => {} }))
