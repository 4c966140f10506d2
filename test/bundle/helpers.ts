/**
 * Shared inputs of the bundle-format tests: cnab-to-oci's golden bundle (the 1596-byte canonical
 * bundle.json of its ExamplePull test) and its expected index, with the image descriptors that
 * index lists (SOURCES.md in test/fixtures/bundles/upstream).
 */
import { readFileSync } from 'node:fs'
import type { Descriptor } from '../../src/oci/descriptor.js'

const read = (relative: string): Buffer => readFileSync(new URL(`../fixtures/${relative}`, import.meta.url))

/** The golden canonical bundle.json bytes (sha256 dbe3480b…, 1596 bytes). */
export const GOLDEN_BUNDLE_BYTES = read('bundles/upstream/cnab-to-oci__remotes__pull_test.go__ExamplePull_output.canonical-bundle.json')
/** cnab-to-oci's expected bundle index, pretty-printed. */
export const FIXTURE_INDEX_BYTES = read('oci/cnab-to-oci__remotes__push_test.go__expectedBundleManifest.oci-index.json')
/** cnab-to-oci's Docker schema 2 config manifest, byte-exact. */
export const FIXTURE_DOCKER_CONFIG_MANIFEST = read('oci/cnab-to-oci__remotes__push_test.go__expectedConfigManifest.docker-fallback.json')

export type JsonObject = Record<string, unknown>

/** A fresh parsed copy of the golden bundle, safe to modify. */
export function goldenBundle(): JsonObject {
  return JSON.parse(GOLDEN_BUNDLE_BYTES.toString('utf8')) as JsonObject
}

/** A fresh parsed copy of the fixture index, safe to modify. */
export function fixtureIndex(): { manifests: Descriptor[]; annotations: Record<string, string> } & JsonObject {
  return JSON.parse(FIXTURE_INDEX_BYTES.toString('utf8')) as { manifests: Descriptor[]; annotations: Record<string, string> } & JsonObject
}

/** The image descriptors of the fixture index (mediaType, digest, size), keyed by the golden bundle's image references. */
export function fixtureImages(): Map<string, Descriptor> {
  const [, invocation, another, image1] = fixtureIndex().manifests.map(({ mediaType, digest, size }) => ({ mediaType, digest, size }))
  return new Map([
    ['my.registry/namespace/my-app-invoc', invocation!],
    ['my.registry/namespace/another-image', another!],
    ['my.registry/namespace/image-1', image1!],
  ])
}
