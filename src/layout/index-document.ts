/**
 * The content of a layout's index.json and the edits the store makes to it. Tags are
 * `org.opencontainers.image.ref.name` annotations on its descriptors; a manifest without a tag
 * is kept reachable by a digest-only entry (no ref.name), as oras-go's oci store does.
 *
 * Entries and top-level fields written by other tools (platform, extra annotations, unknown
 * keys) are preserved: edits touch only the ref.name annotation and the entries they must add
 * or drop. Pure functions; reading and writing the file is index-file.ts.
 * Reference: https://github.com/opencontainers/image-spec/blob/v1.1.1/image-layout.md#indexjson-file
 */
import { InvalidContentError } from '../errors.js'
import { Annotations } from '../oci/annotations.js'
import { descriptorProblems, type Descriptor } from '../oci/descriptor.js'
import { isIndex, MediaTypes } from '../oci/media-types.js'
import { parseJsonWithDuplicates } from '../util/strict-json.js'

/** An index.json descriptor, with whatever extra fields the tool that wrote it added. */
export type IndexEntry = Descriptor & Record<string, unknown>

export interface IndexDocument {
  schemaVersion: 2
  manifests: IndexEntry[]
  [field: string]: unknown
}

/** The index.json of a new layout. */
export function emptyIndex(): IndexDocument {
  return { schemaVersion: 2, mediaType: MediaTypes.OciIndex, manifests: [] }
}

/**
 * Parses index.json strictly: JSON without duplicate keys, schemaVersion 2, an index media
 * type if any, and a valid descriptor for every entry. Throws InvalidContentError naming
 * `source` and every problem.
 */
export function parseIndexDocument(raw: Uint8Array, source: string): IndexDocument {
  let doc: unknown
  try {
    const parsed = parseJsonWithDuplicates(Buffer.from(raw).toString('utf8'))
    if (parsed.duplicates.length > 0) {
      throw new Error(`duplicate keys at ${parsed.duplicates.map((d) => d.pointer).join(', ')}`)
    }
    doc = parsed.value
  } catch (err) {
    throw new InvalidContentError(`${source} is not valid JSON: ${(err as Error).message}`)
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InvalidContentError(`${source} must be a JSON object`)
  const d = doc as Record<string, unknown>
  const problems: string[] = []
  if (d.schemaVersion !== 2) problems.push('/schemaVersion: must be 2')
  if (d.mediaType !== undefined && (typeof d.mediaType !== 'string' || !isIndex(d.mediaType))) {
    problems.push(`/mediaType: must be ${MediaTypes.OciIndex}`)
  }
  if (!Array.isArray(d.manifests)) problems.push('/manifests: required array')
  else d.manifests.forEach((entry, n) => problems.push(...descriptorProblems(entry, `/manifests/${n}`)))
  if (problems.length > 0) throw new InvalidContentError(`${source} is not a valid image index: ${problems.join('; ')}`)
  return doc as IndexDocument
}

export function serializeIndexDocument(doc: IndexDocument): Buffer {
  return Buffer.from(JSON.stringify(doc))
}

/** The tag of an entry, if it has one. */
export function refNameOf(entry: Descriptor): string | undefined {
  return entry.annotations?.[Annotations.RefName]
}

/** A copy of `entry` without its ref.name (and without an annotations map left empty). */
export function withoutRefName<T extends Descriptor>(entry: T): T {
  if (entry.annotations === undefined || !(Annotations.RefName in entry.annotations)) return entry
  const { [Annotations.RefName]: _dropped, ...rest } = entry.annotations
  const copy = { ...entry }
  if (Object.keys(rest).length > 0) copy.annotations = rest
  else delete copy.annotations
  return copy
}

/** The entry carrying tag `ref`; with duplicates (written by another tool) the last wins, as in oras. */
export function findTagged(doc: IndexDocument, ref: string): IndexEntry | undefined {
  return doc.manifests.findLast((e) => refNameOf(e) === ref)
}

/** Sorted, distinct tags of the index. */
export function tagsOf(doc: IndexDocument): string[] {
  const tags = new Set<string>()
  for (const e of doc.manifests) {
    const ref = refNameOf(e)
    if (ref !== undefined) tags.add(ref)
  }
  return [...tags].sort()
}

/**
 * Points tag `ref` at `desc`. If `ref` named another manifest, that manifest keeps a
 * digest-only entry unless another entry still reaches it, so retagging never orphans content.
 * An existing digest-only entry of `desc` becomes the tagged one (its extra fields merged with
 * `desc`'s), so a tagged manifest has no redundant untagged duplicate. Returns whether the
 * document changed.
 */
export function setTag(doc: IndexDocument, desc: Descriptor, ref: string): boolean {
  if (doc.manifests.some((e) => refNameOf(e) === ref && e.digest === desc.digest)) return false
  const touched = new Set([desc.digest as string])
  doc.manifests = doc.manifests.map((e) => {
    if (refNameOf(e) !== ref) return e
    touched.add(e.digest)
    return withoutRefName(e)
  })
  const untagged = doc.manifests.findIndex((e) => e.digest === desc.digest && refNameOf(e) === undefined)
  // Merged so that fields another tool wrote on the digest-only entry survive, while what the
  // caller's descriptor says (annotations, artifactType, platform) is recorded too.
  const base: Partial<IndexEntry> = untagged >= 0 ? doc.manifests[untagged]! : {}
  const entry = indexEntryFor(desc)
  const tagged: IndexEntry = {
    ...base,
    ...entry,
    annotations: { ...base.annotations, ...entry.annotations, [Annotations.RefName]: ref },
  }
  if (untagged >= 0) doc.manifests[untagged] = tagged
  else doc.manifests.push(tagged)
  dropRedundantEntries(doc, touched)
  return true
}

/** Adds a digest-only entry for `desc` unless an entry (tagged or not) already names its digest. */
export function addUntagged(doc: IndexDocument, desc: Descriptor): boolean {
  if (doc.manifests.some((e) => e.digest === desc.digest)) return false
  doc.manifests.push(withoutRefName(indexEntryFor(desc)))
  return true
}

/** Removes tag `ref`; its manifest keeps a digest-only entry if nothing else reaches it. Returns whether the tag existed. */
export function removeTag(doc: IndexDocument, ref: string): boolean {
  const touched = new Set<string>()
  doc.manifests = doc.manifests.map((e) => {
    if (refNameOf(e) !== ref) return e
    touched.add(e.digest)
    return withoutRefName(e)
  })
  dropRedundantEntries(doc, touched)
  return touched.size > 0
}

/** Removes every entry naming `digest`. Returns whether there was one. */
export function removeDigest(doc: IndexDocument, digest: string): boolean {
  const before = doc.manifests.length
  doc.manifests = doc.manifests.filter((e) => e.digest !== digest)
  return doc.manifests.length !== before
}

/** An index entry for `desc`: embedded data is dropped, it only bloats the index. */
function indexEntryFor(desc: Descriptor): IndexEntry {
  const { data: _data, ...entry } = desc
  return entry
}

/**
 * For each digest in `digests`: when a tagged entry names it, its digest-only entries are
 * redundant and dropped; otherwise only the first digest-only entry is kept.
 */
function dropRedundantEntries(doc: IndexDocument, digests: ReadonlySet<string>): void {
  const keepUntagged = new Map<string, IndexEntry | undefined>()
  for (const digest of digests) {
    const entries = doc.manifests.filter((e) => e.digest === digest)
    keepUntagged.set(digest, entries.some((e) => refNameOf(e) !== undefined) ? undefined : entries[0])
  }
  doc.manifests = doc.manifests.filter((e) => {
    if (!keepUntagged.has(e.digest) || refNameOf(e) !== undefined) return true
    return keepUntagged.get(e.digest) === e
  })
}
