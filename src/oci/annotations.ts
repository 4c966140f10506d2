/**
 * Pre-defined annotation keys of the OCI image spec.
 * Reference: https://github.com/opencontainers/image-spec/blob/v1.1.1/annotations.md
 */
export const Annotations = {
  Created: 'org.opencontainers.image.created',
  Authors: 'org.opencontainers.image.authors',
  Url: 'org.opencontainers.image.url',
  Documentation: 'org.opencontainers.image.documentation',
  Source: 'org.opencontainers.image.source',
  Version: 'org.opencontainers.image.version',
  Revision: 'org.opencontainers.image.revision',
  Vendor: 'org.opencontainers.image.vendor',
  Licenses: 'org.opencontainers.image.licenses',
  /** Only meaningful on index.json descriptors of an image layout: the "tag". */
  RefName: 'org.opencontainers.image.ref.name',
  Title: 'org.opencontainers.image.title',
  Description: 'org.opencontainers.image.description',
  BaseDigest: 'org.opencontainers.image.base.digest',
  BaseName: 'org.opencontainers.image.base.name',
  /** Pre-1.1 artifact type annotation, still written by cnab-to-oci on bundle indexes. */
  ArtifactType: 'org.opencontainers.artifactType',
} as const
