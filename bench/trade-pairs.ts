/**
 * `logTradeExecution` + `logTradeOutcome` pairs per second over HTTP: 32 clients (in a worker thread,
 * so the server in the main thread is not measured against its own client) each log an execution and
 * then its outcome, with fresh client trade ids, until 3,000 pairs are done. Every outcome is counted
 * by the learning counter (after its close commits, in a counting pass shared with the closes that
 * committed meanwhile), and every 10th queues an INCREMENTAL job.
 * Cases: trades carrying a prediction id (the outcome writes its request_outcomes row) and trades
 * without; at concurrency 32 and 1. Baseline in the same run: two `{ __typename }` requests per pair
 * (HTTP, GraphQL and auth alone). Beside the rates, the server's CPU per pair (the API's thread and the
 * Postgres backends, bench/lib/cpu-time.ts), which a busy machine hardly moves.
 *
 *   node -r @swc-node/register bench/trade-pairs.ts      (DATABASE_URL: a Postgres server to use)
 */
import { Agent, request } from 'node:http';
import { Worker, parentPort } from 'node:worker_threads';
import seedrandom from 'seedrandom';
import { latencyPercentiles } from '../src/monitoring/performance';
import type { TabularTrainingSet } from '../src/plugins/contract';
import { xgboostFamily } from '../src/plugins/xgboost';
import { startBenchApp } from './lib/bench-app';
import { runBench } from './lib/entry';
import { cpuMsPer, readCpu } from './lib/cpu-time';
import { printTable, writeResults, type Row } from './lib/report';

const PAIRS = 3_000;
const WARMUP = 50;

interface PairSpec {
  url: string;
  key: string;
  concurrency: number;
  pairs: number;
  prefix: string;
  /** One per pair (or none): the prediction id the trade carries. */
  predictionIds: string[];
  /** Send `{ __typename }` twice instead of the pair. */
  trivial: boolean;
}

interface PairResult {
  latenciesMs: number[];
  seconds: number;
  errors: string[];
}

const EXECUTION = `mutation($input: LogTradeExecutionInput!) { logTradeExecution(input: $input) { id status } }`;
const OUTCOME = `mutation($input: LogTradeOutcomeInput!) { logTradeOutcome(input: $input) { trade { id pnl } learningTrigger { shouldTrigger tradesSinceLastUpdate threshold } } }`;

async function drive(spec: PairSpec): Promise<PairResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const post = (query: string, variables: Record<string, unknown> = {}) =>
    new Promise<string | null>((resolve, reject) => {
      const body = Buffer.from(JSON.stringify({ query, variables }));
      const headers = { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${spec.key}` };
      const call = request(spec.url, { method: 'POST', headers, agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const answer = JSON.parse(Buffer.concat(chunks).toString()) as { errors?: { message: string }[] };
          resolve(response.statusCode === 200 && !answer.errors ? null : (answer.errors?.[0]?.message ?? `HTTP ${response.statusCode}`));
        });
      });
      call.on('error', reject);
      call.end(body);
    });
  const pair = async (n: number): Promise<string | null> => {
    if (spec.trivial) return (await post('{ __typename }')) ?? post('{ __typename }');
    const clientTradeId = `${spec.prefix}-${n}`;
    const predictionIds = spec.predictionIds.length ? [spec.predictionIds[n % spec.predictionIds.length]] : [];
    const entryTime = new Date(Date.UTC(2024, 0, 1) + n * 60_000).toISOString();
    const execution = {
      clientTradeId,
      symbol: 'BENCH',
      side: n % 2 ? 'LONG' : 'SHORT',
      quantity: 10,
      entryPrice: 100,
      entryTime,
      predictionIds,
      features: { ret_1: 0.001 * (n % 7) },
    };
    const failed = await post(EXECUTION, { input: execution });
    if (failed) return failed;
    const exitTime = new Date(Date.parse(entryTime) + 3_600_000).toISOString();
    return post(OUTCOME, { input: { clientTradeId, exitPrice: 100 + (n % 5) - 2, exitTime, exitReason: 'TIME' } });
  };
  let next = 0;
  for (; next < Math.min(WARMUP, spec.pairs); next++) await pair(next);
  const latenciesMs: number[] = [];
  const errors: string[] = [];
  const started = performance.now();
  const end = next + spec.pairs;
  await Promise.all(
    Array.from({ length: spec.concurrency }, async () => {
      while (next < end) {
        const n = next++;
        const t0 = performance.now();
        const failed = await pair(n);
        latenciesMs.push(performance.now() - t0);
        if (failed) errors.push(failed);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { latenciesMs, seconds, errors };
}

function runPairs(spec: PairSpec): Promise<PairResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: spec, execArgv: ['--require', '@swc-node/register'] });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

async function trainedModel(): Promise<Uint8Array> {
  const random = seedrandom('bench:trade-pairs');
  const rows = 2_000;
  const features = Float32Array.from({ length: rows * 4 }, () => random() * 2 - 1);
  const data: TabularTrainingSet = {
    kind: 'tabular',
    featureNames: ['f0', 'f1', 'f2', 'f3'],
    features,
    target: Float32Array.from({ length: rows }, (_, r) => 0.01 * features[r * 4] - 0.005 * features[r * 4 + 1]),
    rows,
  };
  const ctx = { signal: new AbortController().signal, progress: () => undefined, log: () => undefined, seed: 1, threads: 2 };
  return (await xgboostFamily.train(data, xgboostFamily.hyperparameters.parse({ num_boost_round: 50, max_depth: 4 }), ctx)).artifact.files[
    'model.json'
  ];
}

async function main(): Promise<void> {
  const bench = await startBenchApp();
  try {
    const { services } = bench.app;
    await services.lifecycle.importModel({
      model: 'bench-returns',
      family: 'xgboost',
      format: 'xgboost-json',
      files: { 'model.json': await trainedModel() },
      featureNames: ['f0', 'f1', 'f2', 'f3'],
      activate: true,
    });
    const predictionIds: string[] = [];
    for (let b = 0; b < 8; b++) {
      const rows = Array.from({ length: 500 }, (_, i) => [i / 500, -i / 500, b / 8, 0.5]);
      predictionIds.push(
        ...(await services.serving.predictBatch({ model: 'bench-returns', rows, requestId: `bench-${b}` })).map((p) => p.id),
      );
    }
    const rows: Row[] = [];
    const cases: { label: string; concurrency: number; predictions: boolean; trivial: boolean }[] = [
      { label: 'execution + outcome, 1 prediction each', concurrency: 32, predictions: true, trivial: false },
      { label: 'execution + outcome, no prediction', concurrency: 32, predictions: false, trivial: false },
      { label: 'execution + outcome, 1 prediction each', concurrency: 1, predictions: true, trivial: false },
      { label: 'baseline: 2 × { __typename }', concurrency: 32, predictions: false, trivial: true },
    ];
    for (const [i, c] of cases.entries()) {
      const pairs = c.concurrency === 1 ? PAIRS / 6 : PAIRS;
      const cpuBefore = await readCpu(services.dataSource);
      const result = await runPairs({
        url: bench.http.url,
        key: bench.keys.trader,
        concurrency: c.concurrency,
        pairs,
        prefix: `case${i}`,
        predictionIds: c.predictions ? predictionIds : [],
        trivial: c.trivial,
      });
      if (result.errors.length) throw new Error(`${c.label}: ${result.errors.length} errors, e.g. ${result.errors[0]}`);
      // the warm-up pairs ran too
      const cpu = cpuMsPer(cpuBefore, await readCpu(services.dataSource), result.latenciesMs.length + Math.min(WARMUP, pairs));
      const { p50, p99 } = latencyPercentiles(result.latenciesMs);
      rows.push({
        case: c.label,
        concurrency: c.concurrency,
        pairs: result.latenciesMs.length,
        pairs_per_second: Math.round(result.latenciesMs.length / result.seconds),
        pair_p50_ms: p50,
        pair_p99_ms: p99,
        ...cpu,
      });
      console.error(`${c.label} @${c.concurrency}: ${Math.round(result.latenciesMs.length / result.seconds)} pairs/s`);
    }
    const state = await services.learningTrigger.state();
    const [{ trades, outcomes, jobs }] = await services.dataSource.query(
      `SELECT (SELECT count(*) FROM trades WHERE status = 'CLOSED')::int AS trades, (SELECT count(*) FROM request_outcomes)::int AS outcomes, (SELECT count(*) FROM jobs WHERE kind = 'INCREMENTAL')::int AS jobs`,
    );
    printTable(
      `logTradeExecution + logTradeOutcome over HTTP (closed trades ${trades}, request outcomes ${outcomes}, INCREMENTAL jobs queued ${jobs}, counter at ${state.tradesSinceLastUpdate})`,
      rows,
    );
    console.log(
      `\nwrote ${writeResults('trade-pairs', { pairs: PAIRS, closedTrades: trades, requestOutcomes: outcomes, incrementalJobs: jobs, rows })}`,
    );
  } finally {
    await bench.close();
  }
}

runBench(main, (data) => void drive(data as PairSpec).then((result) => parentPort!.postMessage(result)));
