/**
 * The backtest of one fixed version (`evaluateModel`): its predictions on a labelled dataset, scored
 * fold by fold and pooled, with a stationary-block-bootstrap interval on every figure (pure).
 *
 * A scheme (lib/validation-folds.ts) cuts the rows, in time order, into folds; the version is NOT
 * retrained per fold (that is tuning's work): it is scored on each fold's test block, which gives the
 * per-fold figures, and on all test blocks together (in row order), which gives the pooled ones. The
 * train rows of a fold are used for one thing only: a regression version's prediction intervals are
 * the quantiles of its residuals (label − prediction) on the FIRST fold's train rows, because a
 * version's stored reference keeps its validation predictions and outcomes as two separate summaries
 * (no residuals), and rows before the first test block are the closest stand-in. When those rows are
 * the rows the version trained on, its intervals are in-sample ones and too narrow: coverage below the
 * level then says so.
 *
 *   regression   rmse, mae, r2, directional_accuracy (lib/metrics.ts); coverage_50/80/95: the share of
 *                test rows whose label lies in [prediction + q((1 − L)/2), prediction + q((1 + L)/2)] of the
 *                residuals; the PIT histogram: per test row the share of those residuals at or below its
 *                own residual, in 10 equal bins of [0, 1] (flat when the intervals are calibrated).
 *   binary       logloss, auc, accuracy (lib/metrics.ts); precision, recall, f1 of the class p > 0.5;
 *                ece: Σ_b n_b/n · |mean label − mean p| over 10 equal-width bins of p (the last one
 *                closed at 1), with the bins themselves as the reliability diagram.
 *   trading      a regression version's sign strategy on the labels taken as each row's simple return
 *                (lib/trading-metrics.ts: signStrategy with `threshold`, tradingMetrics); none for a
 *                binary version (its labels are classes), nor when a strategy return is below −1 (the
 *                labels are then no simple returns) — `tradingNote` says why.
 *
 * Intervals: the percentile intervals of lib/stats/block-bootstrap.ts, every figure of a segment from
 * the same resamples (one set of stationary-bootstrap row indices per resample, applied to the
 * predictions, labels, strategy returns and positions together), so that autocorrelated rows keep
 * their dependence. A figure undefined on a resample (AUC of one class) is left out of that resample.
 * `backtestWithPauses` computes the same report with a pause after each resample (the EVALUATE job yields
 * its event loop there: a 1,000,000-row backtest takes minutes, longer than a job's heartbeat may stop).
 */
import { linearQuantileSorted } from '../lib/stats/quantile-bins';
import { defaultMeanBlockLength, gather, stationaryBootstrapIndices } from '../lib/stats/block-bootstrap';
import { accuracy, auc, directionalAccuracy, logloss, mae, r2, rmse } from '../lib/metrics';
import { signStrategy, tradingMetrics, TRADING_DAYS_PER_YEAR } from '../lib/trading-metrics';
import type { ValidationFold } from '../lib/validation-folds';
import { InvalidInputError, requireFinite } from '../lib/errors';

export type BacktestTask = 'regression' | 'binary';

/** The interval levels whose coverage a regression backtest reports. */
export const COVERAGE_LEVELS: readonly number[] = [0.5, 0.8, 0.95];
/** Bins of the PIT histogram and of the reliability diagram (ECE). */
export const CALIBRATION_BINS = 10;
export const DEFAULT_RESAMPLES = 500;

export interface BacktestBootstrap {
  /** Resamples per segment (default 500). */
  resamples?: number;
  /** Coverage of the intervals (default 0.95). */
  confidence?: number;
  /** Seed of the resampling (default '0'). */
  seed?: string;
  /** Mean block length in rows (default n^(1/3) of each segment). */
  meanBlockLength?: number;
}

export interface BacktestInput {
  task: BacktestTask;
  /** The version's first output on every row of the dataset, oldest row first (NaN: not scored). */
  predictions: ArrayLike<number>;
  /** The label of every row. */
  labels: ArrayLike<number>;
  folds: readonly ValidationFold[];
  bootstrap?: BacktestBootstrap;
  /** The sign strategy is flat while |prediction| ≤ threshold (default 0). */
  threshold?: number;
  /** For the annualised trading figures (default 252). */
  periodsPerYear?: number;
}

/** A figure with its bootstrap interval; null where it is undefined (R² of constant labels, say). */
export interface Estimate {
  name: string;
  value: number | null;
  lower: number | null;
  upper: number | null;
}

export interface IntervalCoverage {
  /** Nominal level, e.g. 0.8. */
  level: number;
  /** Offsets added to a prediction: the residual quantiles (1 − level)/2 and (1 + level)/2. */
  lowerOffset: number;
  upperOffset: number;
  /** Share of the test rows inside (value, lower, upper). */
  coverage: Estimate;
}

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  meanPredicted: number | null;
  observedRate: number | null;
}

export interface Calibration {
  /** Binary: the expected calibration error. */
  ece: Estimate | null;
  /** Binary: the reliability diagram, 10 equal-width bins of p. */
  reliability: ReliabilityBin[];
  /** Regression: coverage of the 50/80/95 % prediction intervals. */
  coverage: IntervalCoverage[];
  /** Regression: the PIT histogram, the share of test rows in each of 10 equal bins of [0, 1]. */
  pit: number[];
}

export interface SegmentReport {
  /** Test rows scored. */
  rows: number;
  /** Test rows left out because the version's prediction was not a number. */
  unscoredRows: number;
  metrics: Estimate[];
  calibration: Calibration;
  /** Figures of the sign strategy; empty when `tradingNote` says why. */
  trading: Estimate[];
  tradingNote: string | null;
  meanBlockLength: number;
}

export interface FoldReport extends SegmentReport {
  fold: number;
  /** Rows of the fold's train ranges (not trained on: a fixed version is scored only). */
  trainRows: number;
  /** [testStart, testEnd): the fold's test block, as row indices of the dataset in time order. */
  testStart: number;
  testEnd: number;
}

export interface BacktestReport {
  task: BacktestTask;
  /** Rows of the dataset (with a label). */
  rows: number;
  folds: FoldReport[];
  /** Every fold's test block together. */
  pooled: SegmentReport;
  /** Regression: the rows the interval residuals came from (the first fold's train rows with a prediction). */
  intervalRows: number;
  resamples: number;
  confidence: number;
  seed: string;
  threshold: number;
  periodsPerYear: number;
}

const TRADING_NAMES = {
  totalReturn: 'total_return',
  annualReturn: 'annual_return',
  meanReturn: 'mean_return',
  sharpe: 'sharpe',
  sortino: 'sortino',
  maxDrawdown: 'max_drawdown',
  calmar: 'calmar',
  profitFactor: 'profit_factor',
  hitRate: 'hit_rate',
  var95: 'var_95',
  var99: 'var_99',
  es95: 'es_95',
  es99: 'es_99',
  turnover: 'turnover',
} as const;

type Figures = Record<string, number | null | undefined>;

/** Precision, recall and F1 of the class p > 0.5 (accuracy's threshold); null where a ratio has nothing to divide by. */
export function classificationCounts(
  probability: ArrayLike<number>,
  actual: ArrayLike<number>,
): { precision: number | null; recall: number | null; f1: number | null } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < actual.length; i++) {
    const predicted = probability[i] > 0.5;
    if (predicted && actual[i] === 1) tp++;
    else if (predicted) fp++;
    else if (actual[i] === 1) fn++;
  }
  const precision = tp + fp > 0 ? tp / (tp + fp) : null;
  const recall = tp + fn > 0 ? tp / (tp + fn) : null;
  const f1 = tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : null;
  return { precision, recall, f1 };
}

/** The bin of p in `bins` equal-width bins of [0, 1], p = 1 in the last. */
const binOf = (p: number, bins: number) => Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));

/** The reliability diagram of probabilities against 0/1 outcomes. */
export function reliabilityBins(probability: ArrayLike<number>, actual: ArrayLike<number>, bins = CALIBRATION_BINS): ReliabilityBin[] {
  const count = new Float64Array(bins);
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  for (let i = 0; i < actual.length; i++) {
    const b = binOf(probability[i], bins);
    count[b]++;
    sumP[b] += probability[i];
    sumY[b] += actual[i];
  }
  return Array.from({ length: bins }, (_, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: count[b],
    meanPredicted: count[b] > 0 ? sumP[b] / count[b] : null,
    observedRate: count[b] > 0 ? sumY[b] / count[b] : null,
  }));
}

/** Expected calibration error: Σ_b n_b/n · |observed rate − mean predicted| over equal-width bins. */
export function expectedCalibrationError(probability: ArrayLike<number>, actual: ArrayLike<number>, bins = CALIBRATION_BINS): number {
  if (actual.length === 0) throw new InvalidInputError('expects at least one row to score, but got none', { field: 'labels' });
  let sum = 0;
  for (const bin of reliabilityBins(probability, actual, bins)) {
    if (bin.count > 0) sum += bin.count * Math.abs(bin.observedRate! - bin.meanPredicted!);
  }
  return sum / actual.length;
}

/** The interval offsets at `level` from sorted residuals: their (1 − level)/2 and (1 + level)/2 quantiles. */
export function intervalOffsets(sortedResiduals: ArrayLike<number>, level: number): { lowerOffset: number; upperOffset: number } {
  return {
    lowerOffset: linearQuantileSorted(sortedResiduals, (1 - level) / 2),
    upperOffset: linearQuantileSorted(sortedResiduals, (1 + level) / 2),
  };
}

/** Share of rows with prediction + lowerOffset ≤ label ≤ prediction + upperOffset. */
export function intervalCoverage(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  offsets: { lowerOffset: number; upperOffset: number },
): number {
  let inside = 0;
  for (let i = 0; i < labels.length; i++) {
    const residual = labels[i] - predictions[i];
    if (residual >= offsets.lowerOffset && residual <= offsets.upperOffset) inside++;
  }
  return inside / labels.length;
}

/** The PIT histogram: per row the share of `sortedResiduals` at or below its residual, as shares of `bins` equal bins of [0, 1]. */
export function pitHistogram(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  sortedResiduals: ArrayLike<number>,
  bins = CALIBRATION_BINS,
): number[] {
  const counts = new Float64Array(bins);
  const m = sortedResiduals.length;
  for (let i = 0; i < labels.length; i++) {
    const residual = labels[i] - predictions[i];
    // upper bound: residuals ≤ residual
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sortedResiduals[mid] <= residual) lo = mid + 1;
      else hi = mid;
    }
    counts[binOf(lo / m, bins)]++;
  }
  return Array.from(counts, (c) => c / labels.length);
}

interface Segment {
  predictions: Float64Array;
  labels: Float64Array;
  unscored: number;
}

/** The rows of `ranges` whose prediction is a number. */
function segmentOf(predictions: ArrayLike<number>, labels: ArrayLike<number>, ranges: readonly (readonly [number, number])[]): Segment {
  const rows: number[] = [];
  let unscored = 0;
  for (const [start, end] of ranges) {
    for (let r = start; r < end; r++) {
      if (Number.isFinite(predictions[r])) rows.push(r);
      else unscored++;
    }
  }
  return { predictions: gather(predictions, rows), labels: gather(labels, rows), unscored };
}

/** Each array's values at `indices` (null for a missing array), in one pass over the indices. */
function gatherAll(indices: Uint32Array, arrays: (Float64Array | undefined)[]): (Float64Array | null)[] {
  const present = arrays.filter((array): array is Float64Array => array !== undefined);
  const out = present.map(() => new Float64Array(indices.length));
  for (let i = 0; i < indices.length; i++) {
    const row = indices[i];
    for (let a = 0; a < present.length; a++) out[a][i] = present[a][row];
  }
  let next = 0;
  return arrays.map((array) => (array === undefined ? null : out[next++]));
}

interface Resolved {
  task: BacktestTask;
  resamples: number;
  confidence: number;
  seed: string;
  meanBlockLength?: number;
  threshold: number;
  periodsPerYear: number;
  offsets: IntervalCoverage[];
  sortedResiduals: Float64Array | null;
}

/** Every bootstrapped figure of a segment's (resampled) rows. */
function figuresOf(
  settings: Resolved,
  p: Float64Array,
  y: Float64Array,
  returns: Float64Array | null,
  positions: Float64Array | null,
): Figures {
  const figures: Figures = {};
  if (settings.task === 'regression') {
    figures.rmse = rmse(p, y);
    figures.mae = mae(p, y);
    figures.r2 = r2(p, y);
    figures.directional_accuracy = directionalAccuracy(p, y);
    for (const level of settings.offsets) figures[coverageName(level.level)] = intervalCoverage(p, y, level);
  } else {
    figures.logloss = logloss(p, y);
    figures.auc = auc(p, y);
    figures.accuracy = accuracy(p, y);
    Object.assign(figures, classificationCounts(p, y));
    figures.ece = expectedCalibrationError(p, y);
  }
  if (returns && positions) {
    const trading = tradingMetrics(returns, { positions, periodsPerYear: settings.periodsPerYear });
    for (const [key, name] of Object.entries(TRADING_NAMES)) figures[name] = trading[key as keyof typeof TRADING_NAMES];
  }
  return figures;
}

const coverageName = (level: number) => `coverage_${Math.round(level * 100)}`;

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  return linearQuantileSorted(Float64Array.from(values).sort(), p);
}

/** A segment's report; yields after each bootstrap resample (see backtestInSteps). */
function* scoreSegment(settings: Resolved, segment: Segment): Generator<void, SegmentReport> {
  const n = segment.labels.length;
  if (n < 2) {
    throw new InvalidInputError(`expects at least 2 scored test rows in every fold, but a fold has ${n}; use fewer folds or more rows`, {
      field: 'folds',
    });
  }
  let strategy: { returns: Float64Array; positions: Float64Array } | null = null;
  let tradingNote: string | null = null;
  if (settings.task === 'binary') tradingNote = 'a binary version’s labels are classes, not returns: no trading figures';
  else {
    const made = signStrategy(segment.predictions, segment.labels, { threshold: settings.threshold });
    const below = made.returns.findIndex((r) => r < -1);
    if (below >= 0) {
      tradingNote = `the labels are not simple returns (the strategy loses ${-made.returns[below]} > 100 % on a row): no trading figures`;
    } else strategy = made;
  }
  const meanBlockLength = settings.meanBlockLength ?? defaultMeanBlockLength(n);
  const estimate = figuresOf(settings, segment.predictions, segment.labels, strategy?.returns ?? null, strategy?.positions ?? null);
  const samples = new Map<string, number[]>(Object.keys(estimate).map((name) => [name, []]));
  for (const indices of stationaryBootstrapIndices(n, { resamples: settings.resamples, meanBlockLength, seed: settings.seed })) {
    const [p, y, returns, positions] = gatherAll(indices, [segment.predictions, segment.labels, strategy?.returns, strategy?.positions]);
    const figures = figuresOf(settings, p!, y!, returns, positions);
    for (const [name, value] of Object.entries(figures)) {
      if (value !== null && value !== undefined && Number.isFinite(value)) samples.get(name)?.push(value);
    }
    yield;
  }
  const tail = (1 - settings.confidence) / 2;
  const named = (name: string): Estimate => {
    const value = estimate[name];
    const drawn = samples.get(name) ?? [];
    return {
      name,
      value: value !== null && value !== undefined && Number.isFinite(value) ? value : null,
      lower: percentile(drawn, tail),
      upper: percentile(drawn, 1 - tail),
    };
  };
  const metricNames =
    settings.task === 'regression'
      ? ['rmse', 'mae', 'r2', 'directional_accuracy']
      : ['logloss', 'auc', 'accuracy', 'precision', 'recall', 'f1'];
  return {
    rows: n,
    unscoredRows: segment.unscored,
    metrics: metricNames.map(named),
    calibration:
      settings.task === 'regression'
        ? {
            ece: null,
            reliability: [],
            coverage: settings.offsets.map((level) => ({ ...level, coverage: named(coverageName(level.level)) })),
            pit: pitHistogram(segment.predictions, segment.labels, settings.sortedResiduals!),
          }
        : { ece: named('ece'), reliability: reliabilityBins(segment.predictions, segment.labels), coverage: [], pit: [] },
    trading: strategy ? Object.values(TRADING_NAMES).map(named) : [],
    tradingNote,
    meanBlockLength,
  };
}

/** The whole backtest report of `input` (the rules at the top of this file), at once. */
export function backtest(input: BacktestInput): BacktestReport {
  const steps = backtestInSteps(input);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * The same report, computed in steps: `pause(done, total)` is awaited after every bootstrap resample (done of
 * total over every segment), so that a caller on a shared event loop can let timers (a job's heartbeat) run,
 * report progress, or stop by throwing.
 */
export async function backtestWithPauses(
  input: BacktestInput,
  pause: (done: number, total: number) => Promise<void>,
): Promise<BacktestReport> {
  const total = (input.folds.length + 1) * (input.bootstrap?.resamples ?? DEFAULT_RESAMPLES);
  const steps = backtestInSteps(input);
  for (let done = 1; ; done++) {
    const step = steps.next();
    if (step.done) return step.value;
    await pause(done, total);
  }
}

function* backtestInSteps(input: BacktestInput): Generator<void, BacktestReport> {
  const { task, predictions, labels, folds } = input;
  if (predictions.length !== labels.length) {
    throw new InvalidInputError(`predictions expects one value per label (${labels.length}), but got ${predictions.length}`, {
      field: 'predictions',
    });
  }
  if (folds.length === 0) throw new InvalidInputError('folds expects at least one fold, but got none', { field: 'folds' });
  const { resamples = DEFAULT_RESAMPLES, confidence = 0.95, seed = '0', meanBlockLength } = input.bootstrap ?? {};
  const { threshold = 0, periodsPerYear = TRADING_DAYS_PER_YEAR } = input;
  requireFinite('confidence', confidence, 'a number in (0, 1)', (c) => c > 0 && c < 1);
  for (let i = 0; i < labels.length; i++) {
    if (!Number.isFinite(labels[i]))
      throw new InvalidInputError(`labels expects finite numbers, but got ${labels[i]} at row ${i}`, { field: 'labels' });
    if (task === 'binary' && labels[i] !== 0 && labels[i] !== 1) {
      throw new InvalidInputError(`labels expects 0 or 1 for a binary version, but got ${labels[i]} at row ${i}`, {
        field: 'targetColumn',
      });
    }
  }
  let sortedResiduals: Float64Array | null = null;
  let offsets: IntervalCoverage[] = [];
  let intervalRows = 0;
  if (task === 'regression') {
    const calibration = segmentOf(predictions, labels, folds[0].train);
    intervalRows = calibration.labels.length;
    if (intervalRows === 0) {
      throw new InvalidInputError(
        'expects the first fold to have train rows with a prediction, for the prediction intervals, but it has none',
        {
          field: 'scheme',
        },
      );
    }
    sortedResiduals = calibration.labels.map((y, i) => y - calibration.predictions[i]).sort();
    offsets = COVERAGE_LEVELS.map((level) => ({
      level,
      ...intervalOffsets(sortedResiduals!, level),
      coverage: { name: coverageName(level), value: null, lower: null, upper: null },
    }));
  }
  const settings: Resolved = { task, resamples, confidence, seed, meanBlockLength, threshold, periodsPerYear, offsets, sortedResiduals };
  const foldReports: FoldReport[] = [];
  for (const fold of folds) {
    foldReports.push({
      fold: fold.fold,
      trainRows: fold.train.reduce((sum, [start, end]) => sum + end - start, 0),
      testStart: fold.test[0],
      testEnd: fold.test[1],
      ...(yield* scoreSegment(settings, segmentOf(predictions, labels, [fold.test]))),
    });
  }
  const pooled = yield* scoreSegment(
    settings,
    segmentOf(
      predictions,
      labels,
      folds.map((fold) => fold.test),
    ),
  );
  return {
    task,
    rows: labels.length,
    folds: foldReports,
    pooled,
    intervalRows,
    resamples,
    confidence,
    seed,
    threshold,
    periodsPerYear,
  };
}
