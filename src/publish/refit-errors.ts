/**
 * How a published bundle is stored, and the error of a re-fit that `--no-fallback` forbids:
 * apart from src/publish/refit.ts so that the CLI's exit-code mapping, loaded by every command,
 * does not load the publishing machinery (and its HTTP client) with it.
 */
import type { IndexChoice } from '../compat/capabilities.js'
import type { ConfigVariantId, OciShape } from '../cnab/oci/to-oci.js'
import { OcibundleError } from '../errors.js'

/** How a published bundle is stored: index format, config manifest variant (or its config media type when it is none of the three), layer shape. */
export interface BundleRepresentation {
  /** The index format, or `no-index` (the tag names the config manifest). */
  index: IndexChoice
  /** The config manifest variant; the config's media type when it is not one of the three ocibundle writes. */
  config: ConfigVariantId | string
  /** The config manifest's layer shape (`cnab-to-oci`: no layer). */
  shape: OciShape
}

/** `oci-index + cnab-config (portable)`: a representation as the output writes it. */
export function describeBundleRepresentation(r: BundleRepresentation): string {
  return `${r.index} + ${r.config} (${r.shape})`
}

/**
 * A published bundle would have to be re-fitted for the registry (a representation the saved
 * report found refused, or the registry's refusal of it as it is), and fallbacks are off
 * (`--no-fallback`): the message names the representation the bundle has and the one the
 * registry takes.
 */
export class RefitNeededError extends OcibundleError {
  override readonly code: string = 'ERR_REFIT_NEEDED'
  constructor(
    /** How the bundle is published at the source. */
    readonly has: BundleRepresentation,
    /** The representation the registry takes, as far as it is known (the saved report, or the tiers after the refusal). */
    readonly accepts: { index: IndexChoice; config: ConfigVariantId; shape: OciShape },
    /** Why the bundle cannot be copied as it is. */
    readonly reasons: readonly string[],
    cause?: unknown,
  ) {
    super(
      `the bundle is published as ${describeBundleRepresentation(has)}, which this registry does not take (${reasons.join('; ')}); it takes ${describeBundleRepresentation(accepts)}`,
      {
        ...(cause !== undefined && { cause }),
        suggestions: [
          'drop --no-fallback to re-fit the bundle for this registry (bundle.json keeps its bytes; the bundle digest changes)',
          'or force the representation with --index-format, --config-variant and --shape',
        ],
      },
    )
  }
}
