/**
 * One publish, many registries: the same source published to each destination, in parallel
 * (bounded), each destination with its own PublishSession, so each registry gets the
 * representation it takes (copied as it is, re-fitted, or built from bundle.json). One failing
 * destination does not stop the others; the result lists every outcome, with its error, and
 * says whether the bundle digests agree and, where they do not, why.
 *
 * The source is read per destination: a bundle.json and a layout are local files, and a
 * registry source is read by each copy as it streams (nothing is held in memory for all of
 * them). Images a bundle.json names in registries are resolved once per destination.
 */
import { Limiter } from '../copy/index.js'
import { messageOf, OcibundleError, UsageError } from '../errors.js'
import { describeBundleRepresentation } from './refit-errors.js'
import { publish, type PublishCallOptions, type PublishOutcome } from './publish.js'

/** Destinations published to at once when publishToMany is not told otherwise. */
export const DEFAULT_DESTINATION_CONCURRENCY = 3

/** Options of publishToMany: those of publish, and how many destinations at once. */
export interface PublishManyOptions extends PublishCallOptions {
  /** Destinations published to at once. Undefined, < 1 or not an integer → DEFAULT_DESTINATION_CONCURRENCY. */
  destinationConcurrency?: number
}

/** What happened at one destination: the outcome, or the error that stopped it. */
export type DestinationOutcome =
  | { destination: string; status: 'published'; outcome: PublishOutcome }
  | {
      destination: string
      status: 'failed'
      /** The error publish threw, as thrown (its class decides the exit code). */
      error: unknown
      /** Its message, stable code (`ERR_…`) and suggestions. */
      message: string
      code: string
      suggestions: string[]
    }

/** What publishToMany did. */
export interface PublishManyResult {
  /** The source, as given. */
  source: string
  /** One entry per destination, in the order given. */
  destinations: DestinationOutcome[]
  /** Whether every destination that was published to has the same bundle digest. */
  digestsAgree: boolean
  /** Why the digests agree or differ (each destination's representation, re-fit or converted images). */
  note: string
  /** Destinations that failed. */
  failed: number
}

/** The digest, representation and what changed at one destination, in words. */
export function describeOutcome(o: PublishOutcome): string {
  if (o.kind === 'copied') return 'copied as it is'
  const representation = `${o.representation.index} + ${o.representation.config} (${o.representation.shape})`
  const converted = [...new Set(o.changes.filter((c) => c.reason !== undefined).map((c) => c.image))]
  const parts = [representation]
  if (o.refit !== undefined) parts.push(`re-fitted from ${describeBundleRepresentation(o.refit.from.representation)}`)
  if (converted.length > 0) parts.push(`converted ${converted.join(', ')}`)
  return parts.join('; ')
}

/**
 * Publishes `source` (as publish takes it) to every destination in `destinations`, at most
 * `destinationConcurrency` at once. Never throws for a destination's failure: it is in the
 * result (`status: 'failed'`), and the others are completed. Throws UsageError when
 * `destinations` is empty.
 */
export async function publishToMany(
  source: string,
  destinations: readonly string[],
  options: PublishManyOptions = {},
): Promise<PublishManyResult> {
  if (destinations.length === 0) throw new UsageError('publishToMany needs at least one destination')
  const { destinationConcurrency, ...rest } = options
  const limit =
    Number.isInteger(destinationConcurrency) && destinationConcurrency! >= 1 ? destinationConcurrency! : DEFAULT_DESTINATION_CONCURRENCY
  const limiter = new Limiter(limit)
  const results = await Promise.all(
    destinations.map((destination) =>
      limiter.run(async (): Promise<DestinationOutcome> => {
        try {
          // Several destinations: each warning says which one it is about.
          const onWarning =
            rest.onWarning && destinations.length > 1 ? (m: string) => rest.onWarning!(`${destination}: ${m}`) : rest.onWarning
          return {
            destination,
            status: 'published',
            outcome: await publish(source, destination, { ...rest, ...(onWarning && { onWarning }) }),
          }
        } catch (err) {
          if (options.signal?.aborted) throw options.signal.reason
          return {
            destination,
            status: 'failed',
            error: err,
            message: messageOf(err),
            code: err instanceof OcibundleError ? err.code : 'ERR_UNKNOWN',
            suggestions: err instanceof OcibundleError ? [...err.suggestions] : [],
          }
        }
      }, options.signal),
    ),
  )
  const published = results.flatMap((r) => (r.status === 'published' ? [r] : []))
  const digests = new Set(published.map((r) => r.outcome.digest))
  const digestsAgree = digests.size <= 1
  return {
    source,
    destinations: results,
    digestsAgree,
    note: agreement(published, digestsAgree),
    failed: results.length - published.length,
  }
}

function agreement(published: Array<{ destination: string; outcome: PublishOutcome }>, agree: boolean): string {
  if (published.length === 0) return 'no destination was published to'
  if (agree) return `the bundle digest is ${published[0]!.outcome.digest} at every destination published to`
  const byDigest = new Map<string, string[]>()
  for (const p of published)
    byDigest.set(p.outcome.digest, [...(byDigest.get(p.outcome.digest) ?? []), `${p.destination} (${describeOutcome(p.outcome)})`])
  return `the bundle digests differ because the registries take different representations: ${[...byDigest].map(([d, where]) => `${d} at ${where.join(', ')}`).join('; ')}`
}
