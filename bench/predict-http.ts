/**
 * `predict` over HTTP on a 100-tree, 64-feature XGBoost model: p50, p99 and throughput at concurrency
 * 1 and 32, beside `{ __typename }` on the same server (the cost of HTTP, GraphQL and auth alone); and
 * `predictBatch` rows per second at 10,000 rows, beside the bare ONNX predictor on the same rows.
 *
 *   node -r @swc-node/register bench/predict-http.ts      (DATABASE_URL: a Postgres server to use)
 */
import seedrandom from 'seedrandom';
import { latencyPercentiles } from '../src/lib/performance';
import type { TabularTrainingSet } from '../src/plugins/contract';
import { xgboostFamily } from '../src/plugins/xgboost';
import { startBenchApp } from './lib/bench-app';
import { runLoad } from './lib/http-load';
import { printTable, writeResults } from './lib/report';

const WIDTH = 64;
const TREES = 100;
const BATCH_ROWS = 10_000;

function randomRows(rows: number, seed: string): number[][] {
  const random = seedrandom(seed);
  return Array.from({ length: rows }, () => Array.from({ length: WIDTH }, () => random() * 2 - 1));
}

async function trainModel(): Promise<Uint8Array> {
  const rows = randomRows(20_000, 'bench:predict:train');
  const data: TabularTrainingSet = {
    kind: 'tabular',
    featureNames: Array.from({ length: WIDTH }, (_, j) => `f${j}`),
    features: Float32Array.from(rows.flat()),
    target: Float32Array.from(rows, (row) => row.slice(0, 16).reduce((sum, x) => sum + Math.sin(3 * x), 0)),
    rows: rows.length,
  };
  const ctx = { signal: new AbortController().signal, progress: () => undefined, log: () => undefined, seed: 1, threads: 2 };
  const trained = await xgboostFamily.train(data, xgboostFamily.hyperparameters.parse({ num_boost_round: TREES, early_stopping_rounds: 0, max_depth: 6 }), ctx);
  return trained.artifact.files['model.json'];
}

const ROUNDS = 5;
const median = (values: number[]) => latencyPercentiles(values).p50;

async function main(): Promise<void> {
  const bench = await startBenchApp();
  try {
    const modelJson = await trainModel();
    await bench.app.services.lifecycle.importModel({
      model: 'bench-64',
      family: 'xgboost',
      format: 'xgboost-json',
      files: { 'model.json': modelJson },
      featureNames: Array.from({ length: WIDTH }, (_, j) => `f${j}`),
      activate: true,
    });
    const [features] = randomRows(1, 'bench:predict:row');
    const predictBody = JSON.stringify({
      query: 'mutation($input: PredictInput!) { predict(input: $input) { id value } }',
      variables: { input: { model: 'bench-64', features } },
    });
    const typenameBody = JSON.stringify({ query: '{ __typename }' });
    // Latency is measured in the steady state (the first thousands of requests still run code V8 has not
    // optimised yet), and in interleaved rounds, so that a stall of this 2-core machine (a checkpoint, the
    // client, Postgres and the server sharing the cores) lands in one round's figures, not in one case's.
    const load = (body: string, concurrency: number, requests: number, warmup: number) =>
      runLoad({ url: bench.http.url, key: bench.keys.trader, body, concurrency, requests, warmup });
    const cases = [
      { case: '{ __typename }', body: typenameBody, concurrency: 1, requests: 3000 },
      { case: 'predict', body: predictBody, concurrency: 1, requests: 3000 },
      { case: '{ __typename }', body: typenameBody, concurrency: 32, requests: 10_000 },
      { case: 'predict', body: predictBody, concurrency: 32, requests: 10_000 },
    ];
    const perRound = cases.map(() => ({ p50: [] as number[], p99: [] as number[], perSecond: [] as number[], errors: 0 }));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, spec] of cases.entries()) {
        const result = await load(spec.body, spec.concurrency, spec.requests, round === 0 ? 2000 : 200);
        const { p50, p99 } = latencyPercentiles(result.latenciesMs);
        perRound[i].p50.push(p50);
        perRound[i].p99.push(p99);
        perRound[i].perSecond.push(result.latenciesMs.length / result.seconds);
        perRound[i].errors += result.errors;
      }
    }
    const rows = cases.map((spec, i) => ({
      case: spec.case,
      concurrency: spec.concurrency,
      requests: spec.requests * ROUNDS,
      errors: perRound[i].errors,
      p50_ms: median(perRound[i].p50),
      p99_ms: median(perRound[i].p99),
      worst_round_p99_ms: Math.max(...perRound[i].p99),
      per_second: Math.round(median(perRound[i].perSecond)),
    }));
    printTable(`predict over HTTP: ${TREES} trees × ${WIDTH} features (each predict writes its predictions row); median over ${ROUNDS} interleaved rounds`, rows);

    const batchRows = randomRows(BATCH_ROWS, 'bench:predict:batch');
    const batchBody = JSON.stringify({ query: 'mutation($input: PredictBatchInput!) { predictBatch(input: $input) { id value } }', variables: { input: { model: 'bench-64', rows: batchRows } } });
    const batch = await load(batchBody, 1, 10, 2);
    const version = (await bench.app.services.registry.activeVersion((await bench.app.services.registry.getRegisteredModel('bench-64')).id))!;
    const predictor = await bench.app.services.serving.prepareVersion(version);
    const flat = Float32Array.from(batchRows.flat());
    const bare: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      await predictor.predict(flat, BATCH_ROWS);
      bare.push(performance.now() - t0);
    }
    const bareMedian = latencyPercentiles(bare).p50;
    const batchMedian = latencyPercentiles(batch.latenciesMs).p50;
    const batchTable = [
      { case: 'predictBatch over HTTP (parse, score, 10,000 rows written)', rows: BATCH_ROWS, p50_ms: batchMedian, rows_per_second: Math.round(BATCH_ROWS / (batchMedian / 1000)) },
      { case: 'bare ONNX predictor, same rows', rows: BATCH_ROWS, p50_ms: bareMedian, rows_per_second: Math.round(BATCH_ROWS / (bareMedian / 1000)) },
    ];
    printTable('predictBatch at 10,000 rows', batchTable);
    console.log(`\nwrote ${writeResults('predict-http', { trees: TREES, features: WIDTH, rounds: ROUNDS, predict: rows, perRound, predictBatch: batchTable, batchErrors: batch.errors })}`);
  } finally {
    await bench.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
