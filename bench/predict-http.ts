/**
 * `predict` over HTTP on a 100-tree, 64-feature XGBoost model: p50, p99 and throughput at concurrency
 * 1 and 32, beside `{ __typename }` on the same server (the cost of HTTP, GraphQL and auth alone); and
 * `predictBatch` rows per second at 10,000 rows — over HTTP with JSON rows and with packedRows, and
 * the service alone (decode, score, COPY: the server's time without HTTP and GraphQL) — beside the
 * bare ONNX predictor on the same rows, in interleaved rounds. The load average is recorded with the
 * results: on a shared machine the ratios to the in-run baselines are what compare across runs.
 *
 *   node -r @swc-node/register bench/predict-http.ts      (DATABASE_URL: a Postgres server to use)
 */
import { loadavg } from 'node:os';
import seedrandom from 'seedrandom';
import { packRows } from '../src/serving/packed-rows';
import type { TabularTrainingSet } from '../src/plugins/contract';
import { xgboostFamily } from '../src/plugins/xgboost';
import { startBenchApp } from './lib/bench-app';
import { runLoad } from './lib/http-load';
import { measureInRounds, median } from './lib/latency-rounds';
import { printTable, writeResults } from './lib/report';
import { runBench } from './lib/entry';

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
  const trained = await xgboostFamily.train(
    data,
    xgboostFamily.hyperparameters.parse({ num_boost_round: TREES, early_stopping_rounds: 0, max_depth: 6 }),
    ctx,
  );
  return trained.artifact.files['model.json'];
}

const ROUNDS = 5;
const BATCH_ROUNDS = 9;

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
    const load = (body: string, concurrency: number, requests: number, warmup: number) =>
      runLoad({ url: bench.http.url, key: bench.keys.trader, body, concurrency, requests, warmup });
    const cases = [
      { case: '{ __typename }', body: typenameBody, concurrency: 1, requests: 3000 },
      { case: 'predict', body: predictBody, concurrency: 1, requests: 3000 },
      { case: '{ __typename }', body: typenameBody, concurrency: 32, requests: 10_000 },
      { case: 'predict', body: predictBody, concurrency: 32, requests: 10_000 },
    ];
    const { rows, perRound } = await measureInRounds({ url: bench.http.url, key: bench.keys.trader }, cases, ROUNDS, {
      first: 2000,
      later: 200,
    });
    printTable(
      `predict over HTTP: ${TREES} trees × ${WIDTH} features (each predict writes its predictions row); median over ${ROUNDS} interleaved rounds`,
      rows,
    );

    const batchRows = randomRows(BATCH_ROWS, 'bench:predict:batch');
    const packedRows = packRows(batchRows);
    const batchBody = (rows: unknown) =>
      JSON.stringify({
        query: 'mutation($input: PredictBatchInput!) { predictBatch(input: $input) { id value } }',
        variables: { input: { model: 'bench-64', ...(rows as object) } },
      });
    const jsonBody = batchBody({ rows: batchRows });
    const packedBody = batchBody({ packedRows });
    const version = (await bench.app.services.registry.activeVersion(
      (await bench.app.services.registry.getRegisteredModel('bench-64')).id,
    ))!;
    const predictor = await bench.app.services.serving.prepareVersion(version);
    const flat = Float32Array.from(batchRows.flat());
    /** Milliseconds of one call; over HTTP, as the load client measured it (without starting its thread). */
    const timed = async (run: () => Promise<unknown>) => {
      const t0 = performance.now();
      await run();
      return performance.now() - t0;
    };
    const overHttp = async (body: string) => {
      const result = await load(body, 1, 1, 0);
      batchErrors += result.errors;
      return result.latenciesMs[0];
    };
    const batchCases = [
      { case: 'predictBatch over HTTP, JSON rows (parse, score, 10,000 rows written)', run: () => overHttp(jsonBody) },
      { case: 'predictBatch over HTTP, packedRows', run: () => overHttp(packedBody) },
      {
        case: 'serving.predictBatch, packedRows (decode, score, COPY; no HTTP)',
        run: () => timed(() => bench.app.services.serving.predictBatch({ model: 'bench-64', packedRows })),
      },
      { case: 'bare ONNX predictor, same rows', run: () => timed(() => predictor.predict(flat, BATCH_ROWS)) },
    ];
    let batchErrors = 0;
    const batchTimes = batchCases.map(() => [] as number[]);
    for (let round = 0; round < BATCH_ROUNDS + 2; round++) {
      for (const [i, spec] of batchCases.entries()) {
        const ms = await spec.run();
        if (round >= 2) batchTimes[i].push(ms); // two warm-up rounds
      }
    }
    const bareMs = median(batchTimes[batchCases.length - 1]);
    const batchTable = batchCases.map((spec, i) => {
      const p50 = median(batchTimes[i]);
      return {
        case: spec.case,
        rows: BATCH_ROWS,
        p50_ms: p50,
        rows_per_second: Math.round(BATCH_ROWS / (p50 / 1000)),
        vs_bare_predictor: `${((bareMs / p50) * 100).toFixed(0)}%`,
      };
    });
    printTable(`predictBatch at 10,000 rows, median over ${BATCH_ROUNDS} interleaved rounds`, batchTable);
    const load1 = loadavg()[0];
    console.log(`\nload average (1 min) at the end: ${load1.toFixed(2)}`);
    console.log(
      `wrote ${writeResults('predict-http', {
        trees: TREES,
        features: WIDTH,
        rounds: ROUNDS,
        loadAverage1m: load1,
        predict: rows,
        perRound,
        predictBatch: batchTable,
        batchRounds: batchTimes,
        batchErrors,
      })}`,
    );
  } finally {
    await bench.close();
  }
}

runBench(main);
