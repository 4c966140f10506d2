/**
 * The tag a bundle is published under, and the rule that a tag naming other content is never
 * moved by accident. Bundles are always tagged: an untagged bundle is invisible in registry UIs
 * and garbage collectors delete untagged manifests (HUB-11; goharbor/harbor#11277).
 */
import type { OpOptions, Resolver } from '../content/storage.js'
import { InputError, InvalidReferenceError, NotFoundError } from '../errors.js'
import type { Descriptor } from '../oci/descriptor.js'
import { isValidTag } from '../oci/reference.js'
import { TagExistsError } from './publish-errors.js'

const TAG_RULE = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}'

/**
 * The tag a bundle is published under when none is given: defaultBundleTag of its `version`.
 * Throws InputError when the bundle has no string `version` (a damaged bundle read back from a
 * registry can lack one), or when the version gives no valid tag.
 */
export function bundleTagOf(bundle: unknown): string {
  const version = typeof bundle === 'object' && bundle !== null ? (bundle as Record<string, unknown>).version : undefined
  if (typeof version !== 'string') {
    throw new InputError('the bundle has no version to derive its tag from (v<version>)', {
      suggestions: ['give the tag to publish under explicitly, e.g. registry.example.com/acme/app:v1.0.0'],
    })
  }
  return defaultBundleTag(version)
}

/**
 * The tag of a bundle version, as Porter derives it: `v<version>` with `+` (semver build
 * metadata, not allowed in tags) replaced by `_`. `1.2.3+build.5` → `v1.2.3_build.5`.
 * Throws InputError when the result is still not a valid tag.
 */
export function defaultBundleTag(version: string): string {
  const tag = `v${version.replaceAll('+', '_')}`
  if (!isValidTag(tag)) {
    throw new InputError(`the bundle version "${version}" gives the tag "${tag}", which is not a valid tag (${TAG_RULE})`, {
      suggestions: ['give the tag to publish under explicitly'],
    })
  }
  return tag
}

/**
 * Checks a tag given by the user. The registry rule applies to layouts too (they accept more),
 * so a bundle published to a layout can always be copied to a registry under the same tag.
 * Throws InvalidReferenceError.
 */
export function checkTag(tag: string): string {
  if (!isValidTag(tag)) throw new InvalidReferenceError(tag, `a bundle tag must match ${TAG_RULE}; digests and layout paths are not tags`)
  return tag
}

/**
 * What `tag` names in `target` before a publish: undefined when it names nothing (or `force`
 * allows moving it), the current descriptor when that is one of `same` (the digests the new
 * content may have: publishing again is then a no-op). Throws TagExistsError when the tag names
 * something else and `force` is not set; `wanted` names the new content in that message.
 */
export async function guardTag(
  target: Resolver,
  tag: string,
  same: readonly string[],
  options: OpOptions & { force?: boolean; wanted: string },
): Promise<Descriptor | undefined> {
  let current: Descriptor
  try {
    current = await target.resolve(tag, options)
  } catch (err) {
    if (err instanceof NotFoundError) return undefined
    throw err
  }
  if (same.includes(current.digest)) return current
  if (options.force === true) return undefined
  throw new TagExistsError(tag, current.digest, options.wanted)
}
