/**
 * evaluateModel's pure path on 1,000,000 rows × 64 features with an expanding walk-forward of 5 folds, for
 * an XGBoost version (100 trees, depth 6): what the EVALUATE job does once the dataset is loaded — score
 * every row with the predictor in parts of 100,000 rows (monitoring/evaluation.service `firstOutputs`),
 * cut the folds, and compute the report (monitoring/backtest: per-fold and pooled metrics, calibration,
 * sign-strategy trading figures, a stationary-block-bootstrap interval on each) — beside scoring the
 * same rows with the bare predictor in one call. The difference is the overhead of the metrics and the
 * bootstrap; the report is also timed with 1 resample, which separates the bootstrap from the rest.
 *
 *   node -r @swc-node/register bench/backtest.ts [--rows 1000000] [--resamples 500]
 */
import seedrandom from 'seedrandom';
import type { TabularTrainingSet } from '../src/plugins/contract';
import { xgboostFamily } from '../src/plugins/xgboost';
import { backtest, DEFAULT_RESAMPLES } from '../src/monitoring/backtest';
import { firstOutputs } from '../src/monitoring/evaluation.service';
import { validationFolds } from '../src/lib/validation-folds';
import { runBench } from './lib/entry';
import { printTable, writeResults, type Row } from './lib/report';

const WIDTH = 64;
const TREES = 100;
const TRAIN_ROWS = 20_000;
const FOLDS = 5;

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

/**
 * Rows of features in [−1, 1] (2 % missing) and a daily-return-sized label: a weak signal of the first 16
 * in noise (so that 500,000 compounded periods of the sign strategy stay finite).
 */
function dataset(rows: number, seed: string): TabularTrainingSet {
  const random = seedrandom(seed);
  const features = new Float32Array(rows * WIDTH);
  const target = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let signal = 0;
    for (let j = 0; j < WIDTH; j++) {
      const x = random() * 2 - 1;
      features[r * WIDTH + j] = random() < 0.02 ? NaN : x;
      if (j < 16) signal += Math.sin(3 * x);
    }
    target[r] = 0.0002 * signal + 0.01 * (random() + random() + random() - 1.5);
  }
  return { kind: 'tabular', featureNames: Array.from({ length: WIDTH }, (_, j) => `f${j}`), features, target, rows };
}

async function seconds<T>(work: () => Promise<T> | T): Promise<{ value: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { value, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

runBench(async () => {
  const rows = flag('rows', 1_000_000);
  const resamples = flag('resamples', DEFAULT_RESAMPLES);
  const ctx = { signal: new AbortController().signal, progress: () => undefined, log: () => undefined, seed: 1, threads: 2 };
  const trained = await xgboostFamily.train(
    dataset(TRAIN_ROWS, 'bench:backtest:train'),
    xgboostFamily.hyperparameters.parse({ num_boost_round: TREES, early_stopping_rounds: 0, max_depth: 6, seed: 1 }),
    ctx,
  );
  const set = dataset(rows, 'bench:backtest:rows');
  const predictor = await xgboostFamily.load(trained.artifact);
  try {
    const bare = await seconds(() => predictor.predict(set.features, set.rows));
    const scored = await seconds(() => firstOutputs(predictor, set, ctx.signal));
    const folds = validationFolds(set.rows, { kind: 'expanding', folds: FOLDS, gap: 0 }, { train: 1, test: 10 });
    const metricsOnly = await seconds(() =>
      backtest({ task: 'regression', predictions: scored.value, labels: set.target, folds, bootstrap: { resamples: 1 } }),
    );
    const full = await seconds(() =>
      backtest({ task: 'regression', predictions: scored.value, labels: set.target, folds, bootstrap: { resamples } }),
    );
    const evaluate = scored.seconds + full.seconds;
    const table: Row[] = [
      { step: 'bare predictor, one call', seconds: bare.seconds, 'rows/s': Math.round(rows / bare.seconds) },
      { step: 'evaluateModel scoring (parts of 100k)', seconds: scored.seconds, 'rows/s': Math.round(rows / scored.seconds) },
      { step: 'report, 1 resample (metrics)', seconds: metricsOnly.seconds, 'rows/s': Math.round(rows / metricsOnly.seconds) },
      { step: `report, ${resamples} resamples`, seconds: full.seconds, 'rows/s': Math.round(rows / full.seconds) },
      { step: 'evaluateModel pure path (scoring + report)', seconds: evaluate, 'rows/s': Math.round(rows / evaluate) },
    ];
    printTable(
      `evaluateModel on ${rows.toLocaleString('en')} rows × ${WIDTH} features, XGBoost ${TREES} trees, expanding walk-forward ${FOLDS} folds, ${resamples} resamples`,
      table,
    );
    const pooled = full.value.pooled;
    const pick = (name: string) => [...pooled.metrics, ...pooled.trading].find((e) => e.name === name);
    const figures = ['rmse', 'r2', 'directional_accuracy', 'sharpe', 'max_drawdown', 'es_95'].map((name) => ({ ...pick(name)! }));
    printTable(
      'pooled figures (value and bootstrap interval)',
      figures.map((e) => ({ figure: e.name, value: e.value ?? NaN, lower: e.lower ?? NaN, upper: e.upper ?? NaN })),
    );
    console.log(
      `overhead of the report over bare scoring: ${(evaluate / bare.seconds).toFixed(1)}× (bootstrap ${(((full.seconds - metricsOnly.seconds) / evaluate) * 100).toFixed(0)} % of the path); ${
        pooled.rows
      } pooled test rows, mean block ${pooled.meanBlockLength}`,
    );
    const path = writeResults('backtest', {
      rows,
      width: WIDTH,
      trees: TREES,
      folds: FOLDS,
      resamples,
      cpus: (await import('node:os')).cpus().length,
      seconds: {
        barePredictor: bare.seconds,
        evaluateScoring: scored.seconds,
        reportOneResample: metricsOnly.seconds,
        report: full.seconds,
        evaluatePurePath: evaluate,
      },
      pooled: { rows: pooled.rows, meanBlockLength: pooled.meanBlockLength, figures },
      coverage: pooled.calibration.coverage.map((c) => ({ level: c.level, coverage: c.coverage })),
    });
    console.log(`wrote ${path}`);
  } finally {
    await predictor.dispose();
  }
});
