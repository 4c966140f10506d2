/**
 * Referrers. Distribution 2.8 has no referrers API (a text/plain router 404) and never answers
 * `OCI-Subject`, so the tag-schema fallback is exercised for real: pushing a manifest with a
 * subject maintains the `sha256-<hex>` index, listing reads it. A registry with the API is
 * emulated through the proxy.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { InvalidContentError, UnsupportedError } from '../../../src/errors.js'
import type { Descriptor } from '../../../src/oci/descriptor.js'
import { digestEncoded } from '../../../src/oci/digest.js'
import { parseManifest } from '../../../src/oci/manifest.js'
import { MediaTypes } from '../../../src/oci/media-types.js'
import { referrersTag } from '../../../src/registry/referrers.js'
import { after, before } from 'node:test'
import { RegistryClient } from '../../../src/registry/http/client.js'
import { RegistryRepository } from '../../../src/registry/repository.js'
import { blob, image, index, readAll, type Content } from '../../helpers/content.js'
import { matchRequest } from '../../helpers/registry/fault-proxy.js'
import { startQuirkProxy, type QuirkProxy } from '../../helpers/registry/quirk-proxy.js'
import { fastRetry, forwardChanged, freshRepository, logged, pushAll, requestLines, useRegistry } from './helpers.js'

const env = useRegistry()

/** An artifact manifest referring to `subject`, with its config blob. */
function artifact(
  subject: Descriptor,
  label: string,
  o: { artifactType?: string; configType?: string } = {},
): { config: Content; manifest: Content } {
  const config = blob(JSON.stringify({ label }), o.configType ?? 'application/vnd.example.config.v1+json')
  const doc = {
    schemaVersion: 2,
    mediaType: MediaTypes.OciManifest,
    ...(o.artifactType !== undefined && { artifactType: o.artifactType }),
    config: config.desc,
    layers: [],
    subject,
    annotations: { 'org.example.label': label },
  }
  return { config, manifest: blob(JSON.stringify(doc), MediaTypes.OciManifest) }
}

async function collect(items: AsyncIterable<Descriptor>): Promise<Descriptor[]> {
  const out: Descriptor[] = []
  for await (const d of items) out.push(d)
  return out
}

/** A repository holding a subject image; returns the repository (through the proxy) and the subject. */
async function withSubject(label: string): Promise<{ name: string; repo: RegistryRepository; subject: Descriptor }> {
  const name = freshRepository('referrers')
  const img = image(label)
  await pushAll(env.direct(name), img.config, img.layer, img.manifest)
  return { name, repo: env.proxied(name), subject: img.manifest.desc }
}

describe('RegistryRepository: referrers', () => {
  test('the referrers tag of a digest is <alg>-<encoded>', () => {
    const d = image('tag').manifest.desc.digest
    assert.equal(referrersTag(d), `sha256-${digestEncoded(d)}`)
  })

  test('on distribution 2.8 a pushed referrer is recorded in the sha256-<hex> index (read back after writing) and found through it, its manifest checked; the probe is remembered', async () => {
    const { name, repo, subject } = await withSubject('subject')
    const sbom = artifact(subject, 'sbom', { artifactType: 'application/vnd.example.sbom' })
    const tag = referrersTag(subject.digest)
    await repo.push(sbom.config.desc, sbom.config.bytes)
    const pushed = await logged(env.proxy, () => repo.push(sbom.manifest.desc, sbom.manifest.bytes))
    assert.deepEqual(
      pushed.map((r) => `${r.method} ${r.path} ${r.status}`),
      [
        `PUT /v2/${name}/manifests/${sbom.manifest.desc.digest} 201`,
        `GET /v2/${name}/manifests/${tag} 404`,
        `PUT /v2/${name}/manifests/${tag} 201`,
        `GET /v2/${name}/manifests/${tag} 200`,
      ],
    )
    assert.equal(pushed[0]?.responseHeaders['oci-subject'], undefined, 'distribution 2.8 does not index subjects')

    const expected = { ...sbom.manifest.desc, artifactType: 'application/vnd.example.sbom', annotations: { 'org.example.label': 'sbom' } }
    const index = parseManifest(await readAll((await env.direct(name).fetchReference(tag)).body))
    assert.equal(index.kind, 'index')
    assert.deepEqual(index.kind === 'index' && index.index.manifests, [expected])

    assert.equal(repo.referrersSupport, 'unknown')
    let found: Descriptor[] = []
    const listed = await logged(env.proxy, async () => {
      found = await collect(repo.listReferrers(subject))
    })
    assert.deepEqual(found, [expected])
    assert.deepEqual(
      listed.map((r) => `${r.method} ${r.path} ${r.status}`),
      [
        `GET /v2/${name}/referrers/${subject.digest} 404`,
        `GET /v2/${name}/manifests/${tag} 200`,
        `GET /v2/${name}/manifests/${sbom.manifest.desc.digest} 200`,
      ],
    )
    assert.equal(repo.referrersSupport, 'unsupported')
    const again = await logged(env.proxy, async () => assert.deepEqual(await repo.predecessors(subject), [expected]))
    assert.deepEqual(requestLines(again), [`GET /v2/${name}/manifests/${tag}`, `GET /v2/${name}/manifests/${sbom.manifest.desc.digest}`])
  })

  test('several referrers: filtered by artifactType, an image config type stands in for a missing artifactType, a second push adds nothing', async () => {
    const { repo, subject } = await withSubject('several')
    const sbom = artifact(subject, 'sbom', { artifactType: 'application/vnd.example.sbom' })
    const sig = artifact(subject, 'sig', { configType: 'application/vnd.example.signature.config.v1+json' })
    await pushAll(repo, sbom.config, sbom.manifest, sig.config, sig.manifest)
    const records = await logged(env.proxy, () => repo.push(sig.manifest.desc, sig.manifest.bytes))
    assert.equal(records.filter((r) => r.method === 'PUT').length, 1, 'already listed: the index is not rewritten')
    assert.deepEqual(
      (await collect(repo.listReferrers(subject))).map((d) => [d.digest, d.artifactType]),
      [
        [sbom.manifest.desc.digest, 'application/vnd.example.sbom'],
        [sig.manifest.desc.digest, 'application/vnd.example.signature.config.v1+json'],
      ],
    )
    assert.deepEqual(
      (await collect(repo.listReferrers(subject, { artifactType: 'application/vnd.example.sbom' }))).map((d) => d.digest),
      [sbom.manifest.desc.digest],
    )
    assert.deepEqual(await collect(repo.listReferrers(image('no referrers').manifest.desc)), [])
  })

  test('the tag-schema update is conditional on the ETag read, and a lost race (412) is read and written again', async () => {
    const { name, repo, subject } = await withSubject('race')
    const first = artifact(subject, 'first', { artifactType: 'application/vnd.example.a' })
    const second = artifact(subject, 'second', { artifactType: 'application/vnd.example.b' })
    await pushAll(repo, first.config, first.manifest, second.config)
    const tag = referrersTag(subject.digest)
    env.proxy.addFault({ match: matchRequest('PUT', `/manifests/${tag}`), action: { status: 412 } })
    const records = await logged(env.proxy, () => repo.push(second.manifest.desc, second.manifest.bytes))
    assert.deepEqual(
      records.map((r) => `${r.method} ${r.path.split('/').pop()} ${r.status}`),
      [`PUT ${second.manifest.desc.digest} 201`, `GET ${tag} 200`, `PUT ${tag} 412`, `GET ${tag} 200`, `PUT ${tag} 201`, `GET ${tag} 200`],
    )
    assert.equal(records[2]?.requestHeaders['if-match'], records[1]?.responseHeaders.etag)
    assert.equal(records[4]?.requestHeaders['if-match'], records[3]?.responseHeaders.etag)
    assert.deepEqual(
      (await collect(env.direct(name).listReferrers(subject))).map((d) => d.digest),
      [first.manifest.desc.digest, second.manifest.desc.digest],
    )
  })

  test('deleting a referrer removes it from the tag-schema index', async () => {
    const { name, repo, subject } = await withSubject('delete')
    const a = artifact(subject, 'a', { artifactType: 'application/vnd.example.a' })
    const b = artifact(subject, 'b', { artifactType: 'application/vnd.example.b' })
    await pushAll(repo, a.config, a.manifest, b.config, b.manifest)
    await repo.delete(a.manifest.desc)
    assert.deepEqual(
      (await collect(env.direct(name).listReferrers(subject))).map((d) => d.digest),
      [b.manifest.desc.digest],
    )
  })

  test('a referrers tag holding something other than an index: listing finds nothing, pushing a referrer refuses to overwrite it', async () => {
    const { name, repo, subject } = await withSubject('squatted')
    const other = image('squatter')
    await pushAll(env.direct(name), other.config, other.layer)
    await env.direct(name).pushReference(other.manifest.desc, other.manifest.bytes, referrersTag(subject.digest))
    assert.deepEqual(await collect(repo.listReferrers(subject)), [])
    const ref = artifact(subject, 'r', { artifactType: 'application/vnd.example.r' })
    await repo.push(ref.config.desc, ref.config.bytes)
    await assert.rejects(repo.push(ref.manifest.desc, ref.manifest.bytes), InvalidContentError)
  })

  test('a 404 NAME_UNKNOWN from the referrers API means no repository: nothing listed, nothing learned', async () => {
    const { name, repo, subject } = await withSubject('name unknown')
    env.proxy.addFault({
      match: matchRequest('GET', `/v2/${name}/referrers/`),
      action: { status: 404, body: { errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] } },
    })
    assert.deepEqual(await collect(repo.listReferrers(subject)), [])
    assert.equal(repo.referrersSupport, 'unknown')
  })

  describe('a registry with the referrers API (emulated)', () => {
    /** Serves `pages` for GET referrers/<subject>, linked with relative `Link` headers; `filtersApplied` sets OCI-Filters-Applied. */
    function referrersApi(name: string, subject: Descriptor, pages: Descriptor[][], filtersApplied?: string): void {
      env.intercept = async (req, ctx) => {
        const url = new URL(req.url ?? '/', ctx.proxyUrl)
        if (req.method !== 'GET' || url.pathname !== `/v2/${name}/referrers/${subject.digest}`) return false
        const page = Number(url.searchParams.get('page') ?? 0)
        const headers: Record<string, string> = { 'content-type': MediaTypes.OciIndex }
        if (page + 1 < pages.length) headers.link = `<${url.pathname}?page=${page + 1}>; rel="next"`
        if (filtersApplied !== undefined) headers['oci-filters-applied'] = filtersApplied
        ctx.res.writeHead(200, headers)
        ctx.res.end(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.OciIndex, manifests: pages[page] ?? [] }))
        return true
      }
    }
    const a = { mediaType: MediaTypes.OciManifest, digest: blob('a').desc.digest, size: 10, artifactType: 'application/vnd.example.a' }
    const b = { mediaType: MediaTypes.OciManifest, digest: blob('b').desc.digest, size: 11, artifactType: 'application/vnd.example.b' }
    const c = { mediaType: MediaTypes.OciManifest, digest: blob('c').desc.digest, size: 12, artifactType: 'application/vnd.example.a' }

    test('pages are followed through Link, and artifactType is filtered here when OCI-Filters-Applied is absent', async () => {
      const { name, repo, subject } = await withSubject('api pages')
      referrersApi(name, subject, [[a, b], [c]])
      const records = await logged(env.proxy, async () => assert.deepEqual(await collect(repo.listReferrers(subject)), [a, b, c]))
      assert.deepEqual(
        records.map((r) => r.path),
        [`/v2/${name}/referrers/${subject.digest}`, `/v2/${name}/referrers/${subject.digest}?page=1`],
      )
      assert.equal(repo.referrersSupport, 'supported')
      const filtered = await logged(env.proxy, async () =>
        assert.deepEqual(await collect(repo.listReferrers(subject, { artifactType: 'application/vnd.example.a' })), [a, c]),
      )
      assert.equal(new URL(filtered[0]!.path, 'http://x').searchParams.get('artifactType'), 'application/vnd.example.a')
    })

    test('with OCI-Filters-Applied: artifactType the registry has filtered, and its answer is taken as is', async () => {
      const { name, repo, subject } = await withSubject('api filtered')
      referrersApi(name, subject, [[a, b]], 'artifactType')
      assert.deepEqual(await collect(repo.listReferrers(subject, { artifactType: 'application/vnd.example.a' })), [a, b])
    })

    test('a manifest PUT answered with OCI-Subject is not recorded in the tag schema; once the probe found no API it is (ECR-8)', async () => {
      const { name, repo, subject } = await withSubject('oci-subject')
      const ref = artifact(subject, 'indexed by the registry', { artifactType: 'application/vnd.example.a' })
      await repo.push(ref.config.desc, ref.config.bytes)
      env.intercept = async (req, ctx) => {
        if (req.method !== 'PUT' || !req.url?.includes(`/manifests/${ref.manifest.desc.digest}`)) return false
        await forwardChanged(req, ctx, {
          response: (answer) => ({ ...answer, headers: { ...answer.headers, 'oci-subject': subject.digest } }),
        })
        return true
      }
      const records = await logged(env.proxy, () => repo.push(ref.manifest.desc, ref.manifest.bytes))
      assert.deepEqual(requestLines(records), [`PUT /v2/${name}/manifests/${ref.manifest.desc.digest}`])

      const probed = env.proxied(name)
      assert.deepEqual(await collect(probed.listReferrers(subject)), [])
      assert.equal(probed.referrersSupport, 'unsupported')
      await probed.push(ref.manifest.desc, ref.manifest.bytes)
      assert.deepEqual(
        (await collect(probed.listReferrers(subject))).map((d) => d.digest),
        [ref.manifest.desc.digest],
      )
    })
  })

  describe('the tag schema is checked before it is believed', () => {
    test("entries whose manifest does not name the subject are not referrers; another tool's entries and fields are kept", async () => {
      const { name, repo, subject } = await withSubject('checked entries')
      const good = artifact(subject, 'good', { artifactType: 'application/vnd.example.good' })
      const stranger = image('not a referrer')
      await pushAll(env.direct(name), good.config, good.manifest, stranger.config, stranger.layer, stranger.manifest)
      // Written by "another tool", straight to the registry: a manifest that is no referrer, and an index annotation.
      const foreign = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaTypes.OciIndex,
          manifests: [stranger.manifest.desc],
          annotations: { 'org.example.tool': 'other' },
        }),
      )
      const tag = referrersTag(subject.digest)
      await env.direct(name).pushReference(blob(foreign, MediaTypes.OciIndex).desc, foreign, tag)
      await repo.push(good.manifest.desc, good.manifest.bytes)

      assert.deepEqual(
        (await collect(repo.listReferrers(subject))).map((d) => d.digest),
        [good.manifest.desc.digest],
      )
      const stored = parseManifest(await readAll((await env.direct(name).fetchReference(tag)).body))
      assert.ok(stored.kind === 'index')
      assert.deepEqual(
        stored.index.manifests.map((d) => d.digest),
        [stranger.manifest.desc.digest, good.manifest.desc.digest],
      )
      assert.deepEqual(stored.index.annotations, { 'org.example.tool': 'other' })
    })

    test('two referrers pushed at once by two clients of this process are both in the index', async () => {
      const { name, subject } = await withSubject('at once')
      const a = artifact(subject, 'a', { artifactType: 'application/vnd.example.a' })
      const b = artifact(subject, 'b', { artifactType: 'application/vnd.example.b' })
      const [ra, rb] = [env.proxied(name), env.proxied(name)]
      await pushAll(ra, a.config, b.config)
      await Promise.all([ra.push(a.manifest.desc, a.manifest.bytes), rb.push(b.manifest.desc, b.manifest.bytes)])
      assert.deepEqual(
        (await collect(env.direct(name).listReferrers(subject))).map((d) => d.digest).sort(),
        [a.manifest.desc.digest, b.manifest.desc.digest].sort(),
      )
    })

    test('another writer that replaces the index right after our PUT (no conditional PUT on distribution 2.8): we read it back, merge and write again', async () => {
      const { name, repo, subject } = await withSubject('overwritten')
      const ours = artifact(subject, 'ours', { artifactType: 'application/vnd.example.ours' })
      const theirs = artifact(subject, 'theirs', { artifactType: 'application/vnd.example.theirs' })
      await pushAll(env.direct(name), ours.config, theirs.config, theirs.manifest)
      await repo.push(ours.config.desc, ours.config.bytes)
      const tag = referrersTag(subject.digest)
      // Their index, as they computed it from what they read before our PUT: their entry only.
      const theirIndex = index([{ ...theirs.manifest, desc: { ...theirs.manifest.desc, artifactType: 'application/vnd.example.theirs' } }])
      let replaced = false
      env.intercept = async (req, ctx) => {
        if (replaced || req.method !== 'PUT' || !req.url?.endsWith(`/manifests/${tag}`)) return false
        replaced = true
        await forwardChanged(req, ctx)
        await env.direct(name).pushReference(theirIndex.desc, theirIndex.bytes, tag)
        return true
      }
      const records = await logged(env.proxy, () => repo.push(ours.manifest.desc, ours.manifest.bytes))
      assert.deepEqual(
        records.map((r) => `${r.method} ${r.path.split('/').pop()}`),
        [`PUT ${ours.manifest.desc.digest}`, `GET ${tag}`, `PUT ${tag}`, `GET ${tag}`, `GET ${tag}`, `PUT ${tag}`, `GET ${tag}`],
      )
      assert.deepEqual(
        (await collect(env.direct(name).listReferrers(subject))).map((d) => d.digest),
        [theirs.manifest.desc.digest, ours.manifest.desc.digest],
      )
    })
  })

  describe('through quirk proxies', () => {
    let gitlab: QuirkProxy
    let api: QuirkProxy
    let client: RegistryClient
    before(async () => {
      gitlab = await startQuirkProxy(env.registry, 'gitlab')
      api = await startQuirkProxy(env.registry, 'referrers-api')
      client = new RegistryClient({ retry: fastRetry() })
    })
    after(async () => {
      await client?.close()
      await gitlab?.stop()
      await api?.stop()
    })
    const at = (proxy: QuirkProxy, name: string, mode?: 'auto' | 'api' | 'tag'): RegistryRepository =>
      new RegistryRepository({ registry: proxy.host, repository: name }, client, mode !== undefined ? { referrersMode: mode } : {})

    test("GITLAB-1: a registry that resolves sha256-<hex> to the subject itself lists no referrers, not the subject's children", async () => {
      const name = freshRepository('gitlab')
      const amd = image('gitlab amd64')
      const arm = image('gitlab arm64')
      const multi = index([amd.manifest, arm.manifest])
      await pushAll(env.direct(name), amd.config, amd.layer, amd.manifest, arm.config, arm.layer, arm.manifest, multi)
      const repo = at(gitlab, name)
      const start = gitlab.proxy.requests.length
      assert.deepEqual(await collect(repo.listReferrers(multi.desc)), [])
      const tagRead = gitlab.proxy.requests.slice(start).find((r) => r.path.endsWith(`/manifests/${referrersTag(multi.desc.digest)}`))
      assert.equal(tagRead?.status, 200, 'the registry did answer the tag, with the index itself')
    })

    test('GITLAB-1: pushing a referrer there fails before writing the tag, naming the evidence', async () => {
      const name = freshRepository('gitlab')
      const subject = image('gitlab subject')
      await pushAll(env.direct(name), subject.config, subject.layer, subject.manifest)
      const sig = artifact(subject.manifest.desc, 'sig', { artifactType: 'application/vnd.example.sig' })
      const repo = at(gitlab, name)
      await repo.push(sig.config.desc, sig.config.bytes)
      const start = gitlab.proxy.requests.length
      await assert.rejects(repo.push(sig.manifest.desc, sig.manifest.bytes), (err: unknown) => {
        assert.ok(err instanceof UnsupportedError)
        assert.match(err.message, /resolves the referrers tag sha256-[0-9a-f]{64} to the manifest sha256:[0-9a-f]{64} itself \(GITLAB-1\)/)
        return true
      })
      const puts = gitlab.proxy.requests.slice(start).filter((r) => r.method === 'PUT')
      assert.deepEqual(
        puts.map((r) => r.path.split('/').pop()),
        [sig.manifest.desc.digest],
        'the tag was not written',
      )
    })

    test('with the referrers API: OCI-Subject means no tag is written in mode auto; mode tag writes it all the same', async () => {
      const name = freshRepository('api')
      const subject = image('api subject')
      await pushAll(env.direct(name), subject.config, subject.layer, subject.manifest)
      const a = artifact(subject.manifest.desc, 'a', { artifactType: 'application/vnd.example.a' })
      const b = artifact(subject.manifest.desc, 'b', { artifactType: 'application/vnd.example.b' })
      const auto = at(api, name)
      await pushAll(auto, a.config, b.config)
      assert.deepEqual(await auto.pushManifest(a.manifest.desc, a.manifest.bytes), { referrer: { via: 'registry' } })
      const tag = referrersTag(subject.manifest.desc.digest)
      assert.equal(await env.direct(name).exists({ ...subject.manifest.desc, digest: subject.manifest.desc.digest }), true)
      await assert.rejects(env.direct(name).resolve(tag), /not found|unknown/i)
      assert.deepEqual(await at(api, name, 'tag').pushManifest(b.manifest.desc, b.manifest.bytes), { referrer: { via: 'tag-schema', tag } })
      assert.deepEqual(
        (await collect(env.direct(name).listReferrers(subject.manifest.desc))).map((d) => d.digest),
        [b.manifest.desc.digest],
      )
      assert.deepEqual(
        (await collect(auto.listReferrers(subject.manifest.desc))).map((d) => d.digest),
        [a.manifest.desc.digest, b.manifest.desc.digest],
      )
    })

    test('mode api on a registry without the API: the push is refused as a referrer, with what to do', async () => {
      const { name, subject } = await withSubject('api mode')
      const a = artifact(subject, 'a', { artifactType: 'application/vnd.example.a' })
      const repo = env.proxied(name, { referrersMode: 'api' })
      await repo.push(a.config.desc, a.config.bytes)
      await assert.rejects(repo.push(a.manifest.desc, a.manifest.bytes), (err: unknown) => {
        assert.ok(err instanceof UnsupportedError)
        assert.match(err.message, /has no referrers API \(referrers mode "api"\)/)
        assert.match(err.suggestions.join(' '), /--referrers-mode auto/)
        return true
      })
    })
  })
})
