/**
 * The names cnab-to-oci (v0.6.1, converter/types.go and converter/convert.go) writes into a
 * registry, the names the CNAB Registries draft (spec 201) uses where it differs, and the older
 * names earlier cnab-to-oci releases wrote, which pull still has to read.
 * References:
 *  - https://github.com/cnabio/cnab-to-oci/blob/v0.6.1/converter/convert.go
 *  - https://github.com/cnabio/cnab-spec/blob/main/201-representing-CNAB-in-OCI.md
 */

/** Config media type of cnab-to-oci's first-choice config manifest: what we write. */
export const CNAB_CONFIG_MEDIA_TYPE = 'application/vnd.cnab.config.v1+json'

/**
 * The config media type spec 201 names. Nothing writes it (cnab-to-oci#100: the spec's name never
 * reached the code), but a reader must accept it, and readers never check the config type anyway.
 */
export const CNAB_SPEC_CONFIG_MEDIA_TYPE = 'application/vnd.cnab.bundle.config.v1+json'

/** Index annotation: the bundle's `schemaVersion`, as written in bundle.json. */
export const RUNTIME_VERSION_ANNOTATION = 'io.cnab.runtime_version'
/** Index annotation: the bundle's `keywords` as a JSON array string. */
export const KEYWORDS_ANNOTATION = 'io.cnab.keywords'
/** Index annotation key proposed (never standardised) for artifact types before OCI 1.1 `artifactType`. */
export const ARTIFACT_TYPE_ANNOTATION = 'org.opencontainers.artifactType'
/** The value of ARTIFACT_TYPE_ANNOTATION on a bundle index. */
export const CNAB_ARTIFACT_TYPE = 'application/vnd.cnab.manifest.v1'

/** Descriptor annotation naming the role of an index entry; values in DescriptorType. */
export const MANIFEST_TYPE_ANNOTATION = 'io.cnab.manifest.type'
/** Descriptor annotation of a component entry: its key in the bundle's `images` map. */
export const COMPONENT_NAME_ANNOTATION = 'io.cnab.component.name'

/** The roles of the entries of a bundle index, in the order the index lists them. */
export const DescriptorType = {
  Config: 'config',
  Invocation: 'invocation',
  Component: 'component',
} as const
/** One of the roles in DescriptorType: the value of a MANIFEST_TYPE_ANNOTATION. */
export type DescriptorTypeValue = (typeof DescriptorType)[keyof typeof DescriptorType]

/**
 * Annotation keys of cnab-to-oci releases from 2018–2019 (commit 0209725 and before). They are
 * only read: `io.cnab.type` carried the same values as MANIFEST_TYPE_ANNOTATION, and
 * `io.cnab.component_name` the component key. The original-name and Docker App keys are
 * informational and listed so readers can recognise them.
 */
export const LegacyAnnotations = {
  Type: 'io.cnab.type',
  ComponentName: 'io.cnab.component_name',
  OriginalName: 'io.cnab.original_name',
  ComponentOriginalName: 'io.cnab.component.original_name',
  DockerType: 'io.docker.type',
  DockerAppFormat: 'io.docker.app.format',
} as const

/** Index `schemaVersion` of cnab-to-oci releases before the OCI index settled on 2; accepted on read. */
export const LEGACY_INDEX_SCHEMA_VERSION = 1
