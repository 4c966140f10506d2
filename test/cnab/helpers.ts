/** Shared test helpers for the CNAB validator tests: fixture access and compact issue summaries. */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Issue } from '../../src/cnab/index.js'
import type { RuleContext } from '../../src/cnab/rules/rule.js'

const FIXTURES = new URL('../fixtures/bundles/', import.meta.url)

/** Absolute path of a file under test/fixtures/bundles/. */
export function fixturePath(relative: string): string {
  return fileURLToPath(new URL(relative, FIXTURES))
}

export function readFixture(relative: string): Buffer {
  return readFileSync(fixturePath(relative))
}

export function fixtureJson(relative: string): Record<string, unknown> {
  return JSON.parse(readFixture(relative).toString('utf8')) as Record<string, unknown>
}

/** `severity rule pointer` per issue: exact enough to assert on, short enough to read in a diff. */
export function brief(issues: readonly Issue[]): string[] {
  return issues.map((i) => `${i.severity} ${i.rule} ${i.pointer}`)
}

export const LINT: RuleContext = { mode: 'lint' }
export const PUBLISH: RuleContext = { mode: 'publish' }

export const INSTALLER_DIGEST = 'sha256:9c0d294c05fc1d88d698034609bb81c0c69196327594e4c69d2915c80fd9850c'
export const WEB_DIGEST = 'sha256:4b5e57f6eb2f42b9039b3d1e13929295f231749c510cbe341cd68036d9af97e2'

/**
 * A fresh bundle that passes every rule in publish mode, to modify per test. `extra` replaces
 * top-level members.
 */
export function bundle(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemaVersion: 'v1.2.0',
    name: 'fixture',
    version: '1.0.0',
    invocationImages: [invocationImage()],
    ...extra,
  }
}

/** A publish-ready invocation image; `extra` replaces members (undefined removes one). */
export function invocationImage(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const image: Record<string, unknown> = {
    image: `example.com/app-installer@${INSTALLER_DIGEST}`,
    imageType: 'oci',
    contentDigest: INSTALLER_DIGEST,
    size: 1024,
    ...extra,
  }
  for (const [k, v] of Object.entries(image)) if (v === undefined) delete image[k]
  return image
}
