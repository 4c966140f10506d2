/** Rules about `schemaVersion` and `version` (checklist rules 1 and 2). */
import { pointerOf, quoted, type Issue } from '../issue.js'
import { field } from '../json-shape.js'

/**
 * The spec writes `v1` or `v1.2.0` (https://github.com/cnabio/cnab-spec/blob/main/101-bundle-json.md,
 * "Schema Version"), Porter writes `1.2.0`, cnab-go accepts partial versions such as `99.99`
 * (https://github.com/cnabio/cnab-go/blob/main/schema/version.go): this is the lenient form that
 * reads all of them, with the major and minor numbers captured.
 */
const SCHEMA_VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.\d+)?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/

/** The SemVer 2.0.0 grammar, anchored (from semver.org): no leading `v`, no leading zeros. */
const SEMVER2 =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/

/**
 * Rule 1: `schemaVersion` is a semantic version, with or without `v`. Versions outside CNAB Core
 * 1.0–1.2 get a warning: this tool knows those schemas, a later one may have other rules.
 */
export function cnabVersionSemver(bundle: unknown): Issue[] {
  const version = field(bundle, 'schemaVersion')
  if (typeof version !== 'string') return []
  const pointer = pointerOf('schemaVersion')
  const m = SCHEMA_VERSION.exec(version)
  if (m === null) {
    return [
      {
        pointer,
        rule: 'cnab-version-semver',
        severity: 'error',
        message: `schemaVersion ${quoted(version)} is not a semantic version such as "v1.2.0" (a leading "v" is optional)`,
      },
    ]
  }
  const major = Number(m[1])
  const minor = m[2] === undefined ? undefined : Number(m[2])
  if (major === 1 && (minor === undefined || minor <= 2)) return []
  return [
    {
      pointer,
      rule: 'cnab-version-semver',
      severity: 'warning',
      message: `schemaVersion ${quoted(version)} is outside CNAB Core 1.0–1.2, the versions this tool knows; checks may miss rules of that version`,
    },
  ]
}

/**
 * Rule 2: `version` is a complete SemVer 2.0.0 version (the schema's pattern is unanchored and lets
 * `abc1` through). A leading "v" on an otherwise valid version is only a warning: cnab-go and
 * Porter accept it, but it is not SemVer and it doubles up in derived tags ("vv1.0.0").
 */
export function bundleVersionSemver(bundle: unknown): Issue[] {
  const version = field(bundle, 'version')
  if (typeof version !== 'string' || SEMVER2.test(version)) return []
  const vPrefixed = /^v/i.test(version) && SEMVER2.test(version.slice(1))
  return [
    {
      pointer: pointerOf('version'),
      rule: 'bundle-version-semver',
      severity: vPrefixed ? 'warning' : 'error',
      message: explainVersion(version),
    },
  ]
}

function explainVersion(version: string): string {
  if (version === 'latest') return 'version "latest" is not a version; bundle versions must be SemVer 2.0.0, such as "1.0.0"'
  if (/^v/i.test(version) && SEMVER2.test(version.slice(1))) {
    return `version ${quoted(version)} is not SemVer 2.0.0 because of the leading ${quoted(version[0])}; write ${quoted(version.slice(1))}`
  }
  return `version ${quoted(version)} is not a complete SemVer 2.0.0 version (MAJOR.MINOR.PATCH with optional -prerelease and +build, such as "1.0.0")`
}
