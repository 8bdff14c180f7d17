/**
 * Gathers concurrent requests into one batch run. While a run is in flight, new items queue; when it
 * finishes, everything queued runs together (up to `maxItems` per run). An idle batcher runs a new
 * item at once (or after `windowMs`, when set), so batching adds no latency at low load.
 *
 * One item's failure is its own. A run answers each item with its output or with an `ItemFailure`
 * (that item alone is rejected). A run that throws with several items is not taken as their common
 * fate: each of them runs again alone, one after the other, so the error reaches only the items that
 * cause it and their neighbours are answered as if it had not been there. `runBatch` must therefore be
 * safe to repeat for items of a failed run (it writes all of a run or nothing).
 */
export interface MicroBatcherOptions {
  maxItems: number;
  windowMs: number;
}

/** What a run answers for an item that failed on its own: the item's promise rejects with `error`. */
export class ItemFailure {
  constructor(readonly error: unknown) {}
}

export type BatchRun<I, O> = (items: I[]) => Promise<(O | ItemFailure)[]>;

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
    private readonly runBatch: BatchRun<I, O>,
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
      await this.run(batch);
    } finally {
      this.running = false;
      if (this.queue.length) this.schedule();
    }
  }

  private async run(batch: Pending<I, O>[]): Promise<void> {
    let outputs: (O | ItemFailure)[];
    try {
      outputs = await this.runBatch(batch.map((pending) => pending.item));
    } catch (error) {
      if (batch.length === 1) batch[0].reject(error);
      else for (const pending of batch) await this.run([pending]);
      return;
    }
    batch.forEach((pending, i) => {
      const output = outputs[i];
      if (output instanceof ItemFailure) pending.reject(output.error);
      else pending.resolve(output);
    });
  }
}
