/**
 * What checking an API key costs per request now that revocation takes effect at once: a cached key
 * is trusted only after a round trip on the listening connection (shared by concurrent calls), beside
 * the baseline of reading the key from the database on every call (the service without a listener, as
 * the CLI runs it), on the same pool and key. p50, p99 and calls per second at concurrency 1 and 32,
 * median over interleaved rounds.
 *
 *   node -r @swc-node/register bench/key-auth.ts      (DATABASE_URL: a Postgres server to use)
 */
import { performance } from 'node:perf_hooks';
import { latencyPercentiles } from '../src/monitoring/performance';
import { ApiKeysService } from '../src/platform/access/api-keys.service';
import { startBenchApp } from './lib/bench-app';
import { printTable, writeResults } from './lib/report';
import { runBench } from './lib/entry';

const ROUNDS = 5;
const CALLS = { 1: 3_000, 32: 20_000 } as const;
const median = (values: number[]) => latencyPercentiles(values).p50;

async function drive(
  authenticate: () => Promise<unknown>,
  concurrency: number,
  calls: number,
): Promise<{ latenciesMs: number[]; seconds: number }> {
  const latenciesMs: number[] = [];
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < calls) {
        started++;
        const t = performance.now();
        await authenticate();
        latenciesMs.push(performance.now() - t);
      }
    }),
  );
  return { latenciesMs, seconds: (performance.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const bench = await startBenchApp();
  try {
    const header = `Bearer ${bench.keys.trader}`;
    const withListener = bench.app.services.apiKeys;
    const withoutListener = new ApiKeysService(bench.app.services.dataSource);
    const cases = [
      { case: 'cached, checked on the listening connection', service: withListener },
      { case: 'database read per call (baseline)', service: withoutListener },
    ].flatMap((spec) => ([1, 32] as const).map((concurrency) => ({ ...spec, concurrency })));
    const perRound = cases.map(() => ({ p50: [] as number[], p99: [] as number[], perSecond: [] as number[] }));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, spec] of cases.entries()) {
        await drive(() => spec.service.authenticate(header), spec.concurrency, 500);
        const result = await drive(() => spec.service.authenticate(header), spec.concurrency, CALLS[spec.concurrency]);
        const { p50, p99 } = latencyPercentiles(result.latenciesMs);
        perRound[i].p50.push(p50);
        perRound[i].p99.push(p99);
        perRound[i].perSecond.push(result.latenciesMs.length / result.seconds);
      }
    }
    const rows = cases.map((spec, i) => ({
      case: spec.case,
      concurrency: spec.concurrency,
      calls: CALLS[spec.concurrency] * ROUNDS,
      p50_ms: median(perRound[i].p50),
      p99_ms: median(perRound[i].p99),
      per_second: Math.round(median(perRound[i].perSecond)),
    }));
    printTable(`authenticate() of one cached key, in process; median over ${ROUNDS} interleaved rounds`, rows);
    console.log(`\nwrote ${writeResults('key-auth', { rounds: ROUNDS, rows, perRound })}`);
  } finally {
    await bench.close();
  }
}

runBench(main);
