/**
 * ocibundle as a library: everything the CLI does is one call away, without oclif. The library
 * never prints; progress, warnings and fallbacks reach the caller through callbacks and the
 * returned results.
 *
 * ```ts
 * import { build, publish, pull, openTarget } from 'ocibundle'
 *
 * await build('bundle.json', './out', { images: './images', autoUpdate: true })
 * const published = await publish('./out:v1.0.0', 'registry.example.com/acme/shop')
 * await pull(published.reference, './shop', { withImages: true })
 * ```
 *
 * @packageDocumentation
 */
export * from './errors.js'

// The workflows: one call per command (publish, build, pull, inspect, copy, registry check, …)
export * from './publish/index.js'

// CNAB bundles: validation, canonical JSON, the OCI representation
export * from './cnab/index.js'
export { formatBundleFiles, type FormattedFile } from './cnab/format.js'

// Registry compatibility: capabilities, the classifier, fallback tiers, saved reports
export * from './compat/index.js'

// Graph copy between any two targets
export * from './copy/index.js'

// Registries: repositories, options, credentials, the HTTP client
export * from './registry/index.js'

// Storage: one interface, several back ends
export * from './content/storage.js'
export { fetchAll, fetchVerified, verifying } from './content/verify.js'
export { MemoryStore } from './content/memory-store.js'
export { referrersInGraph } from './content/referrer-list.js'
export { OciLayoutStore, type OciLayoutOptions } from './layout/layout-store.js'
export { OciArchiveStore, type OciArchiveOptions } from './layout/archive-store.js'
export type { LockOptions } from './layout/lock-file.js'
export type { CollectedBlob, GarbageCollectionOptions, GarbageCollectionResult } from './layout/gc.js'
export type { IngestFile } from './layout/ingest.js'

// OCI data model
export * from './oci/digest.js'
export * from './oci/descriptor.js'
export * from './oci/media-types.js'
export * from './oci/annotations.js'
export * from './oci/manifest.js'
export * from './oci/referrers.js'
export * from './oci/reference.js'
export * from './oci/platform.js'

export { parseStrictJson, JsonSyntaxError, type DuplicateKey } from './util/strict-json.js'
export { readBounded } from './util/streams.js'
export { tarBytes, tarHeader, tarStream, TAR_BLOCK, type TarEntry, type TarEntryBytes } from './util/tar.js'
export { TarIndex, DEFAULT_MAX_ARCHIVE_ENTRIES, type TarFileEntry, type TarIndexOptions } from './util/tar-index.js'
export { COMPRESSION_LEVELS, deterministicGzip, gunzipFile, isGzipFile, type CompressionLevel } from './util/gzip.js'
