/**
 * A counting semaphore for I/O calls. Copy takes a slot only around a single fetch, exists,
 * push or mount, never while a node waits for its children: holding a slot across that wait
 * deadlocks as soon as the graph is deeper than the limit (the reason oras-go's copy.go
 * releases its region before descending).
 */

interface Waiter {
  grant: () => void
  reject: (reason: unknown) => void
  signal: AbortSignal | undefined
}

/** Runs at most `limit` functions at a time; the rest wait in arrival order. */
export class Limiter {
  private running = 0
  private readonly waiting: Waiter[] = []
  /** Signals with an abort listener; one listener per signal, however many waiters share it. */
  private readonly watched = new WeakSet<AbortSignal>()

  /** Throws RangeError unless `limit` is a positive integer. */
  constructor(
    /** Functions run at once, at most. */
    readonly limit: number,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`)
  }

  /** Functions holding a slot right now. */
  get active(): number {
    return this.running
  }

  /**
   * Runs `fn` once a slot is free and releases the slot when it settles. When `signal` aborts
   * before a slot is granted, rejects with the signal's reason without running `fn`.
   */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal)
    try {
      return await fn()
    } finally {
      this.release()
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.running < this.limit) {
      this.running++
      return Promise.resolve()
    }
    if (signal !== undefined && !this.watched.has(signal)) {
      this.watched.add(signal)
      signal.addEventListener('abort', () => this.dropWaiters(signal), { once: true })
    }
    return new Promise((grant, reject) => this.waiting.push({ grant, reject, signal }))
  }

  private dropWaiters(signal: AbortSignal): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const w = this.waiting[i]!
      if (w.signal !== signal) continue
      this.waiting.splice(i, 1)
      w.reject(signal.reason)
    }
  }

  private release(): void {
    const next = this.waiting.shift()
    // The slot passes straight to the next waiter, so `running` stays the same.
    if (next) next.grant()
    else this.running--
  }
}
