import { join } from 'node:path'
import { OciArchiveStore } from '../../src/layout/archive-store.js'
import { makeTempDir } from '../helpers/tmp.js'
import { describeTargetConformance } from './target-suite.js'

describeTargetConformance('OciArchiveStore (ociarchive://, opened for writing)', async () => {
  const dir = await makeTempDir('ocibundle-conformance-archive-')
  const store = await OciArchiveStore.open(join(dir.path, 'layout.tar'), { write: true })
  return {
    target: store,
    cleanup: async () => {
      await store.discard()
      await dir.cleanup()
    },
  }
})
