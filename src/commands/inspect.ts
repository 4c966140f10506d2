import * as Args from '@oclif/core/args'
import { BaseCommand } from '../cli/base-command.js'
import { registriesOf, registryFlags, TargetFactory } from '../cli/targets.js'
import { derivedTagReader } from '../publish/manifest-refs.js'
import { pullBundle } from '../publish/pull-bundle.js'
import type { ReadOnlyStorage } from '../content/storage.js'
import { fetchAll } from '../content/verify.js'
import type { Descriptor } from '../oci/descriptor.js'
import { isDigest } from '../oci/digest.js'
import { parseManifest } from '../oci/manifest.js'
import { formatReference } from '../oci/reference.js'

export interface InspectedImage {
  role: 'invocation' | 'component'
  name?: string
  image: string
  relocated?: string
  digest?: string
  size?: number
  mediaType?: string
  platforms: string[]
  description?: string
}

export interface InspectResult {
  reference: string
  digest: string
  name: string
  version: string
  description?: string
  schemaVersion?: string
  representation: { index: string; configManifest: string; config: string }
  images: InspectedImage[]
  parameters: Array<{ name: string; type?: string; default?: unknown; required: boolean; env?: string; path?: string; applyTo?: string[] }>
  credentials: Array<{ name: string; env?: string; path?: string; required: boolean }>
  outputs: Array<{ name: string; path?: string; type?: string; applyTo?: string[] }>
  actions: Array<{ name: string; modifies?: boolean; stateless?: boolean; description?: string }>
  warnings: string[]
}

type Json = Record<string, unknown>

export default class Inspect extends BaseCommand<InspectResult> {
  static override summary = 'show what a published or built bundle contains'
  static override description = `Reads a bundle (every digest verified) and prints its name, version and description, the
invocation and component images with their original and relocated references, digests, sizes
and platforms, and its parameters, credentials, outputs and custom actions. Works on registry
references and on ocidir:// layouts.`
  static override examples = [
    { description: 'Look inside a published bundle', command: '<%= config.bin %> <%= command.id %> registry.example.com/acme/shop:v2.3.1' },
    {
      description: 'The same, as JSON, for a layout written by build',
      command: '<%= config.bin %> <%= command.id %> --json ocidir://./shop-oci:v2.3.1',
    },
  ]
  static override args = {
    reference: Args.string({ description: 'bundle: registry reference or ocidir://dir[:tag|@digest]', required: true }),
  }
  static override flags = { ...registryFlags }

  async run(): Promise<InspectResult> {
    const { args, flags } = await this.parse(Inspect)
    const { ref, selector } = TargetFactory.parseSelected(args.reference)
    const targets = new TargetFactory(flags, registriesOf(ref))
    try {
      // Manifests a registry serves by tag only (GitHub Packages, porter#695) are read by their derived tag.
      const target = derivedTagReader(await targets.open(ref))
      const pulled = await pullBundle(target, selector, { allowMissingContentDigest: true })
      const b = pulled.bundle as Json
      const relocated = pulled.relocationMap ?? {}
      const images: InspectedImage[] = []
      for (const inv of arrayOf(b.invocationImages)) images.push(await describeImage(target, 'invocation', undefined, inv, relocated))
      for (const [name, img] of Object.entries(objectOf(b.images)).sort(([a], [c]) => (a < c ? -1 : 1)))
        images.push(await describeImage(target, 'component', name, objectOf(img), relocated))
      const definitions = objectOf(b.definitions)
      const result: InspectResult = {
        reference: formatReference(ref),
        digest: pulled.digest,
        name: String(b.name),
        version: String(b.version),
        ...(typeof b.description === 'string' && b.description !== '' && { description: b.description }),
        ...(typeof b.schemaVersion === 'string' && { schemaVersion: b.schemaVersion }),
        representation: pulled.representation,
        images,
        parameters: Object.entries(objectOf(b.parameters)).map(([name, p]) => {
          const param = objectOf(p)
          const def = objectOf(definitions[String(param.definition)])
          const dest = objectOf(param.destination)
          return {
            name,
            ...(typeof def.type === 'string' && { type: def.type }),
            ...(def.default !== undefined && { default: def.default }),
            required: param.required === true,
            ...(typeof dest.env === 'string' && { env: dest.env }),
            ...(typeof dest.path === 'string' && { path: dest.path }),
            ...(Array.isArray(param.applyTo) && { applyTo: param.applyTo.map(String) }),
          }
        }),
        credentials: Object.entries(objectOf(b.credentials)).map(([name, c]) => {
          const cred = objectOf(c)
          return {
            name,
            ...(typeof cred.env === 'string' && { env: cred.env }),
            ...(typeof cred.path === 'string' && { path: cred.path }),
            required: cred.required === true,
          }
        }),
        outputs: Object.entries(objectOf(b.outputs)).map(([name, o]) => {
          const out = objectOf(o)
          const def = objectOf(definitions[String(out.definition)])
          return {
            name,
            ...(typeof out.path === 'string' && { path: out.path }),
            ...(typeof def.type === 'string' && { type: def.type }),
            ...(Array.isArray(out.applyTo) && { applyTo: out.applyTo.map(String) }),
          }
        }),
        actions: Object.entries(objectOf(b.actions)).map(([name, a]) => {
          const act = objectOf(a)
          return {
            name,
            ...(typeof act.modifies === 'boolean' && { modifies: act.modifies }),
            ...(typeof act.stateless === 'boolean' && { stateless: act.stateless }),
            ...(typeof act.description === 'string' && { description: act.description }),
          }
        }),
        warnings: pulled.warnings,
      }
      for (const w of pulled.warnings) this.warning(w)
      this.out(render(result))
      return result
    } finally {
      await targets.close()
    }
  }
}

async function describeImage(
  target: ReadOnlyStorage,
  role: InspectedImage['role'],
  name: string | undefined,
  img: Json,
  relocated: Record<string, string>,
): Promise<InspectedImage> {
  const image = String(img.image)
  const digest = typeof img.contentDigest === 'string' ? img.contentDigest : undefined
  const size = typeof img.size === 'number' ? img.size : undefined
  const mediaType = typeof img.mediaType === 'string' ? img.mediaType : undefined
  const platforms =
    digest !== undefined && isDigest(digest) && size !== undefined && mediaType !== undefined
      ? await platformsOf(target, { mediaType, digest, size })
      : []
  return {
    role,
    ...(name !== undefined && { name }),
    image,
    ...(relocated[image] !== undefined && { relocated: relocated[image] }),
    ...(digest !== undefined && { digest }),
    ...(size !== undefined && { size }),
    ...(mediaType !== undefined && { mediaType }),
    platforms,
    ...(typeof img.description === 'string' && { description: img.description }),
  }
}

/** The platforms of an image: its index entries, or its config's os/architecture. */
async function platformsOf(target: ReadOnlyStorage, desc: Descriptor): Promise<string[]> {
  const parsed = parseManifest(await fetchAll(target, desc), desc.mediaType)
  if (parsed.kind === 'index') {
    return parsed.index.manifests.flatMap((m) =>
      m.platform ? [[m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join('/')] : [],
    )
  }
  const config = JSON.parse((await fetchAll(target, parsed.manifest.config)).toString('utf8')) as Json
  return typeof config.os === 'string' && typeof config.architecture === 'string'
    ? [[config.os, config.architecture, config.variant].filter((x) => typeof x === 'string').join('/')]
    : []
}

function render(r: InspectResult): string {
  const lines = [`${r.name} ${r.version}  ${r.digest}`]
  if (r.description) lines.push(`  ${r.description}`)
  lines.push(`  stored as ${r.representation.index}, config ${r.representation.config}`)
  for (const role of ['invocation', 'component'] as const) {
    const list = r.images.filter((i) => i.role === role)
    if (list.length === 0) continue
    lines.push(role === 'invocation' ? 'invocation image' : 'images')
    for (const i of list) {
      lines.push(`  ${i.name ? `${i.name}: ` : ''}${i.image}${i.description ? `  (${i.description})` : ''}`)
      if (i.relocated) lines.push(`    at        ${i.relocated}`)
      lines.push(
        `    digest    ${i.digest ?? '(none)'}  ${i.size ?? '?'} bytes  ${shortType(i.mediaType)}${i.platforms.length ? `  ${i.platforms.join(', ')}` : ''}`,
      )
    }
  }
  if (r.parameters.length) {
    lines.push('parameters')
    for (const p of r.parameters)
      lines.push(
        `  ${p.name}${p.type ? ` (${p.type})` : ''}${p.required ? ' required' : ''}${p.default !== undefined ? ` default ${JSON.stringify(p.default)}` : ''}${p.env ? ` → $${p.env}` : ''}${p.path ? ` → ${p.path}` : ''}`,
      )
  }
  if (r.credentials.length) {
    lines.push('credentials')
    for (const c of r.credentials)
      lines.push(`  ${c.name}${c.required ? ' required' : ''}${c.env ? ` → $${c.env}` : ''}${c.path ? ` → ${c.path}` : ''}`)
  }
  if (r.outputs.length) {
    lines.push('outputs')
    for (const o of r.outputs)
      lines.push(
        `  ${o.name}${o.type ? ` (${o.type})` : ''}${o.path ? ` ← ${o.path}` : ''}${o.applyTo ? ` on ${o.applyTo.join(', ')}` : ''}`,
      )
  }
  if (r.actions.length) {
    lines.push('actions')
    for (const a of r.actions) lines.push(`  ${a.name}${a.modifies ? ' (modifies)' : ''}${a.description ? `: ${a.description}` : ''}`)
  }
  return lines.join('\n')
}

function shortType(mt: string | undefined): string {
  if (mt === undefined) return ''
  if (mt.includes('index')) return 'OCI index'
  if (mt.includes('manifest.list')) return 'Docker manifest list'
  if (mt.includes('oci.image.manifest')) return 'OCI manifest'
  if (mt.includes('docker.distribution.manifest.v2')) return 'Docker manifest'
  return mt
}

function arrayOf(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter((x): x is Json => typeof x === 'object' && x !== null) : []
}
function objectOf(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {}
}
