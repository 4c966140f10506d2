/**
 * Capability reports saved per registry host, so a publish to a registry probed before picks its
 * working representation up front instead of failing its way down the fallback tiers again.
 *
 * Location: `${XDG_CACHE_HOME:-~/.cache}/ocibundle/registries/<host>.json`, the host written
 * with encodeURIComponent (`localhost%3A5000.json`: a `:` is not allowed in Windows file names,
 * and no host can escape the directory). Files are replaced atomically; reading is bounded and
 * strict (duplicate keys refused). A file that is unreadable, malformed or for another host is
 * ignored with a warning: it is a cache, and probing again repairs it. Reports older than the
 * TTL (default 7 days) are ignored, because registries change (see the dates in docs/evidence.md).
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import { messageOf, SizeLimitError } from '../errors.js'
import { hasErrorCode, readFileBounded, writeFileAtomic } from '../util/files.js'
import { parseStrictJson } from '../util/strict-json.js'
import { parseCapabilityReport, type CapabilityReport } from './capabilities.js'

/** A week: long enough to spare repeated probes, short enough to notice a registry upgrade. */
export const DEFAULT_REPORT_TTL_MS = 7 * 24 * 60 * 60 * 1000
/** A report is a few KiB; anything much larger is not one of ours. */
const MAX_REPORT_BYTES = 256 * 1024

/** Where saved reports are kept, and how old one may be. */
export interface ReportCacheOptions {
  /** Default process.env (`XDG_CACHE_HOME`, `HOME`). */
  env?: NodeJS.ProcessEnv
  /** Replaces the directory derived from the environment. */
  dir?: string
  /** Age in ms after which a saved report is ignored. Default DEFAULT_REPORT_TTL_MS. */
  ttlMs?: number
  /** Clock in ms since the epoch, to judge a report's age. Default Date.now. */
  now?: () => number
  /** Hears about report files that are ignored (malformed, another host's, from the future). Undefined → not told. */
  warn?: (message: string) => void
}

/** The directory that holds the saved reports. */
export function reportCacheDir(options: Pick<ReportCacheOptions, 'env' | 'dir'> = {}): string {
  if (options.dir !== undefined) return options.dir
  const env = options.env ?? process.env
  return join(env.XDG_CACHE_HOME || join(env.HOME ?? homedir(), '.cache'), 'ocibundle', 'registries')
}

/** The file a host's report is saved in. */
export function reportCachePath(host: string, options: Pick<ReportCacheOptions, 'env' | 'dir'> = {}): string {
  return join(reportCacheDir(options), `${encodeURIComponent(host)}.json`)
}

/** Saves `report` as its host's report, replacing the previous one atomically. Returns the path. */
export async function saveReport(report: CapabilityReport, options: ReportCacheOptions = {}): Promise<string> {
  const path = reportCachePath(report.host, options)
  await writeFileAtomic(path, Buffer.from(`${JSON.stringify(report, null, 2)}\n`))
  return path
}

/**
 * The saved report of `host`, or undefined when there is none, it has expired, or the file is
 * not a valid report of this host (then with a warning). Throws only for file system errors
 * other than a missing file.
 */
export async function loadReport(host: string, options: ReportCacheOptions = {}): Promise<CapabilityReport | undefined> {
  const path = reportCachePath(host, options)
  const warn = options.warn ?? (() => {})
  let bytes: Buffer
  try {
    bytes = await readFileBounded(path, MAX_REPORT_BYTES, `registry report ${path}`)
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) return undefined
    if (err instanceof SizeLimitError) {
      warn(`ignoring ${path}: ${messageOf(err)}`)
      return undefined
    }
    throw err
  }
  let report: CapabilityReport
  try {
    report = parseCapabilityReport(parseStrictJson(bytes.toString('utf8')))
  } catch (err) {
    warn(`ignoring ${path}: ${messageOf(err)}`)
    return undefined
  }
  if (report.host !== host) {
    warn(`ignoring ${path}: it is the report of ${report.host}, not ${host}`)
    return undefined
  }
  const age = (options.now ?? Date.now)() - Date.parse(report.probedAt)
  if (age < 0) {
    // Written by this machine: a date in the future means the file was not.
    warn(`ignoring ${path}: probedAt ${report.probedAt} is in the future`)
    return undefined
  }
  return age > (options.ttlMs ?? DEFAULT_REPORT_TTL_MS) ? undefined : report
}
