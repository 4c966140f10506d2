/**
 * A proxy that makes the real test registry (distribution 2.8) behave like another registry:
 * one profile per registry behaviour recorded in docs/evidence.md,
 * answering with the statuses and error bodies that registry sends (ids in each profile's
 * comment). Built on the fault proxy's `intercept` hook: a profile answers the requests its
 * registry would refuse or answer differently, and lets everything else through to the real
 * registry, so all other behaviour stays real.
 *
 * | profile                | emulates                                                              |
 * |------------------------|-----------------------------------------------------------------------|
 * | `dockerhub-2019`       | OCI index → 400 MANIFEST_INVALID; no custom config types (HUB-1, HUB-2) |
 * | `ecr`                  | repositories must be created first; PATCH 201, stuck Range (ECR-1, -3, -4) |
 * | `ecr-2019`             | `ecr` + manifest PUT by digest → 405 (docker/app#563, kbld#2)          |
 * | `gcr`                  | null/empty layers and mixed-family indexes → 400 (GCR-1, -2, -3)       |
 * | `quay`                 | config type allow-list → 400 listing allowed types (QUAY-1, QUAY-2)    |
 * | `nexus-2020`           | no OCI index or manifest list (NEXUS-5)                                |
 * | `ghcr`                 | PATCH > 4 MiB → 416; no DELETE (405); no referrers API (GHCR-1, -2, -3) |
 * | `github-packages-2020` | manifests by tag only: GET/HEAD by digest → 404 (porter#695)          |
 * | `referrers-api`        | a registry with the referrers API: lists what was pushed through it, `OCI-Subject` |
 * | `gitlab`               | `sha256-<hex>` tags resolve to the manifest `sha256:<hex>` itself (GITLAB-1) |
 * | `tag-required`         | manifest PUT by digest → 400 TAG_INVALID / MANIFEST_INVALID / UNSUPPORTED about the tag |
 * | `harbor-1.10`          | Docker list → 415 "Manifest.list is not supported."; OCI index and manifests → 500 (HAR-5, HAR-6) |
 * | `artifactory-2025`     | a bundle index listing component images → 400 (ART-6)                 |
 * | `acr`                  | the referrers API; PATCH Content-Range must be `<start>-<end>` (ACR-1, ACR-3) |
 *
 * Run one by hand with test/helpers/registry/quirk-proxy-cli.ts.
 */
import { readFileSync } from 'node:fs'
import { Agent } from 'undici'
import { startFaultProxy, type FaultProxy } from './fault-proxy.js'
import { QUIRK_PROFILES, type QuirkProfile, type QuirkProfileName } from './quirk-profiles/index.js'
import type { QuirkState, UntaggedRefusal } from './quirk-profiles/common.js'

export { QUIRK_PROFILES, type QuirkProfile, type QuirkProfileName, type UntaggedRefusal } from './quirk-profiles/index.js'

export interface QuirkProxy {
  profile: QuirkProfile
  /** `http://127.0.0.1:<port>` */
  url: string
  /** `127.0.0.1:<port>`, the registry to give clients. */
  host: string
  /** The underlying fault proxy: request log, extra faults. */
  proxy: FaultProxy
  /** Makes a repository exist (profiles `ecr`, `ecr-2019`; like `aws ecr create-repository`). */
  createRepository(name: string): void
  stop(): Promise<void>
}

/** Options of startQuirkProxy. */
export interface QuirkProxyOptions {
  /** `tag-required`: how a manifest PUT by digest is refused. Default `TAG_INVALID`. */
  untaggedRefusal?: UntaggedRefusal
}

/** Starts a proxy emulating `profile` in front of `upstream` (a RunningRegistry). */
export async function startQuirkProxy(
  upstream: { url: string; caFile?: string },
  profile: QuirkProfileName,
  options: QuirkProxyOptions = {},
): Promise<QuirkProxy> {
  const quirks = QUIRK_PROFILES[profile]
  const dispatcher = upstream.caFile ? new Agent({ connect: { ca: readFileSync(upstream.caFile, 'utf8') } }) : undefined
  const state: QuirkState = {
    repositories: new Set(),
    firstRanges: new Map(),
    dispatcher,
    referrers: new Map(),
    untaggedRefusal: options.untaggedRefusal ?? 'TAG_INVALID',
  }
  const proxy = await startFaultProxy(upstream, { intercept: (req, ctx) => quirks.handle(req, ctx, state) })
  return {
    profile: quirks,
    url: proxy.url,
    host: proxy.host,
    proxy,
    createRepository: (name) => void state.repositories.add(name),
    stop: async () => {
      await proxy.stop()
      await dispatcher?.close()
    },
  }
}
