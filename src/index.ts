/**
 * ocibundle as a library: everything the CLI does is available here, without oclif.
 *
 *   import { validateBundle, OciLayoutStore, parseReference } from 'ocibundle'
 */
export * from './errors.js'

// OCI data model
export * from './oci/digest.js'
export * from './oci/descriptor.js'
export * from './oci/media-types.js'
export * from './oci/annotations.js'
export * from './oci/manifest.js'
export * from './oci/reference.js'

// Storage: one interface, several back ends
export * from './content/storage.js'
export { fetchAll, fetchVerified, verifying } from './content/verify.js'
export { readBounded } from './util/streams.js'
export { MemoryStore } from './content/memory-store.js'
export { OciLayoutStore, type OciLayoutOptions } from './layout/layout-store.js'

// Graph copy between any two targets
export * from './copy/index.js'

// CNAB bundles
export * from './cnab/index.js'

export { parseStrictJson, JsonSyntaxError } from './util/strict-json.js'
