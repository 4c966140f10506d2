/**
 * The decisions of one publish about the representation (the tiers of src/compat/strategies.ts):
 * in what order to try the index formats, config variants, layer shapes and ways of storing
 * pointed-at manifests; what is known about the registry (a CapabilityCache per host, seeded
 * from a saved `registry check` report); and every attempt made, for the output.
 *
 * Where the order comes from, first match wins per decision:
 *  1. a choice forced by the caller (`--index-format`, `--config-variant`, `--manifest-refs`),
 *     tried even if the registry is thought not to take it;
 *  2. a plan: given by the caller, or planFromReport on the saved report of the host. The
 *     planned representation is tried first, so a publish to a registry probed before makes no
 *     failed request; the rest of the plan's order stays as fallback should the registry have
 *     changed since;
 *  3. every tier, in the order of src/compat/strategies.ts.
 * `allowFallback: false` (`--no-fallback`) stops at the first refusal instead of trying the next
 * tier; choices made up front from a plan are not fallbacks.
 */
import {
  CapabilityCache,
  hintsFromReport,
  type Capability,
  type CapabilityReport,
  type Evidence,
  type IndexChoice,
  type ManifestRefChoice,
} from '../compat/capabilities.js'
import {
  classifyPushError,
  evidenceOf,
  refusesDigestReferences,
  refusesUntaggedPush,
  RepresentationRefusedError,
} from '../compat/classify.js'
import {
  CONFIG_TIERS,
  firstWorkingTier,
  INDEX_TIERS,
  MANIFEST_REF_TIERS,
  planFromReport,
  SHAPE_TIERS,
  shapeTiers,
  withRun,
  type PublishPlan,
  type TierAttempt,
  type TierOutcome,
  type TierSpec,
} from '../compat/strategies.js'
import type { Target } from '../content/storage.js'
import { messageOf } from '../errors.js'
import { DEFAULT_SHAPE, type ConfigVariantId, type OciShape } from '../cnab/oci/to-oci.js'
import type { PublishAttempt, PublishStep } from './publish-errors.js'
import { ManifestRefTarget, type ManifestRefPolicy } from './manifest-refs.js'

/** Choices the caller forces (command-line flags). */
export interface ForcedChoices {
  /** The only index format to push (`--index-format`). */
  index?: IndexChoice
  /** The only config manifest variant to push (`--config-variant`). */
  config?: ConfigVariantId
  /** The only way to push pointed-at manifests (`--manifest-refs`). */
  manifestRefs?: ManifestRefChoice
}

/** Options of a PublishSession. */
export interface PublishSessionOptions {
  /** The registry (`ghcr.io`, `localhost:5000`): the cache key. Undefined for a layout, which takes every representation. */
  host?: string
  /** Shared with other publishes of this run; a new one by default. */
  cache?: CapabilityCache
  /** A saved `registry check` report of `host` (loadReport): seeds the cache and the plan. */
  report?: CapabilityReport
  /** A plan to follow instead of the one derived from `report`. */
  plan?: PublishPlan
  /** Choices that replace the tier order of their decision. */
  force?: ForcedChoices
  /** The layer shape preferred; `portable` stays the last resort. Default DEFAULT_SHAPE. */
  shape?: OciShape
  /** Try the next tier after a representation refusal. Default true. */
  allowFallback?: boolean
  /** Passed to every tier run. */
  signal?: AbortSignal
  /** Sees every attempt as it ends. */
  onAttempt?: (attempt: PublishAttempt) => void
}

type Orders = PublishPlan['order']
type Decision = keyof Orders

const SPECS: { [K in Decision]: readonly TierSpec<Orders[K][number]>[] } = {
  index: INDEX_TIERS,
  config: CONFIG_TIERS,
  shape: SHAPE_TIERS,
  manifestRefs: MANIFEST_REF_TIERS,
}

/** Where the order of the tiers came from, for the output. */
export type PlanSource = 'report' | 'plan' | 'tiers'

/**
 * The decisions of one publish about the representation: in what order to try index formats,
 * config variants, layer shapes and ways of storing pointed-at manifests, what is known about
 * the registry, and every attempt made. The order comes, first match wins per decision, from a
 * choice the caller forced (tried even where the registry is thought to refuse it), a plan
 * (given, or planFromReport on the saved report; the planned choice first, the rest of the plan
 * as fallback), or every tier in the order of the strategies. Give fixupBundle and
 * publishBundle the same session so they share decisions and attempts.
 */
export class PublishSession {
  /** The registry host; undefined for a layout. */
  readonly host: string | undefined
  /** What is known of the registry's capabilities, seeded from `report`. */
  readonly cache: CapabilityCache
  /** Whether a representation refusal moves on to the next tier. */
  readonly allowFallback: boolean
  /** The saved report the session was given, if any. */
  readonly report: CapabilityReport | undefined
  /** Where the tier order came from. */
  readonly source: PlanSource
  /** Why the planned choices are not the first tiers (from planFromReport), and notes on the plan. */
  readonly reasons: string[] = []
  /** Every attempt so far, in order. */
  readonly attempts: PublishAttempt[] = []
  private readonly orders: Orders
  private readonly forced: ForcedChoices
  private readonly shape: OciShape
  private readonly wrapped = new WeakMap<Target, ManifestRefTarget>()

  constructor(private readonly options: PublishSessionOptions = {}) {
    this.host = options.host
    this.cache = options.cache ?? new CapabilityCache()
    this.allowFallback = options.allowFallback ?? true
    this.forced = options.force ?? {}
    this.shape = options.shape ?? DEFAULT_SHAPE
    this.report = options.report
    if (options.report !== undefined && this.host !== undefined) this.cache.seed(this.host, hintsFromReport(options.report))
    let plan = options.plan
    if (plan === undefined && options.report !== undefined) {
      const planned = planFromReport(options.report, { shape: this.shape })
      if ('blocked' in planned)
        this.reasons.push(`the saved report found no working representation (${planned.blocked}); every one is tried`)
      else plan = planned
    }
    this.source = options.plan !== undefined ? 'plan' : plan !== undefined ? 'report' : 'tiers'
    if (plan !== undefined) this.reasons.push(...plan.reasons)
    const all = <K extends Decision>(k: K): Orders[K] => SPECS[k].map((s) => s.id) as Orders[K]
    this.orders = plan
      ? structuredClone(plan.order)
      : {
          index: all('index'),
          config: all('config'),
          shape: shapeTiers(this.shape).map((t) => t.id),
          // A layout stores any manifest by digest; there is nothing to find out.
          manifestRefs: this.host === undefined ? ['digest'] : all('manifestRefs'),
        }
    this.applyForced()
  }

  /** The tier order of a decision. */
  order<K extends Decision>(decision: K): Orders[K] {
    return this.orders[decision]
  }

  /** The choices the caller forced (a copy). */
  get forcedChoices(): ForcedChoices {
    return { ...this.forced }
  }

  /** Whether the caller forced the choice of `decision`. */
  isForced(decision: keyof ForcedChoices): boolean {
    return this.forced[decision] !== undefined
  }

  /**
   * The tier specs of a decision in order. A forced choice needs nothing: it is tried even where
   * the cache thinks it will be refused, because the user asked for it.
   */
  specs<K extends Decision>(decision: K): TierSpec<Orders[K][number]>[] {
    const specs = SPECS[decision] as readonly TierSpec<Orders[K][number]>[]
    const forced = decision !== 'shape' && this.isForced(decision)
    return this.orders[decision].map((id) => {
      const spec = specs.find((s) => s.id === id)!
      return forced ? { ...spec, needs: [] } : spec
    })
  }

  /**
   * Plans index format and config variant again now that the images' media types are known:
   * where the registry refuses indexes mixing OCI and Docker children (GCR), planFromReport puts
   * index and config in the images' family. When that leaves only `no-index` although an index
   * format works, the index is kept and the images are converted to its family instead
   * (bundle-writer.ts), so the bundle stays readable by cnab-to-oci and Porter.
   */
  planForImages(imageMediaTypes: readonly string[]): void {
    if (this.options.plan !== undefined || this.report === undefined) return
    let planned = planFromReport(this.report, { shape: this.shape, imageMediaTypes })
    if ('blocked' in planned) return
    const reasons = [...planned.reasons]
    if (planned.index === 'no-index' && planned.order.index.some((i) => i !== 'no-index')) {
      const converting = planFromReport(this.report, { shape: this.shape, imageMediaTypes: [] })
      if (!('blocked' in converting)) {
        planned = converting
        reasons.splice(
          0,
          reasons.length,
          ...converting.reasons,
          `the images are of both families: converted to the family of ${converting.index} rather than published without index`,
        )
      }
    }
    this.reasons.splice(0, this.reasons.length, ...reasons)
    this.orders.index = planned.order.index
    this.orders.config = planned.order.config
    this.applyForced()
  }

  /** What is known of `capability` on this host. */
  supports(capability: Capability): 'supported' | 'unsupported' | 'unknown' {
    return this.cache.get(this.key, capability)
  }

  /**
   * Runs `specs` as firstWorkingTier does (each by `run(id, input)`), recording every attempt
   * under `step` (and `image`) with the error message of each refusal.
   */
  async run<Id extends string, In, Out>(
    step: PublishStep,
    specs: readonly TierSpec<Id>[],
    run: (id: Id, input: In) => Promise<Out>,
    input: In,
    image?: string,
  ): Promise<TierOutcome<Out> & { used: Id }> {
    const errors = new Map<string, unknown>()
    const tiers = withRun(specs, async (id: Id, value: In) => {
      try {
        return await run(id, value)
      } catch (err) {
        errors.set(id, err)
        throw err
      }
    })
    const outcome = await firstWorkingTier(tiers, input, {
      host: this.key,
      cache: this.cache,
      allowFallback: this.allowFallback,
      ...(this.options.signal && { signal: this.options.signal }),
      onAttempt: (a) => this.note(step, a, errors.get(a.id), image),
    })
    return outcome as TierOutcome<Out> & { used: Id }
  }

  /**
   * `target` writing manifests as this session decides (ManifestRefTarget); the same wrapper for
   * the same target, so fixup and publish share the decision made on the first manifest.
   */
  wrap(target: Target): ManifestRefTarget {
    if (target instanceof ManifestRefTarget) return target
    let wrapped = this.wrapped.get(target)
    if (wrapped === undefined) {
      wrapped = new ManifestRefTarget(target, this.manifestRefPolicy())
      this.wrapped.set(target, wrapped)
    }
    return wrapped
  }

  /**
   * The manifest-refs decision, made on the first manifest pushed. Its tiers cannot go through
   * firstWorkingTier: a refusal of that first push is usually about the manifest itself (Quay's
   * config allow-list, a refused index format), and must reach the caller's tiers as it is. Only
   * a refusal of pushing by digest moves on to tags: the PUT by digest refused as refusesUntaggedPush
   * classifies it (405, as ECR answered in 2019, docker/app#563, or a 400 that asks for a tag), or
   * a push whose HEAD by digest then finds nothing (GitHub Packages, porter#695). Each records what it disproves. A manifest refused by digest after the decision
   * settled on `digest` moves the rest to tags as well (afterDigestRefusal).
   */
  private manifestRefPolicy(): ManifestRefPolicy {
    const specs = this.specs('manifestRefs')
    return {
      order: specs.map((s) => s.id),
      verifyDigestReads: this.supports('fetch-by-digest') === 'unknown',
      decide: async (push) => {
        let refusal: unknown
        for (const spec of specs) {
          const known = spec.needs.find((c) => this.supports(c) === 'unsupported')
          if (known !== undefined) {
            this.record({ step: 'manifest-refs', id: spec.id, skipped: `${known} is not supported by ${this.key}` })
            continue
          }
          try {
            await push(spec.id)
          } catch (err) {
            if (spec.id !== 'digest' || !refusesDigestReferences(err)) throw err
            this.learn(err instanceof RepresentationRefusedError ? 'fetch-by-digest' : 'untagged-manifest-push', evidenceOf(err))
            this.record({ step: 'manifest-refs', id: spec.id, error: messageOf(err), classification: classifyPushError(err) })
            if (!this.allowFallback) throw err
            refusal = err
            continue
          }
          for (const c of spec.needs) this.cache.record(this.key, c, 'supported', { note: `manifests pushed by ${spec.id}` })
          this.record({ step: 'manifest-refs', id: spec.id })
          return spec.id
        }
        throw refusal ?? new RangeError('no way to push manifests is left')
      },
      afterDigestRefusal: (err) => {
        if (!refusesUntaggedPush(err) || !this.allowFallback || !specs.some((s) => s.id === 'deterministic-tag')) return false
        this.learn('untagged-manifest-push', evidenceOf(err))
        this.record({ step: 'manifest-refs', id: 'digest', error: messageOf(err), classification: classifyPushError(err) })
        this.record({ step: 'manifest-refs', id: 'deterministic-tag' })
        return true
      },
    }
  }

  /** Records an attempt made outside `run`. */
  record(attempt: PublishAttempt): void {
    this.attempts.push(attempt)
    this.options.onAttempt?.(attempt)
  }

  private learn(capability: Capability, evidence: Evidence): void {
    this.cache.record(this.key, capability, 'unsupported', evidence)
  }

  /** Forced choices replace the order; a bundle without index keeps its images under tags, so that garbage collectors keep them. */
  private applyForced(): void {
    const { index, config, manifestRefs } = this.forced
    if (index !== undefined) this.orders.index = [index]
    if (config !== undefined) this.orders.config = [config]
    if (manifestRefs !== undefined) this.orders.manifestRefs = [manifestRefs]
    else if (this.orders.index[0] === 'no-index' && this.host !== undefined) this.orders.manifestRefs = ['deterministic-tag']
  }

  private get key(): string {
    return this.host ?? '(layout)'
  }

  private note(step: PublishStep, a: TierAttempt, err: unknown, image: string | undefined): void {
    const attempt: PublishAttempt = {
      step,
      id: a.id,
      ...(image !== undefined && { image }),
      ...(a.outcome === 'skipped' && { skipped: a.reason ?? 'skipped' }),
      ...((a.outcome === 'refused' || a.outcome === 'failed') && { error: err !== undefined ? messageOf(err) : (a.reason ?? a.outcome) }),
      ...(a.classification !== undefined && { classification: a.classification }),
    }
    this.record(attempt)
  }
}
