/**
 * Rules about where parameters, credentials and outputs live inside the invocation image
 * (checklist rules 10, 11, 12 and 13).
 */
import { posix } from 'node:path'
import { pointerOf, quoted, type Issue } from '../issue.js'
import { entriesOf, field, isRecord, stringField } from '../json-shape.js'

const OUTPUTS_DIR = '/cnab/app/outputs'

interface Destination {
  /** Pointer of the object holding `env` and `path`: a parameter's destination or a credential. */
  pointer: string
  kind: 'parameter' | 'credential'
  name: string
  env: string | undefined
  path: string | undefined
}

/** Parameter destinations and credentials that are objects; empty strings count as absent, as in cnab-go. */
function destinations(bundle: unknown): Destination[] {
  const out: Destination[] = []
  for (const [name, parameter] of entriesOf(field(bundle, 'parameters'))) {
    const destination = field(parameter, 'destination')
    if (isRecord(destination))
      out.push({ pointer: pointerOf('parameters', name, 'destination'), kind: 'parameter', name, ...envAndPath(destination) })
  }
  for (const [name, credential] of entriesOf(field(bundle, 'credentials'))) {
    if (isRecord(credential)) out.push({ pointer: pointerOf('credentials', name), kind: 'credential', name, ...envAndPath(credential) })
  }
  return out
}

function envAndPath(obj: unknown): { env: string | undefined; path: string | undefined } {
  return { env: stringField(obj, 'env') || undefined, path: stringField(obj, 'path') || undefined }
}

/** `path.Clean` in Go and path.posix.normalize differ on a trailing slash; a clean path has none (except `/`). */
function isCleanPath(path: string): boolean {
  return posix.normalize(path) === path && (path === '/' || !path.endsWith('/'))
}

const NOT_CLEAN = 'is not clean (it has ".", ".." or empty segments, or a trailing slash)'

function inputPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'is not absolute'
  if (!isCleanPath(path)) return NOT_CLEAN
  if (path === OUTPUTS_DIR || path.startsWith(`${OUTPUTS_DIR}/`)) return `is inside ${OUTPUTS_DIR}, which is reserved for outputs`
  return undefined
}

function outputPathProblem(path: string): string | undefined {
  if (!isCleanPath(path)) return NOT_CLEAN
  if (!path.startsWith(`${OUTPUTS_DIR}/`)) return `is not a file inside ${OUTPUTS_DIR}/`
  return undefined
}

/** Rule 10: a parameter's destination and a credential each name an env variable or a path, or the value cannot reach the image. */
export function destinationPresent(bundle: unknown): Issue[] {
  return destinations(bundle)
    .filter((d) => d.env === undefined && d.path === undefined)
    .map((d) => ({
      pointer: d.pointer,
      rule: 'destination-present',
      severity: 'error' as const,
      message:
        d.kind === 'parameter'
          ? `parameter ${quoted(d.name)} has a destination with neither env nor path`
          : `credential ${quoted(d.name)} has neither env nor path`,
    }))
}

/**
 * Rule 11: parameter and credential paths are absolute and clean, and not inside /cnab/app/outputs
 * where they would be mistaken for outputs. (Schema 1.0 had a pattern for the last part; it was
 * dropped because Go's regexp engine cannot compile it, so it is enforced here.)
 */
export function inputPath(bundle: unknown): Issue[] {
  const issues: Issue[] = []
  for (const d of destinations(bundle)) {
    if (d.path === undefined) continue
    const problem = inputPathProblem(d.path)
    if (problem !== undefined) {
      issues.push({
        pointer: `${d.pointer}/path`,
        rule: 'input-path',
        severity: 'error',
        message: `${d.kind} ${quoted(d.name)} path ${quoted(d.path)} ${problem}`,
      })
    }
  }
  return issues
}

/** Rule 12: each output path is clean, strictly inside /cnab/app/outputs/, and used by one output only. */
export function outputPath(bundle: unknown): Issue[] {
  const issues: Issue[] = []
  const firstUse = new Map<string, string>()
  for (const [name, output] of entriesOf(field(bundle, 'outputs'))) {
    const path = stringField(output, 'path')
    if (path === undefined) continue
    const pointer = pointerOf('outputs', name, 'path')
    const problem =
      outputPathProblem(path) ?? (firstUse.has(path) ? `is already the path of output ${quoted(firstUse.get(path)!)}` : undefined)
    if (problem !== undefined)
      issues.push({ pointer, rule: 'output-path', severity: 'error', message: `output ${quoted(name)} path ${quoted(path)} ${problem}` })
    if (!firstUse.has(path)) firstUse.set(path, name)
  }
  return issues
}

/**
 * Rule 13: a parameter and a credential should not share an env variable or a path (one would
 * silently override the other: warning, the spec says SHOULD), and nothing may set a `CNAB_`
 * variable, which the runtime owns (error, the spec says MUST NOT).
 */
export function destinationConflict(bundle: unknown): Issue[] {
  const all = destinations(bundle)
  const credentials = all.filter((d) => d.kind === 'credential')
  const issues: Issue[] = []
  for (const d of all) {
    if (d.env?.startsWith('CNAB_')) {
      issues.push({
        pointer: `${d.pointer}/env`,
        rule: 'destination-conflict',
        severity: 'error',
        message: `${d.kind} ${quoted(d.name)} sets ${quoted(d.env)}; CNAB_ variables are reserved for the runtime`,
      })
    }
    if (d.kind !== 'parameter') continue
    for (const key of ['env', 'path'] as const) {
      const clash = credentials.find((c) => d[key] !== undefined && c[key] === d[key])
      if (clash === undefined) continue
      issues.push({
        pointer: `${d.pointer}/${key}`,
        rule: 'destination-conflict',
        severity: 'warning',
        message: `parameter ${quoted(d.name)} uses the same ${key} ${quoted(d[key]!)} as credential ${quoted(clash.name)}; one would override the other`,
      })
    }
  }
  return issues
}
