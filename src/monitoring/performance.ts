/**
 * How a model's predictions fared once their outcomes were known, for the shadow tester and model
 * health. A prediction is a signed expected move (a caller holding a probability passes p − 0.5); an
 * outcome is the realised simple return over the prediction's horizon (for calibration, the 0/1 event).
 * The figures of the returns of trading the predictions (sign strategy, Sharpe, drawdown, …) are in
 * lib/trading-metrics.ts.
 */
import { InvalidInputError, requireFiniteEach } from '../lib/errors';
import { directionalAccuracy, mae, rmse } from '../lib/metrics';

export interface PredictionOutcome {
  prediction: number;
  outcome: number;
}

function requirePairs(pairs: readonly PredictionOutcome[]): void {
  if (pairs.length === 0) {
    throw new InvalidInputError('pairs expects at least one prediction with its outcome, but got none', { field: 'pairs' });
  }
  pairs.forEach(({ prediction, outcome }, i) => {
    if (!Number.isFinite(prediction) || !Number.isFinite(outcome)) {
      throw new InvalidInputError(`pairs expects finite predictions and outcomes, but got (${prediction}, ${outcome}) at index ${i}`, {
        field: 'pairs',
      });
    }
  });
}

function requireValues(values: ArrayLike<number>, field: string, minimum = 1): void {
  if (values.length < minimum) {
    const noun = minimum === 1 ? 'value' : 'values';
    throw new InvalidInputError(`${field} expects at least ${minimum} ${noun}, but got ${values.length}`, { field });
  }
  requireFiniteEach(field, values);
}

const predictionsOf = (pairs: readonly PredictionOutcome[]) => pairs.map((p) => p.prediction);
const outcomesOf = (pairs: readonly PredictionOutcome[]) => pairs.map((p) => p.outcome);

/** Share of pairs whose prediction has the outcome's sign; outcomes of exactly 0 are not counted (undefined if all are). */
export function hitRate(pairs: readonly PredictionOutcome[]): number | undefined {
  requirePairs(pairs);
  return directionalAccuracy(predictionsOf(pairs), outcomesOf(pairs));
}

/** Mean absolute difference between prediction and outcome. */
export function meanAbsoluteError(pairs: readonly PredictionOutcome[]): number {
  requirePairs(pairs);
  return mae(predictionsOf(pairs), outcomesOf(pairs));
}

/** Root mean squared difference between prediction and outcome. */
export function rootMeanSquaredError(pairs: readonly PredictionOutcome[]): number {
  requirePairs(pairs);
  return rmse(predictionsOf(pairs), outcomesOf(pairs));
}

/**
 * Expected calibration error of probabilities against 0/1 outcomes: Σ_b (n_b/N)·|mean outcome − mean
 * probability| over `bins` equal-width bins of [0, 1] (bin ⌊p·bins⌋, p = 1 in the last).
 */
export function expectedCalibrationError(pairs: readonly PredictionOutcome[], bins = 10): number {
  requirePairs(pairs);
  if (!Number.isInteger(bins) || bins < 1) {
    throw new InvalidInputError(`bins expects a positive integer, but got ${bins}`, { field: 'bins' });
  }
  const count = new Array<number>(bins).fill(0);
  const probabilitySum = new Array<number>(bins).fill(0);
  const outcomeSum = new Array<number>(bins).fill(0);
  pairs.forEach(({ prediction: p, outcome }, i) => {
    if (!(p >= 0 && p <= 1) || (outcome !== 0 && outcome !== 1)) {
      throw new InvalidInputError(`pairs expects probabilities in [0, 1] with 0/1 outcomes, but got (${p}, ${outcome}) at index ${i}`, {
        field: 'pairs',
      });
    }
    const b = Math.min(Math.floor(p * bins), bins - 1);
    count[b]++;
    probabilitySum[b] += p;
    outcomeSum[b] += outcome;
  });
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const n = count[b];
    if (n > 0) ece += (n / pairs.length) * Math.abs(outcomeSum[b] / n - probabilitySum[b] / n);
  }
  return ece;
}

export interface LongShortRatio {
  long: number;
  short: number;
  flat: number;
  /** long/short; null when there is no short prediction. */
  ratio: number | null;
}

/** Counts of long (> 0), short (< 0) and flat (0) predictions, and their long/short ratio. */
export function longShortRatio(predictions: ArrayLike<number>): LongShortRatio {
  requireValues(predictions, 'predictions');
  let long = 0;
  let short = 0;
  for (let i = 0; i < predictions.length; i++) {
    if (predictions[i] > 0) long++;
    else if (predictions[i] < 0) short++;
  }
  return { long, short, flat: predictions.length - long - short, ratio: short === 0 ? null : long / short };
}

export interface LatencyPercentiles {
  p50: number;
  p95: number;
  p99: number;
}

/**
 * p50/p95/p99 of latencies by the nearest-rank definition: the smallest observed latency with at least
 * p % of the observations at or below it (sorted[⌈p·n⌉ − 1]), so every percentile is a latency that happened.
 */
export function latencyPercentiles(latencies: ArrayLike<number>): LatencyPercentiles {
  requireValues(latencies, 'latencies');
  const sorted = Float64Array.from(latencies).sort();
  if (sorted[0] < 0) {
    throw new InvalidInputError(`latencies expects non-negative durations, but got ${sorted[0]}`, { field: 'latencies' });
  }
  const nearestRank = (percent: number) => sorted[Math.ceil((percent * sorted.length) / 100) - 1];
  return { p50: nearestRank(50), p95: nearestRank(95), p99: nearestRank(99) };
}

/** Share of winning trades (return > 0) in each trailing window of `window` trades, oldest window first. */
export function rollingWinRate(returns: ArrayLike<number>, window: number): number[] {
  requireValues(returns, 'returns', 0);
  if (!Number.isInteger(window) || window < 1) {
    throw new InvalidInputError(`window expects a positive integer, but got ${window}`, { field: 'window' });
  }
  const rates: number[] = [];
  let wins = 0;
  for (let i = 0; i < returns.length; i++) {
    if (returns[i] > 0) wins++;
    if (i >= window && returns[i - window] > 0) wins--;
    if (i >= window - 1) rates.push(wins / window);
  }
  return rates;
}
