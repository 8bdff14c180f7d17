/**
 * Latency of the shared ONNX predictor on a 100-tree, 64-feature XGBoost model (depth 6), beside the
 * native booster's predict (XGBoosterPredictFromDMatrix, DMatrix creation included, as a request would
 * need it). One thread on both sides. Single-row calls and 10,000-row batches.
 *
 *   node -r @swc-node/register bench/onnx-predictor.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import seedrandom from 'seedrandom';
import { loadOnnxPredictor } from '../src/plugins/onnx/predictor';
import { xgboostArtifact } from '../src/plugins/base/xgboost-engine/artifact';
import { Booster, DMatrix } from '../src/plugins/base/xgboost-engine/native';
import { runBench } from './lib/entry';

const WIDTH = 64;
const TREES = 100;
const TRAIN_ROWS = 20_000;
const BATCH_ROWS = 10_000;
const SINGLE_CALLS = 3_000;
const BATCH_CALLS = 30;

function randomRows(rows: number, seed: string): Float32Array {
  const random = seedrandom(seed);
  return Float32Array.from({ length: rows * WIDTH }, () => (random() < 0.02 ? NaN : random() * 2 - 1));
}

function trainModel(): Uint8Array {
  const features = randomRows(TRAIN_ROWS, 'bench:onnx:train');
  const target = Float32Array.from({ length: TRAIN_ROWS }, (_, r) => {
    let s = 0;
    for (let j = 0; j < 16; j++) s += Math.sin(3 * (features[r * WIDTH + j] || 0));
    return s;
  });
  const train = DMatrix.fromDense(features, TRAIN_ROWS, WIDTH, target);
  const booster = Booster.create([train]);
  try {
    booster.setParams({ objective: 'reg:squarederror', tree_method: 'hist', max_depth: 6, eta: 0.1, nthread: 2, seed: 1 });
    for (let round = 0; round < TREES; round++) booster.updateOneIter(round, train);
    return booster.saveJson();
  } finally {
    booster.free();
    train.free();
  }
}

/** Per-call latencies in microseconds. */
async function time(calls: number, call: (i: number) => Promise<unknown> | unknown): Promise<number[]> {
  for (let i = 0; i < Math.min(50, calls); i++) await call(i);
  const out: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = process.hrtime.bigint();
    await call(i);
    out.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  return out.sort((a, b) => a - b);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function main(): Promise<void> {
  const modelJson = trainModel();
  const names = Array.from({ length: WIDTH }, (_, j) => `f${j}`);
  const { artifact } = xgboostArtifact(modelJson, names);
  const predictor = await loadOnnxPredictor(artifact.files['model.onnx'], artifact.signature, { intraOpThreads: 1 });
  const booster = Booster.fromModel(modelJson);
  booster.setParam('nthread', 1);
  const singles = randomRows(SINGLE_CALLS, 'bench:onnx:single');
  const batch = randomRows(BATCH_ROWS, 'bench:onnx:batch');

  const nativePredict = (rows: Float32Array, n: number) => {
    const matrix = DMatrix.fromDense(rows, n, WIDTH);
    try {
      return booster.predict(matrix);
    } finally {
      matrix.free();
    }
  };
  const row = (i: number) => singles.subarray(i * WIDTH, (i + 1) * WIDTH);

  // Both sides must agree before their speed means anything.
  const onnxOut = await predictor.predict(batch, BATCH_ROWS);
  const nativeOut = nativePredict(batch, BATCH_ROWS);
  let maxDifference = 0;
  for (let r = 0; r < BATCH_ROWS; r++) maxDifference = Math.max(maxDifference, Math.abs(onnxOut[r] - nativeOut[r]));

  const results = {
    onnxSingle: await time(SINGLE_CALLS, (i) => predictor.predict(row(i), 1)),
    nativeSingle: await time(SINGLE_CALLS, (i) => nativePredict(row(i), 1)),
    onnxBatch: await time(BATCH_CALLS, () => predictor.predict(batch, BATCH_ROWS)),
    nativeBatch: await time(BATCH_CALLS, () => nativePredict(batch, BATCH_ROWS)),
  };
  await predictor.dispose();
  booster.free();

  const summary = Object.fromEntries(
    Object.entries(results).map(([name, sorted]) => [
      name,
      { p50Micros: quantile(sorted, 0.5), p99Micros: quantile(sorted, 0.99), calls: sorted.length },
    ]),
  );
  const line = (label: string, onnx: number, native: number, unit: string, scale: number) =>
    `${label.padEnd(26)} ${(onnx / scale).toFixed(1).padStart(10)} ${(native / scale).toFixed(1).padStart(10)} ` +
    `${(onnx / native).toFixed(2).padStart(7)}  ${unit}`;
  console.log(
    `Predictor latency: ${TREES} trees, depth 6, ${WIDTH} features, 1 thread (max |onnx − native| = ${maxDifference.toExponential(2)})`,
  );
  console.log(`${'case'.padEnd(26)} ${'onnx'.padStart(10)} ${'native'.padStart(10)} ${'ratio'.padStart(7)}`);
  console.log(line('single row p50', summary.onnxSingle.p50Micros, summary.nativeSingle.p50Micros, 'µs', 1));
  console.log(line('single row p99', summary.onnxSingle.p99Micros, summary.nativeSingle.p99Micros, 'µs', 1));
  console.log(line(`${BATCH_ROWS}-row batch p50`, summary.onnxBatch.p50Micros, summary.nativeBatch.p50Micros, 'ms', 1e3));
  console.log(line(`${BATCH_ROWS}-row batch p99`, summary.onnxBatch.p99Micros, summary.nativeBatch.p99Micros, 'ms', 1e3));

  const folder = resolve(__dirname, 'results');
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, 'onnx-predictor.json'),
    `${JSON.stringify(
      {
        benchmark: 'onnx-predictor',
        date: new Date().toISOString(),
        trees: TREES,
        features: WIDTH,
        batchRows: BATCH_ROWS,
        threads: 1,
        maxDifference,
        ...summary,
      },
      null,
      2,
    )}\n`,
  );
}

runBench(main);
