/**
 * An isolated environment for credential tests: a temp HOME, DOCKER_CONFIG, and a bin directory
 * on PATH holding fake credential helpers (`test`, `other`). Nothing from the real user's
 * Docker or containers configuration can leak in.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { makeTempDir, type TempDir } from '../../helpers/tmp.js'
import { installFakeHelpers, readHelperLog, readHelperStore, type HelperCall } from './fake-helper.js'

export interface CredentialEnv {
  env: NodeJS.ProcessEnv
  /** $DOCKER_CONFIG/config.json */
  configPath: string
  helperStore: string
  root: string
  writeConfig(doc: unknown): Promise<void>
  helperCalls(): Promise<HelperCall[]>
  helperEntries(): ReturnType<typeof readHelperStore>
  cleanup(): Promise<void>
}

export async function makeCredentialEnv(): Promise<CredentialEnv> {
  const tmp: TempDir = await makeTempDir('ocibundle-cred-')
  const bin = join(tmp.path, 'bin')
  const dockerDir = join(tmp.path, 'docker')
  await mkdir(bin)
  await installFakeHelpers(bin, ['test', 'other'])
  const helperStore = join(tmp.path, 'helper-store.json')
  const helperLog = join(tmp.path, 'helper-log.jsonl')
  const configPath = join(dockerDir, 'config.json')
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    HOME: join(tmp.path, 'home'),
    DOCKER_CONFIG: dockerDir,
    FAKE_HELPER_STORE: helperStore,
    FAKE_HELPER_LOG: helperLog,
  }
  return {
    env,
    configPath,
    helperStore,
    root: tmp.path,
    writeConfig: async (doc) => {
      await mkdir(dockerDir, { recursive: true })
      await writeFile(configPath, typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2))
    },
    helperCalls: () => readHelperLog(helperLog),
    helperEntries: () => readHelperStore(helperStore),
    cleanup: tmp.cleanup,
  }
}

export const b64 = (s: string): string => Buffer.from(s).toString('base64')
