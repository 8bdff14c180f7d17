/**
 * Validation metrics of a model's outputs against the outcomes, computed in float64.
 *
 * A metric that is undefined on the given rows (R² when the outcomes are constant, AUC with one class,
 * directional accuracy when every outcome is 0) is left out of the result rather than reported as NaN,
 * so that every number in a metrics record is a real one.
 */
import { mean } from 'simple-statistics';

export type MetricTask = 'regression' | 'binary';

type NumericArray = ArrayLike<number>;

function assertPaired(predicted: NumericArray, actual: NumericArray): void {
  if (predicted.length !== actual.length) {
    throw new RangeError(`expects as many predictions as outcomes, but got ${predicted.length} and ${actual.length}`);
  }
  if (predicted.length === 0) throw new RangeError('expects at least one row to score, but got none');
}

export function rmse(predicted: NumericArray, actual: NumericArray): number {
  assertPaired(predicted, actual);
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += (predicted[i] - actual[i]) ** 2;
  return Math.sqrt(sum / actual.length);
}

export function mae(predicted: NumericArray, actual: NumericArray): number {
  assertPaired(predicted, actual);
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += Math.abs(predicted[i] - actual[i]);
  return sum / actual.length;
}

/** Coefficient of determination 1 − SS_res/SS_tot; undefined when the outcomes are constant. */
export function r2(predicted: NumericArray, actual: NumericArray): number | undefined {
  assertPaired(predicted, actual);
  // simple-statistics reads only length and indices, so a typed array is passed as it is (no copy of a large one)
  const mu = mean(actual as number[]);
  let residual = 0;
  let total = 0;
  for (let i = 0; i < actual.length; i++) {
    residual += (actual[i] - predicted[i]) ** 2;
    total += (actual[i] - mu) ** 2;
  }
  return total === 0 ? undefined : 1 - residual / total;
}

/**
 * The share of rows whose predicted sign matches the outcome's sign (did the model call the direction
 * of the move). Rows whose outcome is exactly 0 have no direction and are not counted.
 */
export function directionalAccuracy(predicted: NumericArray, actual: NumericArray): number | undefined {
  assertPaired(predicted, actual);
  let counted = 0;
  let hits = 0;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] === 0) continue;
    counted++;
    if (Math.sign(predicted[i]) === Math.sign(actual[i])) hits++;
  }
  return counted === 0 ? undefined : hits / counted;
}

/** Mean negative log-likelihood of 0/1 outcomes under predicted probabilities, clipped to [1e-15, 1 − 1e-15]. */
export function logloss(probability: NumericArray, actual: NumericArray): number {
  assertPaired(probability, actual);
  const eps = 1e-15;
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    const p = Math.min(Math.max(probability[i], eps), 1 - eps);
    sum -= actual[i] * Math.log(p) + (1 - actual[i]) * Math.log(1 - p);
  }
  return sum / actual.length;
}

/**
 * Area under the ROC curve as the Mann–Whitney statistic: the chance that a random positive scores
 * above a random negative, ties counting one half. Undefined when only one class is present.
 */
export function auc(score: NumericArray, actual: NumericArray): number | undefined {
  assertPaired(score, actual);
  const order = Array.from({ length: score.length }, (_, i) => i).sort((a, b) => score[a] - score[b]);
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && score[order[end + 1]] === score[order[start]]) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (actual[order[k]] === 1) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return undefined;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Share of rows where the predicted class (1 when the probability is above 0.5, as XGBoost's `error`) equals the 0/1 outcome. */
export function accuracy(probability: NumericArray, actual: NumericArray): number {
  assertPaired(probability, actual);
  let hits = 0;
  for (let i = 0; i < actual.length; i++) if ((probability[i] > 0.5 ? 1 : 0) === actual[i]) hits++;
  return hits / actual.length;
}

function defined(entries: Record<string, number | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(entries)) if (value !== undefined) out[name] = value;
  return out;
}

export function regressionMetrics(predicted: NumericArray, actual: NumericArray): Record<string, number> {
  return defined({
    rmse: rmse(predicted, actual),
    mae: mae(predicted, actual),
    r2: r2(predicted, actual),
    directional_accuracy: directionalAccuracy(predicted, actual),
  });
}

/** `probability` is P(outcome = 1) per row; outcomes are 0 or 1. */
export function binaryMetrics(probability: NumericArray, actual: NumericArray): Record<string, number> {
  return defined({
    logloss: logloss(probability, actual),
    auc: auc(probability, actual),
    accuracy: accuracy(probability, actual),
  });
}

export function taskMetrics(task: MetricTask, predicted: NumericArray, actual: NumericArray): Record<string, number> {
  return task === 'binary' ? binaryMetrics(predicted, actual) : regressionMetrics(predicted, actual);
}
