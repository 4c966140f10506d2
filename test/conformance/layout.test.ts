import { OciLayoutStore } from '../../src/layout/layout-store.js'
import { makeTempDir } from '../helpers/tmp.js'
import { describeTargetConformance } from './target-suite.js'

describeTargetConformance('OciLayoutStore', async () => {
  const dir = await makeTempDir('ocibundle-conformance-')
  return { target: await OciLayoutStore.open(dir.path, { create: true }), cleanup: dir.cleanup }
})
