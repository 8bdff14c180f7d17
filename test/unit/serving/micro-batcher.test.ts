import { ItemFailure, MicroBatcher } from '../../../src/lib/micro-batcher';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('MicroBatcher', () => {
  it('runs an item at once when idle, and everything that arrived meanwhile as one batch', async () => {
    const batches: number[][] = [];
    const gate = deferred<void>();
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        batches.push(items);
        if (batches.length === 1) await gate.promise;
        return items.map((item) => item * 10);
      },
      { maxItems: 100, windowMs: 0 },
    );
    const first = batcher.submit(1);
    const rest = [2, 3, 4].map((item) => batcher.submit(item));
    expect(batches).toEqual([[1]]);
    gate.resolve();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('caps a batch at maxItems; a failed run of several items runs each alone, so only the failing item is rejected', async () => {
    const runs: number[][] = [];
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        runs.push(items);
        if (items.includes(13)) throw new Error('unlucky');
        return items;
      },
      { maxItems: 2, windowMs: 0 },
    );
    const results = await Promise.allSettled([1, 2, 3, 13, 5].map((item) => batcher.submit(item)));
    expect(runs).toEqual([[1], [2, 3], [13, 5], [13], [5]]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[3] as PromiseRejectedResult).reason).toEqual(new Error('unlucky'));
    expect((results[4] as PromiseFulfilledResult<number>).value).toBe(5);
  });

  it('rejects only the items a run answers with an ItemFailure', async () => {
    const batcher = new MicroBatcher<number, number>(
      async (items) => items.map((item) => (item % 2 ? new ItemFailure(new Error(`odd ${item}`)) : item)),
      { maxItems: 10, windowMs: 5 },
    );
    const results = await Promise.allSettled([1, 2, 3, 4].map((item) => batcher.submit(item)));
    expect(results).toEqual([
      { status: 'rejected', reason: new Error('odd 1') },
      { status: 'fulfilled', value: 2 },
      { status: 'rejected', reason: new Error('odd 3') },
      { status: 'fulfilled', value: 4 },
    ]);
  });

  it('waits up to windowMs to gather a batch when a window is set', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number, number>(async (items) => (batches.push(items), items), { maxItems: 10, windowMs: 20 });
    await Promise.all([batcher.submit(1), batcher.submit(2)]);
    expect(batches).toEqual([[1, 2]]);
  });
});
