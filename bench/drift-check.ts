/**
 * A drift check over 64 features × 100,000 recent rows, against the reference summary stored at
 * training time (monitoring/drift-assessment: KS against the stored 2,000-value sample, PSI under the stored
 * bins, Benjamini–Hochberg over the 64 tests) — beside the naive check that recomputes KS and PSI from
 * the raw 100,000 training rows of every feature. Both on a stable window and on one where 8 features
 * moved by 0.5 standard deviations, with the features each flags. Then the whole service check
 * (checkDrift: reading 100,000 predictions with their features from Postgres, then assessing).
 *
 *   node -r @swc-node/register bench/drift-check.ts      (DATABASE_URL: a Postgres server to use)
 */
import { randomUUID } from 'node:crypto';
import seedrandom from 'seedrandom';
import { DEFAULT_POLICY } from '../src/config/policy';
import { assessDrift, type DriftRule } from '../src/monitoring/drift-assessment';
import { latencyPercentiles } from '../src/monitoring/performance';
import { summarizeReference } from '../src/lib/reference';
import { ksTwoSample } from '../src/lib/stats/kolmogorov-smirnov';
import { benjaminiHochberg } from '../src/lib/stats/multiple-testing';
import { psi } from '../src/lib/stats/quantile-bins';
import { xgboostFamily } from '../src/plugins/xgboost';
import { insertPredictions } from '../src/serving/prediction-log';
import { startBenchApp } from './lib/bench-app';
import { printTable, writeResults } from './lib/report';
import { runBench } from './lib/entry';

const WIDTH = 64;
const ROWS = 100_000;
const SHIFTED = 8;
const RUNS = 3;
const rule: DriftRule = { ...DEFAULT_POLICY.drift_detection, critical_win_rate: DEFAULT_POLICY.health.critical_win_rate };
const names = Array.from({ length: WIDTH }, (_, j) => `f${j}`);

/** Feature columns: feature j is normal with scale 1 + j/32, shifted by `shift(j)` standard deviations. */
function columns(seed: string, shift: (j: number) => number = () => 0): Float64Array[] {
  const random = seedrandom.alea(seed);
  const { sqrt, log, cos, PI } = Math;
  return Array.from({ length: WIDTH }, (_, j) => {
    const scale = 1 + j / 32;
    const offset = shift(j);
    return Float64Array.from({ length: ROWS }, () => scale * (sqrt(-2 * log(1 - random())) * cos(2 * PI * random()) + offset));
  });
}

function rowMajor(cols: Float64Array[]): Float32Array {
  const out = new Float32Array(ROWS * WIDTH);
  cols.forEach((column, j) => column.forEach((value, r) => (out[r * WIDTH + j] = value)));
  return out;
}

function median(values: number[]): number {
  return latencyPercentiles(values).p50;
}

function timed<T>(run: () => T): { ms: number; result: T } {
  const times: number[] = [];
  let result!: T;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    result = run();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), result };
}

/** The naive check: KS and PSI of every feature against its raw training column, BH over the p-values. */
function naiveCheck(training: Float64Array[], current: Float64Array[]): string[] {
  const ks = training.map((column, j) => ksTwoSample(column, current[j]));
  const psis = training.map((column, j) => psi(column, current[j]));
  const adjusted = benjaminiHochberg(ks.map((result) => result.pValue));
  return names.filter(
    (_, j) => adjusted[j] < rule.ks_test_threshold && (ks[j].statistic >= rule.min_ks_statistic || psis[j] >= rule.psi_threshold),
  );
}

async function serviceCheck(reference: ReturnType<typeof summarizeReference>, current: Float64Array[]) {
  const bench = await startBenchApp();
  try {
    const { services } = bench.app;
    const train = rowMajor(columns('bench:drift:model', () => 0)).subarray(0, 5000 * WIDTH);
    const ctx = { signal: new AbortController().signal, progress: () => undefined, log: () => undefined, seed: 1, threads: 2 };
    const trained = await xgboostFamily.train(
      {
        kind: 'tabular',
        featureNames: names,
        features: train,
        target: Float32Array.from({ length: 5000 }, (_, r) => train[r * WIDTH] - train[r * WIDTH + 1]),
        rows: 5000,
      },
      xgboostFamily.hyperparameters.parse({ num_boost_round: 20, early_stopping_rounds: 0 }),
      ctx,
    );
    const version = await services.lifecycle.importModel({
      model: 'drift-64',
      family: 'xgboost',
      format: 'xgboost-json',
      files: { 'model.json': trained.artifact.files['model.json'] },
      featureNames: names,
      activate: true,
    });
    // Benchmark set-up: the reference of the 100,000 training rows, as training would have stored it.
    await services.dataSource.query('UPDATE model_versions SET reference = $2 WHERE id = $1', [version.id, JSON.stringify(reference)]);
    const chunk = 5000;
    for (let from = 0; from < ROWS; from += chunk) {
      await insertPredictions(
        services.dataSource,
        Array.from({ length: chunk }, (_, i) => ({
          id: randomUUID(),
          registeredModelId: version.registeredModelId,
          modelVersionId: version.id,
          requestId: `r${from + i}`,
          features: current.map((column) => column[from + i]),
          outputs: [0],
          value: 0,
          latencyMs: 1,
        })),
      );
    }
    await services.policy.updatePolicy({ drift_detection: { window: ROWS } }, null);
    const times: number[] = [];
    let severity = '';
    let flagged = 0;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const check = await services.drift.checkDrift('drift-64', { trigger: 'MANUAL' });
      times.push(performance.now() - t0);
      severity = check.severity;
      flagged = check.assessment?.driftedFeatures ?? 0;
    }
    const reads: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await services.dataSource.query(
        'SELECT array_send(features) AS features, value FROM predictions WHERE model_version_id = $1 ORDER BY created_at DESC LIMIT $2',
        [version.id, ROWS],
      );
      reads.push(performance.now() - t0);
    }
    return { ms: median(times), readMs: median(reads), severity, flagged };
  } finally {
    await bench.close();
  }
}

async function main(): Promise<void> {
  const training = columns('bench:drift:train');
  const summarize = timed(() => summarizeReference({ featureNames: names, features: rowMajor(training), rows: ROWS }, {}, { seed: 1 }));
  const reference = summarize.result;
  const windows = { stable: columns('bench:drift:stable'), shifted: columns('bench:drift:shifted', (j) => (j < SHIFTED ? 0.5 : 0)) };

  const rows = [];
  const results: Record<string, unknown> = {};
  for (const [label, current] of Object.entries(windows)) {
    const stored = timed(() => assessDrift({ reference, features: current }, rule));
    const naive = timed(() => naiveCheck(training, current));
    const storedFlags = stored.result.distributions.filter((entry) => entry.drifted).map((entry) => entry.name);
    rows.push(
      {
        method: 'stored reference summary (assessDrift)',
        window: label,
        median_ms: stored.ms,
        flagged: storedFlags.length,
        severity: stored.result.severity,
      },
      { method: 'naive: KS + PSI vs raw training rows', window: label, median_ms: naive.ms, flagged: naive.result.length, severity: '' },
    );
    results[label] = {
      storedMs: stored.ms,
      naiveMs: naive.ms,
      storedFlagged: storedFlags,
      naiveFlagged: naive.result,
      severity: stored.result.severity,
    };
  }
  printTable(
    `drift check: ${WIDTH} features × ${ROWS.toLocaleString('en')} recent rows (median of ${RUNS}); ${SHIFTED} features shifted by 0.5 sd in "shifted"`,
    rows,
  );
  console.log(
    `\nreference summary at training time (once per version): ${summarize.ms.toFixed(0)} ms for ${ROWS.toLocaleString('en')} rows × ${WIDTH} features, ${(JSON.stringify(reference).length / 1024).toFixed(0)} KiB stored`,
  );

  const service = await serviceCheck(reference, windows.shifted);
  printTable('checkDrift service on Postgres (shifted window)', [
    { step: 'read 100,000 predictions with 64 features (binary arrays)', median_ms: service.readMs },
    { step: 'checkDrift total (read + assess + record + respond)', median_ms: service.ms },
  ]);
  console.log(`service check: severity ${service.severity}, ${service.flagged} features flagged`);
  console.log(
    `\nwrote ${writeResults('drift-check', { features: WIDTH, rows: ROWS, runs: RUNS, summarizeMs: summarize.ms, windows: results, service })}`,
  );
}

runBench(main);
