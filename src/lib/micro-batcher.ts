/**
 * Gathers concurrent requests into one batch run. While a run is in flight, new items queue; when it
 * finishes, everything queued runs together (up to `maxItems` per run). An idle batcher runs a new
 * item at once (or after `windowMs`, when set), so batching adds no latency at low load.
 */
export interface MicroBatcherOptions {
  maxItems: number;
  windowMs: number;
}

interface Pending<I, O> {
  item: I;
  resolve(output: O): void;
  reject(error: unknown): void;
}

export class MicroBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private running = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly runBatch: (items: I[]) => Promise<O[]>,
    private readonly options: MicroBatcherOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.timer) return;
    if (this.options.windowMs > 0 && this.queue.length < this.options.maxItems) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.options.windowMs);
      return;
    }
    void this.flush();
  }

  private async flush(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch = this.queue.splice(0, this.options.maxItems);
    try {
      const outputs = await this.runBatch(batch.map((pending) => pending.item));
      batch.forEach((pending, i) => pending.resolve(outputs[i]));
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    } finally {
      this.running = false;
      if (this.queue.length) this.schedule();
    }
  }
}
