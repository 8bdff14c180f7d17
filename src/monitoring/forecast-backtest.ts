/**
 * The backtest report of a sequence (forecast) version, pure: its forecasts of every window of a series
 * against the realised rows. A window start s (rows [s, s + L) shown, [s + L, s + L + H) asked for) is one
 * "row" of the validation scheme: the folds cut the window starts in time order, each fold's test block is
 * a range of starts. Per fold and pooled: forecastMetrics (plugins/base/sequence/metrics.ts) — mse and mae
 * on the standardised scale (each target divided by `targetStd`), mse_original, mae_original, rmse, and per
 * horizon step. mse and mae get stationary-block-bootstrap intervals over the windows (a window's figure is
 * the mean over its horizon × targets cells, so their mean over the windows is the segment's figure); the
 * others are point values. A forecast has no trading figures: `trading` is empty, `tradingNote` says why.
 */
import { stationaryBootstrapBy } from '../lib/stats/block-bootstrap';
import type { ValidationFold } from '../lib/validation-folds';
import { forecastMetrics } from '../plugins/base/sequence/metrics';
import type { BacktestBootstrap, BacktestReport, Estimate, FoldReport, SegmentReport } from './backtest';
import { DEFAULT_RESAMPLES } from './backtest';

export const FORECAST_TRADING_NOTE = 'no trading figures for forecasts: a sequence version forecasts a path, not a position';

export interface ForecastStep {
  step: number;
  mse: number;
  mae: number;
}

/** forecastMetrics of one segment, named for the report (mse, mae, steps standardised by targetStd). */
export interface ForecastFigures {
  windows: number;
  mse: number;
  mae: number;
  mseOriginal: number;
  maeOriginal: number;
  rmse: number;
  steps: ForecastStep[];
}

export interface ForecastFoldFigures extends ForecastFigures {
  fold: number;
  /** [testStart, testEnd): the fold's window starts. */
  testStart: number;
  testEnd: number;
}

export interface ForecastBacktest {
  inputLength: number;
  horizon: number;
  targets: string[];
  /** The standard deviation each target is divided by (mse, mae, steps). */
  targetStd: number[];
  /** 'training': the version's scaling.json; 'dataset': the dataset's own (population) std, the version keeping none. */
  targetStdSource: 'training' | 'dataset';
  folds: ForecastFoldFigures[];
  pooled: ForecastFigures;
}

export interface ForecastBacktestInput {
  /** Forecast of every window start, [windows, horizon, targets]. */
  forecasts: Float32Array;
  /** Realised rows of every window start, [windows, horizon, targets]. */
  actuals: Float32Array;
  windows: number;
  inputLength: number;
  horizon: number;
  targets: string[];
  targetStd: number[];
  targetStdSource: 'training' | 'dataset';
  /** Folds over the window starts [0, windows). */
  folds: readonly ValidationFold[];
  bootstrap?: BacktestBootstrap;
  threshold?: number;
  periodsPerYear?: number;
}

/** The report of a sequence version: BacktestReport's shape (task 'forecast', rows = window starts) plus `forecast`. */
export interface ForecastBacktestReport extends Omit<BacktestReport, 'task'> {
  task: 'forecast';
  forecast: ForecastBacktest;
}

function figuresOf(metrics: Record<string, number>, windows: number, horizon: number): ForecastFigures {
  return {
    windows,
    mse: metrics.mse,
    mae: metrics.mae,
    mseOriginal: metrics.mse_original,
    maeOriginal: metrics.mae_original,
    rmse: metrics.rmse,
    steps: Array.from({ length: horizon }, (_, h) => ({
      step: h + 1,
      mse: metrics[`mse_step_${h + 1}`],
      mae: metrics[`mae_step_${h + 1}`],
    })),
  };
}

const finiteOrNull = (value: number | null | undefined): number | null =>
  value !== null && value !== undefined && Number.isFinite(value) ? value : null;

export function forecastBacktest(input: ForecastBacktestInput): ForecastBacktestReport {
  const { horizon: H, targets, targetStd, windows } = input;
  const K = targets.length;
  const cells = H * K;
  if (input.forecasts.length !== windows * cells || input.actuals.length !== windows * cells) {
    throw new Error(
      `forecastBacktest expects ${windows} × ${H} × ${K} forecasts and actuals, got ${input.forecasts.length} and ${input.actuals.length}`,
    );
  }
  // Per window: standardised squared and absolute error, averaged over its horizon × targets cells.
  const windowMse = new Float64Array(windows);
  const windowMae = new Float64Array(windows);
  for (let w = 0; w < windows; w++) {
    let squared = 0;
    let absolute = 0;
    for (let i = w * cells, c = 0; c < cells; i++, c++) {
      const scaled = (input.forecasts[i] - input.actuals[i]) / targetStd[c % K];
      squared += scaled * scaled;
      absolute += Math.abs(scaled);
    }
    windowMse[w] = squared / cells;
    windowMae[w] = absolute / cells;
  }
  const { resamples = DEFAULT_RESAMPLES, confidence = 0.95, seed = '0', meanBlockLength } = input.bootstrap ?? {};
  const segment = (starts: number[]): { report: SegmentReport; figures: ForecastFigures } => {
    const n = starts.length;
    const forecast = new Float32Array(n * cells);
    const actual = new Float32Array(n * cells);
    starts.forEach((s, k) => {
      forecast.set(input.forecasts.subarray(s * cells, (s + 1) * cells), k * cells);
      actual.set(input.actuals.subarray(s * cells, (s + 1) * cells), k * cells);
    });
    const metrics = forecastMetrics(forecast, actual, { windows: n, horizon: H, targets: K, targetStd });
    const options = { resamples, confidence, seed, ...(meanBlockLength === undefined ? {} : { meanBlockLength }) };
    const mean = (values: Float64Array) => (indices: Uint32Array) => {
      let sum = 0;
      for (let i = 0; i < indices.length; i++) sum += values[starts[indices[i]]];
      return sum / indices.length;
    };
    const mse = stationaryBootstrapBy(n, mean(windowMse), options);
    const mae = stationaryBootstrapBy(n, mean(windowMae), options);
    const point = (name: string): Estimate => ({ name, value: finiteOrNull(metrics[name]), lower: null, upper: null });
    const report: SegmentReport = {
      rows: n,
      unscoredRows: 0,
      metrics: [
        // The point value is forecastMetrics' (the bootstrap's estimate is the same mean, summed in another order).
        { name: 'mse', value: finiteOrNull(metrics.mse), lower: mse.low, upper: mse.high },
        { name: 'mae', value: finiteOrNull(metrics.mae), lower: mae.low, upper: mae.high },
        point('mse_original'),
        point('mae_original'),
        point('rmse'),
      ],
      calibration: { ece: null, reliability: [], coverage: [], pit: [] },
      trading: [],
      tradingNote: FORECAST_TRADING_NOTE,
      meanBlockLength: mse.meanBlockLength,
    };
    return { report, figures: figuresOf(metrics, n, H) };
  };
  const range = ([from, to]: readonly [number, number]) => Array.from({ length: to - from }, (_, k) => from + k);
  const folds: FoldReport[] = [];
  const foldFigures: ForecastFoldFigures[] = [];
  for (const fold of input.folds) {
    const { report, figures } = segment(range(fold.test));
    folds.push({
      ...report,
      fold: fold.fold,
      trainRows: fold.train.reduce((sum, [from, to]) => sum + (to - from), 0),
      testStart: fold.test[0],
      testEnd: fold.test[1],
    });
    foldFigures.push({ fold: fold.fold, testStart: fold.test[0], testEnd: fold.test[1], ...figures });
  }
  const pooled = segment(input.folds.flatMap((fold) => range(fold.test)));
  return {
    task: 'forecast',
    rows: windows,
    folds,
    pooled: pooled.report,
    intervalRows: 0,
    resamples,
    confidence,
    seed,
    threshold: input.threshold ?? 0,
    periodsPerYear: input.periodsPerYear ?? 252,
    forecast: {
      inputLength: input.inputLength,
      horizon: H,
      targets: [...targets],
      targetStd: [...targetStd],
      targetStdSource: input.targetStdSource,
      folds: foldFigures,
      pooled: pooled.figures,
    },
  };
}
