/**
 * What a registry can do, as the compatibility probe (probes.ts) measures it and the publisher's
 * fallback tiers (strategies.ts) learn it: capability ids, the three-valued answer, the evidence
 * behind it, the report a probe produces, and a per-host in-memory cache.
 *
 * Registries are never judged by host name: the evidence of docs/evidence.md changed within two
 * years for Docker Hub, ECR, Quay and Harbor (HUB-3, ECR-8, QUAY-4, HAR-4), so every answer here
 * comes from a request and carries the status and error codes that decided it.
 */
import type { ConfigVariantId, IndexFormat, OciShape } from '../cnab/oci/to-oci.js'
import { InputError } from '../errors.js'

/**
 * Every capability the probe measures, in checklist order (the Checklist column of
 * docs/registries.md, "Capabilities"). The checklist item of each is in CAPABILITY_CHECKS;
 * docs/registries.md says what each one means.
 */
export const CAPABILITIES = [
  'repository-auto-create',
  'monolithic-upload',
  'single-post-upload',
  'chunked-upload',
  'chunk-range-header',
  'chunk-over-4mib',
  'cross-repo-mount',
  'untagged-manifest-push',
  'custom-config-media-type',
  'oci-image-manifest',
  'docker-image-manifest',
  'empty-layers',
  'artifact-type-field',
  'oci-index',
  'docker-manifest-list',
  'mixed-index-children',
  'fetch-by-digest',
  'head-manifest',
  'tag-list',
  'tag-list-pagination',
  'referrers-api',
  'referrers-tag-schema',
  'bundle-round-trip',
  'delete-tag',
  'delete-manifest',
  'delete-blob',
] as const

export type Capability = (typeof CAPABILITIES)[number]

/**
 * The checklist item (docs/registries.md, "Capabilities") that measures each capability (P9 is
 * the CNAB round trip), shown next to the capability in the report.
 */
export const CAPABILITY_CHECKS: Readonly<Record<Capability, string>> = {
  'repository-auto-create': 'P0.5',
  'monolithic-upload': 'P1.2',
  'single-post-upload': 'P1.3',
  'chunked-upload': 'P1.5',
  'chunk-range-header': 'P1.5',
  'chunk-over-4mib': 'P1.5',
  'cross-repo-mount': 'P2.1',
  'untagged-manifest-push': 'P3.2',
  'custom-config-media-type': 'P3.4',
  'oci-image-manifest': 'P3.1',
  'docker-image-manifest': 'P3.8',
  'empty-layers': 'P3.5',
  'artifact-type-field': 'P3.3',
  'oci-index': 'P3.9',
  'docker-manifest-list': 'P3.10',
  'mixed-index-children': 'P3.10',
  'fetch-by-digest': 'P4.1',
  'head-manifest': 'P4.1',
  'tag-list': 'P5.1',
  'tag-list-pagination': 'P5.2',
  'referrers-api': 'P6.1',
  'referrers-tag-schema': 'P6.8',
  'bundle-round-trip': 'P9',
  'delete-tag': 'P7.1',
  'delete-manifest': 'P7.2',
  'delete-blob': 'P7.3',
}

/** `unknown`: not measured, or the answer said nothing (auth, server error, a missing prerequisite). */
export type Support = 'supported' | 'unsupported' | 'unknown'

/** Why a capability got its answer: the decisive request, its status and error codes, a remark. */
export interface Evidence {
  /** `METHOD /v2/<name>/<endpoint>/<reference>` of the decisive request (no query, no host). */
  request?: string
  /** HTTP status of its answer. */
  status?: number
  /** Error codes of the registry's error body (`MANIFEST_INVALID`, …). */
  codes?: string[]
  /** A remark for people, when request and status do not say it all. */
  note?: string
}

/** What is known of one capability, and why. */
export interface CapabilityResult {
  /** Whether the registry has the capability. */
  support: Support
  /** What the answer rests on. */
  evidence: Evidence
}

/** How the registry asks for credentials (`GET /v2/` without any, checklist P0.1). */
export interface AuthInfo {
  /** `none` when `/v2/` answers 200 anonymously; otherwise the challenge scheme, lower case. */
  scheme: string
  /** The token endpoint of a Bearer challenge. */
  realm?: string
  /** The `service` parameter of a Bearer challenge. */
  service?: string
}

/** How the bundle's top level is written: one of the two index formats, or no index at all (strategies.ts). */
export type IndexChoice = IndexFormat | 'no-index'

/** How manifests the bundle points at are pushed: by digest only, or under a tag derived from the digest (strategies.ts). */
export type ManifestRefChoice = 'digest' | 'deterministic-tag'

/** A way to write a bundle into a registry: the choice of each fallback tier (strategies.ts). */
export interface Representation {
  /** The bundle index format, or none. */
  index: IndexChoice
  /** The config manifest variant. */
  config: ConfigVariantId
  /** The layer shape of an OCI config manifest. */
  shape: OciShape
  /** How the manifests the bundle points at are pushed. */
  manifestRefs: ManifestRefChoice
}

/** The result of one probe run; also the `registry check --json` document (docs/registries.md). */
export interface CapabilityReport {
  /** Format version of this document. */
  version: 1
  /** Registry as written in references (`ghcr.io`, `localhost:5000`). */
  host: string
  /** The repository the probe wrote to (a scratch one unless the registry refuses to create it). */
  repository: string
  /** ISO 8601 time the probe ran. */
  probedAt: string
  /** How the registry asks for credentials. */
  auth: AuthInfo
  /** Every capability with its answer and evidence; `unknown` where the probe could not tell. */
  capabilities: Record<Capability, CapabilityResult>
  /** What P9 published and read back intact; absent when it could not. */
  representation?: Representation
  /** One line for people: `bundles publish here as: …` or `bundles cannot be published here: …`. */
  verdict: string
  /** References the probe could not delete (`<repository>@<digest>`, `<repository>:<tag>`). */
  leftovers: string[]
}

/** Every capability `unknown`, with no evidence: the start of a report. */
export function unknownCapabilities(): Record<Capability, CapabilityResult> {
  return Object.fromEntries(CAPABILITIES.map((c) => [c, { support: 'unknown', evidence: {} }])) as Record<Capability, CapabilityResult>
}

/** `PUT /v2/x/manifests/v1 → 400 MANIFEST_INVALID; note`: evidence in one line, for people. */
export function formatEvidence(e: Evidence): string {
  const answer = [e.status !== undefined ? String(e.status) : '', ...(e.codes ?? [])].filter((s) => s !== '').join(' ')
  const exchange = e.request !== undefined ? `${e.request}${answer ? ` → ${answer}` : ''}` : answer
  return [exchange, e.note ?? ''].filter((s) => s !== '').join('; ')
}

interface CacheEntry {
  support: Exclude<Support, 'unknown'>
  evidence: Evidence
  /** A hint (seeded from a saved report or configuration) gives way to an observation. */
  observed: boolean
}

/**
 * Per-host memory of capabilities for one run. The first observed answer wins, as with oras-go's
 * SetReferrersCapability: a tier that worked once is not second-guessed by a later, unrelated
 * refusal. Hints (`seed`) fill in what nothing has observed yet and give way to observations.
 */
export class CapabilityCache {
  private readonly hosts = new Map<string, Map<Capability, CacheEntry>>()

  /** What is known of `capability` on `host`, observed or hinted; `unknown` when nothing is. */
  get(host: string, capability: Capability): Support {
    return this.hosts.get(host)?.get(capability)?.support ?? 'unknown'
  }

  /** The answer observed for this host and capability (not a hint), with its evidence. */
  observation(host: string, capability: Capability): CapabilityResult | undefined {
    const entry = this.hosts.get(host)?.get(capability)
    return entry?.observed ? { support: entry.support, evidence: entry.evidence } : undefined
  }

  /** Records an observation; ignored when one was already observed for this host and capability. */
  record(host: string, capability: Capability, support: Exclude<Support, 'unknown'>, evidence: Evidence = {}): void {
    const entries = this.entries(host)
    if (entries.get(capability)?.observed) return
    entries.set(capability, { support, evidence, observed: true })
  }

  /** Adds hints (e.g. from a saved report); `unknown` hints and capabilities already known are left alone. */
  seed(host: string, hints: Partial<Record<Capability, Support>>): void {
    const entries = this.entries(host)
    for (const capability of CAPABILITIES) {
      const support = hints[capability]
      if (support === undefined || support === 'unknown' || entries.has(capability)) continue
      entries.set(capability, { support, evidence: { note: 'hint' }, observed: false })
    }
  }

  private entries(host: string): Map<Capability, CacheEntry> {
    let entries = this.hosts.get(host)
    if (!entries) {
      entries = new Map()
      this.hosts.set(host, entries)
    }
    return entries
  }
}

/** Which referrers modes (`--referrers-mode`) work on a registry, from its report. */
export interface ReferrersModes {
  /** `api`: the registry has the referrers API (`referrers-api`). */
  api: Support
  /** `tag`: an index stored under `sha256-<hex>` reads back (`referrers-tag-schema`). */
  tag: Support
  /** What `auto` uses there: the API where it is supported, else the tag schema where that works; undefined when neither is known to work. */
  auto?: 'api' | 'tag'
}

/** The referrers modes a report shows to work (see ReferrersModes). */
export function referrersModes(report: Pick<CapabilityReport, 'capabilities'>): ReferrersModes {
  const api = report.capabilities['referrers-api'].support
  const tag = report.capabilities['referrers-tag-schema'].support
  const auto = api === 'supported' ? 'api' : tag === 'supported' ? 'tag' : undefined
  return { api, tag, ...(auto !== undefined && { auto }) }
}

/** The support of every capability of a report, as hints for CapabilityCache.seed. */
export function hintsFromReport(report: CapabilityReport): Partial<Record<Capability, Support>> {
  return Object.fromEntries(CAPABILITIES.map((c) => [c, report.capabilities[c].support]))
}

const SUPPORTS: readonly string[] = ['supported', 'unsupported', 'unknown']
const REPRESENTATION_VALUES: Record<keyof Representation, readonly string[]> = {
  index: ['oci-index', 'docker-manifest-list', 'no-index'],
  config: ['cnab-config', 'oci-image-config', 'docker-config'],
  shape: ['portable', 'cnab-to-oci'],
  manifestRefs: ['digest', 'deterministic-tag'],
}

/**
 * Checks an untrusted value (a cached file, another tool's `--json` output) as a
 * CapabilityReport. Capabilities this version does not know are dropped, and those it knows but
 * the document lacks are `unknown`, so reports of other ocibundle versions stay usable.
 * Throws InputError naming the first field that is wrong.
 */
export function parseCapabilityReport(value: unknown): CapabilityReport {
  const doc = record(value, 'the report')
  if (doc.version !== 1) throw new InputError(`unsupported report version ${JSON.stringify(doc.version)} (expected 1)`)
  const host = text(doc.host, 'host')
  const repository = text(doc.repository, 'repository')
  const probedAt = text(doc.probedAt, 'probedAt')
  if (Number.isNaN(Date.parse(probedAt))) throw new InputError(`probedAt: "${probedAt}" is not a date`)
  const auth = record(doc.auth, 'auth')
  const caps = record(doc.capabilities, 'capabilities')
  const capabilities = unknownCapabilities()
  for (const c of CAPABILITIES) {
    if (caps[c] === undefined) continue
    const entry = record(caps[c], `capabilities.${c}`)
    if (typeof entry.support !== 'string' || !SUPPORTS.includes(entry.support))
      throw new InputError(`capabilities.${c}.support: must be one of ${SUPPORTS.join(', ')}`)
    capabilities[c] = { support: entry.support as Support, evidence: parseEvidence(entry.evidence, `capabilities.${c}.evidence`) }
  }
  const leftovers = doc.leftovers
  if (!Array.isArray(leftovers) || !leftovers.every((l) => typeof l === 'string'))
    throw new InputError('leftovers: must be an array of strings')
  return {
    version: 1,
    host,
    repository,
    probedAt,
    auth: {
      scheme: text(auth.scheme, 'auth.scheme'),
      ...(auth.realm !== undefined && { realm: text(auth.realm, 'auth.realm') }),
      ...(auth.service !== undefined && { service: text(auth.service, 'auth.service') }),
    },
    capabilities,
    ...(doc.representation !== undefined && { representation: parseRepresentation(doc.representation) }),
    verdict: text(doc.verdict, 'verdict'),
    leftovers: leftovers as string[],
  }
}

function parseRepresentation(value: unknown): Representation {
  const doc = record(value, 'representation')
  const out: Record<string, string> = {}
  for (const [key, allowed] of Object.entries(REPRESENTATION_VALUES)) {
    const v = doc[key]
    if (typeof v !== 'string' || !allowed.includes(v)) throw new InputError(`representation.${key}: must be one of ${allowed.join(', ')}`)
    out[key] = v
  }
  return out as unknown as Representation
}

function parseEvidence(value: unknown, where: string): Evidence {
  const doc = record(value, where)
  const e: Evidence = {}
  if (doc.request !== undefined) e.request = text(doc.request, `${where}.request`)
  if (doc.status !== undefined) {
    if (!Number.isInteger(doc.status)) throw new InputError(`${where}.status: must be an integer`)
    e.status = doc.status as number
  }
  if (doc.codes !== undefined) {
    if (!Array.isArray(doc.codes) || !doc.codes.every((c) => typeof c === 'string'))
      throw new InputError(`${where}.codes: must be an array of strings`)
    e.codes = doc.codes as string[]
  }
  if (doc.note !== undefined) e.note = text(doc.note, `${where}.note`)
  return e
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(`${where}: must be an object`)
  return value as Record<string, unknown>
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new InputError(`${where}: must be a string`)
  return value
}
