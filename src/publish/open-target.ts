/**
 * Opening what a reference names as a storage target: a registry repository (`host/repo`, the
 * docker-style forms), an OCI image layout directory (`ocidir://path`) or an OCI layout in a tar
 * file (`ociarchive://file.tar`). Every library call that takes references opens its targets
 * here, so the CLI and programs reach the same places with the same settings.
 */
import { rm, stat } from 'node:fs/promises'
import type { GraphTarget, Target } from '../content/storage.js'
import { DryRunTarget } from '../copy/dry-run.js'
import { OciArchiveStore } from '../layout/archive-store.js'
import { OciLayoutStore } from '../layout/layout-store.js'
import type { Reference } from '../oci/reference.js'
import { createRegistryClient } from '../registry/config/create-registry-client.js'
import type { RegistryOptions } from '../registry/config/registry-options.js'
import type { RegistryClient } from '../registry/http/client.js'
import type { ReferrersMode } from '../registry/referrers.js'
import { RegistryRepository } from '../registry/repository.js'
import { destinationReference, sourceReference } from './target-argument.js'

/** What every library call that takes references accepts: how to reach registries, a shared client, cancellation. */
export interface OperationOptions extends RegistryOptions {
  /** A registry client to use (it is left open). Undefined → one made from the options for the call, closed when it ends. */
  client?: RegistryClient
  /** Cancels the call: nothing new starts, transfers in flight are aborted, the call rejects with the signal's reason. */
  signal?: AbortSignal
  /**
   * Where registry repositories record and look up referrers (signatures, SBOMs): `auto` (the
   * referrers API where the registry has it, else the `sha256-<hex>` tag schema), `api` or
   * `tag` only. Undefined → `auto`.
   */
  referrersMode?: ReferrersMode
}

/** Options of openTarget. */
export interface OpenTargetOptions extends Omit<OperationOptions, 'signal'> {
  /**
   * The target will be written: a missing layout directory is created, a registry repository
   * asks for push access up front (one token for reading and writing), and an archive
   * (`ociarchive://`) collects what is pushed and writes the tar file when it is closed (call
   * `discard()` instead of `close()` to leave the file as it was). Default false: a missing
   * layout or archive is a NotFoundError.
   */
  write?: boolean
}

/**
 * A target opened by openTarget: the storage interface (fetch, exists, push, resolve, tag,
 * predecessors), the optional capabilities its back end has (found with the `can…` guards of
 * the package: canListTags, canListReferrers, canMount, canDelete, …), and close().
 */
export interface OpenedTarget extends GraphTarget {
  /** Releases what the target holds (a registry client's connections). Call once when done. */
  close(): Promise<void>
}

/**
 * Opens `reference` (a string as the CLI takes it, read by the rule of classifyArgument, or a
 * parsed Reference). A tag or digest in the reference is not looked at: pass it to the target's
 * `resolve`. The transport options (`plainHttp`, `insecure`, `caFile`) apply to this reference's
 * registry. An archive opened with `write` is written by close() (see OpenTargetOptions.write).
 * Throws InvalidReferenceError for a malformed reference, NotFoundError for a missing layout
 * directory, archive or local path (without `write`), UsageError for a file,
 * InvalidContentError for a malformed layout, UnsafeArchiveError and UnsafePathError for a
 * hostile archive, and InputError for a malformed host configuration or an unreadable CA file.
 */
export async function openTarget(reference: string | Reference, options: OpenTargetOptions = {}): Promise<OpenedTarget> {
  const ref = typeof reference !== 'string' ? reference : options.write ? destinationReference(reference) : sourceReference(reference)
  if (ref.kind === 'layout') return OciLayoutStore.open(ref.path, { create: options.write ?? false })
  if (ref.kind === 'archive') return OciArchiveStore.open(ref.path, { write: options.write ?? false })
  const client = options.client ?? (await createRegistryClient(options, [ref.registry]))
  return new RegistryRepository(ref, client, {
    access: options.write ? 'push' : 'pull',
    ownsClient: options.client === undefined,
    ...(options.referrersMode !== undefined && { referrersMode: options.referrersMode }),
  })
}

/**
 * The targets of one operation: registry repositories share one client, made on first use with
 * the transport options applied to `references`' registries. close() writes the archives opened
 * for writing and closes the client (unless the options brought their own); discard() drops
 * what was pushed into archives instead of writing it.
 */
export class OperationTargets {
  private client: Promise<RegistryClient> | undefined
  private readonly archives: OciArchiveStore[] = []
  /** Layouts opened for writing, to close (their writer's lease) and, after a failure, to remove when this operation created them and wrote nothing. */
  private readonly layouts: OciLayoutStore[] = []

  constructor(
    private readonly options: OperationOptions,
    private readonly references: readonly Reference[],
  ) {}

  /** The registry client of this operation, created on first use. */
  registryClient(): Promise<RegistryClient> {
    if (this.options.client !== undefined) return Promise.resolve(this.options.client)
    this.client ??= createRegistryClient(this.options, registriesOf(this.references))
    return this.client
  }

  /** Opens `ref` (see openTarget); its close() leaves the shared client open, and archives are written by this object's close(). */
  async open(ref: Reference, options: { write?: boolean } = {}): Promise<OpenedTarget> {
    if (ref.kind === 'layout') return this.openLayout(ref.path, options.write ?? false)
    if (ref.kind === 'archive') {
      const archive = await OciArchiveStore.open(ref.path, { write: options.write ?? false })
      this.archives.push(archive)
      return archive
    }
    return new RegistryRepository(ref, await this.registryClient(), {
      access: options.write ? 'push' : 'pull',
      ...(this.options.referrersMode !== undefined && { referrersMode: this.options.referrersMode }),
    })
  }

  /**
   * Opens `ref` to be written; with `dryRun`, a DryRunTarget instead, which reads from what is
   * there (nothing, for a layout directory that does not exist: none is created) and records the
   * writes in its `plan`.
   */
  async openDestination(ref: Reference, dryRun: boolean): Promise<Target | DryRunTarget> {
    if (!dryRun) return this.open(ref, { write: true })
    if (ref.kind === 'layout' && !(await isDirectory(ref.path))) return new DryRunTarget(undefined)
    return new DryRunTarget(await this.open(ref))
  }

  /** Opens the layout in `dir` (for writing: created when missing); see OciLayoutStore.open. */
  async openLayout(dir: string, write: boolean): Promise<OciLayoutStore> {
    const store = await OciLayoutStore.open(dir, { create: write })
    if (write) this.layouts.push(store)
    return store
  }

  /**
   * Writes the archives opened for writing (what was pushed into them), then closes the
   * registry client made for this operation, if any; a client from the options stays open.
   */
  async close(): Promise<void> {
    try {
      for (const archive of this.archives.splice(0)) await archive.close()
    } finally {
      for (const store of this.layouts.splice(0)) await store.close()
      await this.closeClient()
    }
  }

  /**
   * Closes like close(), but for an operation that failed: leaves every archive as it was, and
   * removes each layout this operation created (its directory did not exist before) that
   * received no content, so a failure leaves nothing behind. A layout with content stays: a
   * re-run reuses what was written.
   */
  async discard(): Promise<void> {
    for (const archive of this.archives.splice(0)) await archive.discard()
    for (const store of this.layouts.splice(0)) {
      await store.close()
      if (store.createdDir !== undefined && (await store.isEmpty().catch(() => false))) {
        await rm(store.createdDir, { recursive: true, force: true })
      }
    }
    await this.closeClient()
  }

  private async closeClient(): Promise<void> {
    const client = this.client
    this.client = undefined
    // A client that could not be made has nothing to close; its error reached the caller already.
    if (client !== undefined) await (await client.catch(() => undefined))?.close()
  }
}

/**
 * Runs `fn` with the targets of an operation on `references`, and closes them when it is done:
 * archives written to are written when `fn` succeeded, and left as they were when it failed.
 */
export async function withTargets<T>(
  options: OperationOptions,
  references: readonly Reference[],
  fn: (targets: OperationTargets) => Promise<T>,
): Promise<T> {
  const targets = new OperationTargets(options, references)
  let result: T
  try {
    result = await fn(targets)
  } catch (err) {
    // The operation's error is what the caller needs; a failure to clean up must not hide it.
    await targets.discard().catch(() => undefined)
    throw err
  }
  await targets.close()
  return result
}

/** The registries among some references: the transport options apply to these. */
function registriesOf(references: readonly Reference[]): string[] {
  return references.flatMap((r) => (r.kind === 'registry' ? [r.registry] : []))
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false
}
