/**
 * The flags of the artifact and referrer commands (`artifact push`, `attach`, `discover`, and
 * `--referrers-mode`/`--no-referrers` where bundles and images are copied), and the one mapping
 * from them to the library's options.
 */
import * as Flags from '@oclif/core/flags'
import { UsageError } from '../errors.js'
import type { ArtifactForm } from '../compat/strategies.js'
import type { PushArtifactOptions } from '../publish/push-artifact.js'
import type { ReferrersMode } from '../registry/referrers.js'
import { registryOptions, type RegistryFlagValues } from './registry-flags.js'

/** `--referrers-mode`: where registries record and look up referrers. */
export const referrersModeFlag = {
  'referrers-mode': Flags.option({
    options: ['auto', 'api', 'tag'] as const,
    summary:
      'where referrers (signatures, SBOMs) are recorded and looked up: auto (the referrers API where the registry has it, else sha256-<hex> tags), api, or tag',
    helpGroup: 'REGISTRY',
  })(),
}

export const artifactFlags = {
  'artifact-type': Flags.string({ required: true, summary: 'the artifact type, a media type', helpValue: 'type' }),
  annotation: Flags.string({
    multiple: true,
    summary: 'a manifest annotation; repeatable (nothing time-dependent is written unless given here)',
    helpValue: 'key=value',
  }),
  config: Flags.string({ summary: 'a config file for the artifact (default: none, the empty config)', helpValue: 'file[:mediaType]' }),
  fallback: Flags.boolean({
    default: true,
    allowNo: true,
    summary: 'write the artifact in another form when the registry refuses artifactType or the empty config (--no-fallback: fail instead)',
  }),
  ...referrersModeFlag,
}

export interface ArtifactFlagValues extends RegistryFlagValues {
  'artifact-type': string
  annotation?: string[]
  config?: string
  fallback: boolean
  'referrers-mode'?: ReferrersMode
}

/** The library options the artifact flags stand for. */
export function artifactOptions(flags: ArtifactFlagValues): PushArtifactOptions {
  return {
    ...registryOptions(flags),
    ...referrersOptions(flags),
    artifactType: flags['artifact-type'],
    ...(flags.annotation !== undefined && { annotations: parseAnnotations(flags.annotation) }),
    ...(flags.config !== undefined && { config: flags.config }),
    allowFallback: flags.fallback,
  }
}

/** `{ referrersMode, referrers }`, each when its flag was given. */
export function referrersOptions(flags: { 'referrers-mode'?: ReferrersMode; referrers?: boolean }): {
  referrersMode?: ReferrersMode
  referrers?: boolean
} {
  return {
    ...(flags['referrers-mode'] !== undefined && { referrersMode: flags['referrers-mode'] }),
    ...(flags.referrers !== undefined && { referrers: flags.referrers }),
  }
}

/**
 * `--[no-]referrers` (on by default; `summary` says what it brings along for the command) and
 * `--referrers-mode`: the flags of every command that copies, writes or checks a bundle's referrers.
 */
export function bundleReferrersFlags(summary: string) {
  return { referrers: Flags.boolean({ default: true, allowNo: true, summary }), ...referrersModeFlag }
}

/** `key=value` flags as a map; throws UsageError for one without `=` or with an empty key. */
export function parseAnnotations(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const v of values) {
    const at = v.indexOf('=')
    if (at <= 0) throw new UsageError(`--annotation takes key=value, not "${v}"`)
    out[v.slice(0, at)] = v.slice(at + 1)
  }
  return out
}

/** The form names, for output. */
export const FORM_WORDS: Record<ArtifactForm, string> = {
  'artifact-type': 'artifactType + empty config (image-spec 1.1)',
  'config-media-type': 'artifact type as the config media type (oras 1.0 form)',
  'image-config': 'image config, artifact type in an annotation (oras 0.x form)',
}
