/**
 * Property tests of the parsers of untrusted input other than bundle JSON: references, manifests
 * and indexes, `WWW-Authenticate` challenges, `Link` headers, a layout's `index.json`. Whatever
 * the input, each returns or throws one of the project's documented errors; references and
 * canonical JSON round-trip.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { parseIndexDocument, serializeIndexDocument } from '../../src/layout/index-document.js'
import { parseManifest } from '../../src/oci/manifest.js'
import { formatReference, MAX_REFERENCE_LENGTH, parseReference } from '../../src/oci/reference.js'
import { parseWwwAuthenticate } from '../../src/registry/auth/challenge.js'
import { nextLink } from '../../src/registry/urls.js'
import { isDocumentedFailure, params } from './runs.js'

/** Runs `fn`; a throw must be a documented failure. */
function documented<T>(fn: () => T): T | undefined {
  try {
    return fn()
  } catch (err) {
    assert.ok(isDocumentedFailure(err), `undocumented failure: ${(err as Error)?.stack ?? String(err)}`)
    return undefined
  }
}

const lower = fc.stringMatching(/^[a-z0-9]{1,10}$/)
/** Valid references built from the grammar: host[:port]/path[:tag][@digest]. */
const validReference = fc
  .record({
    host: fc.option(fc.tuple(fc.array(lower, { minLength: 1, maxLength: 3 }), fc.option(fc.integer({ min: 1, max: 65535 }))), {
      nil: undefined,
    }),
    path: fc.array(fc.tuple(lower, fc.option(fc.tuple(fc.constantFrom('.', '_', '__', '-', '--'), lower), { nil: undefined })), {
      minLength: 1,
      maxLength: 4,
    }),
    tag: fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { nil: undefined }),
    digest: fc.option(fc.stringMatching(/^[a-f0-9]{64}$/), { nil: undefined }),
  })
  .map(({ host, path, tag, digest }) => {
    const hostPart = host === undefined ? '' : `${host[0].join('.')}.example${host[1] === null ? '' : `:${host[1]}`}/`
    const repo = path.map(([a, sep]) => (sep === undefined ? a : `${a}${sep[0]}${sep[1]}`)).join('/')
    return `${hostPart}${repo}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@sha256:${digest}`}`
  })
  .filter((s) => s.length <= 255)

/** Strings over the alphabet references are made of, and a few others. */
const referenceLike = fc.string({ unit: fc.constantFrom(...'abcAB09:/@._-[]%+ sha256ocidir'.split('')), maxLength: 80 })

describe('fuzz: references', () => {
  test('any string: parseReference returns a reference or throws InvalidReferenceError/UsageError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          referenceLike,
          fc.string({ maxLength: 60 }),
          fc.constant('ocidir://').chain((p) => referenceLike.map((s) => p + s)),
        ),
        (s) => {
          documented(() => parseReference(s))
        },
      ),
      params(2000),
    )
  })

  test('a parsed reference formats to a string that parses to the same reference', () => {
    fc.assert(
      fc.property(fc.oneof(validReference, referenceLike), (s) => {
        const ref = documented(() => parseReference(s))
        if (ref === undefined) return
        assert.deepEqual(parseReference(formatReference(ref)), ref)
      }),
      params(1000),
    )
  })

  test('every reference built from the grammar parses', () => {
    fc.assert(
      fc.property(validReference, (s) => {
        parseReference(s)
      }),
      params(500),
    )
  })

  test('references of megabytes are refused by their length, without recursion', () => {
    fc.assert(
      fc.property(fc.constantFrom('a', 'a/', 'a-', '_', 'ocidir://x'), fc.integer({ min: 1, max: 4 }), (unit, mib) => {
        const s = unit.repeat(Math.ceil((mib * 1024 * 1024) / unit.length))
        assert.throws(
          () => parseReference(s),
          (err: unknown) => isDocumentedFailure(err) && /characters long/.test((err as Error).message),
        )
      }),
      params(10),
    )
    assert.equal(MAX_REFERENCE_LENGTH, 1024)
  })
})

const digest = fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`)
const descriptor = fc.record(
  {
    mediaType: fc.oneof(
      fc.constantFrom('application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.layer.v1.tar'),
      fc.string(),
    ),
    digest: fc.oneof(digest, fc.string()),
    size: fc.oneof(fc.nat(), fc.integer(), fc.double()),
    annotations: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
    platform: fc.anything(),
  },
  { requiredKeys: [] },
)
const manifestLike = fc.record(
  {
    schemaVersion: fc.oneof(fc.constant(2), fc.integer(), fc.string()),
    mediaType: fc.oneof(
      fc.constantFrom(
        'application/vnd.oci.image.manifest.v1+json',
        'application/vnd.oci.image.index.v1+json',
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.docker.distribution.manifest.list.v2+json',
      ),
      fc.string(),
    ),
    config: descriptor,
    layers: fc.oneof(fc.array(descriptor, { maxLength: 3 }), fc.constant(null), fc.anything()),
    manifests: fc.oneof(fc.array(descriptor, { maxLength: 3 }), fc.anything()),
    subject: descriptor,
    artifactType: fc.oneof(fc.string(), fc.anything()),
    annotations: fc.anything(),
  },
  { requiredKeys: [] },
)

describe('fuzz: manifests, indexes and index.json', () => {
  test('any bytes or manifest-shaped JSON: parseManifest returns or throws InvalidContentError/SizeLimitError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          manifestLike.map((m) => Buffer.from(JSON.stringify(m))),
          fc.json().map((t) => Buffer.from(t)),
        ),
        fc.option(fc.constantFrom('application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json', 'text/plain'), {
          nil: undefined,
        }),
        (bytes, type) => {
          documented(() => parseManifest(bytes, type))
        },
      ),
      params(1500),
    )
  })

  test('any bytes or index-shaped JSON: parseIndexDocument returns a document that serialises and parses again, or throws InvalidContentError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          manifestLike.map((m) => Buffer.from(JSON.stringify(m))),
          fc
            .record({ schemaVersion: fc.constant(2), manifests: fc.array(descriptor, { maxLength: 4 }) })
            .map((m) => Buffer.from(JSON.stringify(m))),
        ),
        (bytes) => {
          const doc = documented(() => parseIndexDocument(bytes, 'index.json'))
          if (doc !== undefined) assert.deepEqual(parseIndexDocument(serializeIndexDocument(doc), 'index.json'), doc)
        },
      ),
      params(1500),
    )
  })
})

const headerText = fc.string({ unit: fc.constantFrom(...'<>;,="\\ \tabcrelnxt:/?&%Bearer realm service scope'.split('')), maxLength: 120 })

describe('fuzz: registry headers', () => {
  test('any WWW-Authenticate value: parseWwwAuthenticate never throws and keeps lower-case scheme and parameter names', () => {
    fc.assert(
      fc.property(fc.oneof(headerText, fc.string({ maxLength: 200 })), (header) => {
        for (const c of parseWwwAuthenticate(header)) {
          assert.equal(c.scheme, c.scheme.toLowerCase())
          for (const name of Object.keys(c.params)) assert.equal(name, name.toLowerCase())
        }
      }),
      params(2000),
    )
  })

  test('any Link value: nextLink gives an absolute URL, nothing, or InvalidContentError', () => {
    fc.assert(
      fc.property(fc.oneof(headerText, fc.string({ maxLength: 200 })), (header) => {
        const next = documented(() => nextLink(header, 'https://registry.example/v2/acme/app/tags/list'))
        if (next !== undefined) assert.ok(URL.canParse(next))
      }),
      params(2000),
    )
  })
})
