/**
 * How many cases each property of test/fuzz runs: its own number in `npm test` (seconds in all),
 * that number times FUZZ_SCALE in `npm run fuzz` (50 unless set), for local campaigns. A failing
 * case is printed with its seed and path; `FUZZ_SEED=<seed> FUZZ_PATH=<path>` replays it.
 */
import fc from 'fast-check'
import { OcibundleError } from '../../src/errors.js'
import { ExitCode, exitCodeFor } from '../../src/cli/exit-codes.js'

/** Cases per property: `base` (chosen for the cost of one case) times FUZZ_SCALE. */
export function runs(base: number): number {
  const scale = Number(process.env.FUZZ_SCALE)
  return Number.isFinite(scale) && scale > 0 ? Math.ceil(base * scale) : base
}

/** fast-check parameters of a property: its number of runs, and the replay seed and path when given. */
export function params(base: number): fc.Parameters<unknown> {
  const seed = Number(process.env.FUZZ_SEED)
  return {
    numRuns: runs(base),
    ...(Number.isSafeInteger(seed) && { seed }),
    ...(process.env.FUZZ_PATH !== undefined && { path: process.env.FUZZ_PATH }),
  }
}

/**
 * Whether `err` is what the README documents: one of the project's error classes, mapped to an
 * exit code of the table that is not "internal" (a bug). Anything else fails the property.
 */
export function isDocumentedFailure(err: unknown): boolean {
  return err instanceof OcibundleError && exitCodeFor(err) !== ExitCode.Internal
}
