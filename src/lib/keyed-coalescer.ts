/**
 * Runs `work(key)` at most once at a time per key, coalescing requests: a request while the key's run
 * is waiting joins it; a request while it runs schedules exactly one more run after it. So a burst of
 * outcomes for one model costs one evaluation, and the last outcome of a burst is never missed.
 * A run starts `delayMs` after the first request it serves (0: on the next tick).
 */
export class KeyedCoalescer<K> {
  private readonly waiting = new Map<K, NodeJS.Timeout>();
  private readonly running = new Map<K, Promise<void>>();
  private readonly again = new Set<K>();
  private closed = false;

  constructor(
    private readonly work: (key: K) => Promise<void>,
    private readonly options: { delayMs: number; onError: (key: K, error: unknown) => void },
  ) {}

  request(key: K): void {
    if (this.closed || this.waiting.has(key)) return;
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    const timer = setTimeout(() => {
      this.waiting.delete(key);
      this.run(key);
    }, this.options.delayMs);
    this.waiting.set(key, timer);
  }

  /** Drops waiting runs and waits for the running ones. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
    this.again.clear();
    await Promise.all(this.running.values());
  }

  private run(key: K): void {
    const done = this.work(key)
      .catch((error) => this.options.onError(key, error))
      .finally(() => {
        this.running.delete(key);
        if (this.again.delete(key)) this.request(key);
      });
    this.running.set(key, done);
  }
}
