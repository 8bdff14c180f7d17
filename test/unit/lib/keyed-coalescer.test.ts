import { KeyedCoalescer } from '../../../src/lib/keyed-coalescer';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe('KeyedCoalescer', () => {
  it('serves a burst of requests for one key with one run', async () => {
    const runs: string[] = [];
    const coalescer = new KeyedCoalescer(async (key: string) => void runs.push(key), { delayMs: 1, onError: () => undefined });
    for (let i = 0; i < 10; i++) coalescer.request('a');
    coalescer.request('b');
    await tick(20);
    expect(runs.sort()).toEqual(['a', 'b']);
  });

  it('runs once more after a run during which the key was requested, and never twice at a time', async () => {
    const gates = [gate(), gate()];
    let concurrent = 0;
    let maxConcurrent = 0;
    let runs = 0;
    const coalescer = new KeyedCoalescer(
      async () => {
        const run = runs++;
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await gates[run].opened;
        concurrent--;
      },
      { delayMs: 0, onError: () => undefined },
    );
    coalescer.request('m');
    await tick();
    expect(runs).toBe(1);
    coalescer.request('m');
    coalescer.request('m');
    await tick();
    expect(runs).toBe(1);
    gates[0].open();
    await tick();
    expect(runs).toBe(2);
    gates[1].open();
    await tick();
    expect(runs).toBe(2);
    expect(maxConcurrent).toBe(1);
  });

  it('reports a failed run and keeps serving the key', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const coalescer = new KeyedCoalescer(
      async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
      },
      { delayMs: 0, onError: (key, error) => errors.push([key, (error as Error).message]) },
    );
    coalescer.request('k');
    await tick();
    coalescer.request('k');
    await tick();
    expect(errors).toEqual([['k', 'boom']]);
    expect(calls).toBe(2);
  });

  it('drops waiting runs on close and waits for the running one', async () => {
    const g = gate();
    const runs: string[] = [];
    const coalescer = new KeyedCoalescer(
      async (key: string) => {
        runs.push(key);
        if (key === 'slow') await g.opened;
      },
      { delayMs: 0, onError: () => undefined },
    );
    coalescer.request('slow');
    await tick();
    const closing = coalescer.close();
    coalescer.request('later');
    let closed = false;
    void closing.then(() => (closed = true));
    await tick();
    expect(closed).toBe(false);
    g.open();
    await closing;
    await tick();
    expect(runs).toEqual(['slow']);
  });
});
