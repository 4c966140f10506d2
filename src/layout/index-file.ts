/**
 * Reading and updating a layout's index.json safely when several processes share the layout.
 * Readers need no lock: the file is only ever replaced by an atomic rename. Writers take
 * `index.json.lock` and re-read the file inside it, so concurrent read-modify-write cycles
 * serialise and none loses another's entries.
 */
import { join } from 'node:path'
import { createFileExclusive, readFileBounded, writeFileAtomic } from '../util/files.js'
import { ingestDir } from './blob-path.js'
import { emptyIndex, parseIndexDocument, serializeIndexDocument, type IndexDocument } from './index-document.js'
import { withFileLock, type LockOptions } from './lock-file.js'

export const INDEX_FILE = 'index.json'
/**
 * Bound on reading index.json. Larger than the 4 MiB manifest limit because a layout used as a
 * mirror can hold tens of thousands of tags (about 250 bytes each).
 */
export const MAX_INDEX_FILE_BYTES = 64 * 1024 * 1024

export class IndexFile {
  readonly path: string
  /** In-process queue: operations of one store wait here instead of polling the lock file. */
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    readonly root: string,
    private readonly lock: Omit<LockOptions, 'signal'> = {},
  ) {
    this.path = join(root, INDEX_FILE)
  }

  /**
   * Reads and validates index.json. Throws the ENOENT error when it is missing,
   * SizeLimitError above MAX_INDEX_FILE_BYTES and InvalidContentError when it is malformed.
   */
  async read(): Promise<IndexDocument> {
    return parseIndexDocument(await readFileBounded(this.path, MAX_INDEX_FILE_BYTES, INDEX_FILE, { regularOnly: true }), this.path)
  }

  /** Creates an empty index.json unless one exists (another process may be creating the layout too). */
  async createIfAbsent(): Promise<void> {
    await createFileExclusive(this.path, serializeIndexDocument(emptyIndex()), ingestDir(this.root))
  }

  /**
   * Runs `fn` with the current index.json under the cross-process lock, without writing it:
   * no other writer can change index.json meanwhile. Throws LockTimeoutError.
   */
  async locked<T>(fn: (doc: IndexDocument) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const run = async (): Promise<T> => withFileLock(`${this.path}.lock`, async () => fn(await this.read()), { ...this.lock, signal })
    const result = this.queue.then(run)
    this.queue = result.catch(() => undefined)
    return result
  }

  /**
   * Applies `edit` to the current index.json under the cross-process lock and writes the result
   * atomically if `edit` reports a change. Returns that report. Throws LockTimeoutError when
   * another process holds the lock for too long.
   */
  async update(edit: (doc: IndexDocument) => boolean, signal?: AbortSignal): Promise<boolean> {
    const run = async (): Promise<boolean> =>
      withFileLock(
        `${this.path}.lock`,
        async () => {
          const doc = await this.read()
          if (!edit(doc)) return false
          await writeFileAtomic(this.path, serializeIndexDocument(doc), ingestDir(this.root))
          return true
        },
        { ...this.lock, signal },
      )
    const result = this.queue.then(run)
    this.queue = result.catch(() => undefined)
    return result
  }
}
