/**
 * How a model's answers are scored against the realised values of their requests: one rule shared by
 * the shadow tester, drift and health.
 *
 * - A regression model predicts a signed move (a return). Its direction is the prediction, its loss the
 *   squared error, and trading it earns sign(prediction) · actual.
 * - A binary model predicts P(up). Its direction is p − 0.5 and its loss the log loss of the label. The
 *   realised value is either the label itself (0 or 1) or a realised return whose sign is the label; a
 *   sample is read as labels only when every value in it is 0 or 1, and then it has no trade returns.
 *
 * Trade returns are left out (null) when some realised value is below −1, i.e. not a simple return
 * (a model of price levels, say): drawdowns and Sharpe ratios would mean nothing there.
 *
 * A sequence model (task 'forecast') is not scored here pair by pair: its loss is the mean squared
 * error of one forecast over every horizon step and target, computed in SQL (serving/prediction-outcomes
 * forecastLossSql); `forecastValidationLoss` is the same figure on its validation windows.
 */
import { InvalidInputError } from '../lib/errors';
import type { ScoredTask } from '../lib/scored-task';
import { signStrategy } from '../lib/trading-metrics';
import type { PredictionOutcome } from './performance';

export type { ScoredTask };

export interface Outcome {
  prediction: number;
  actual: number;
}

export interface ScoredOutcomes {
  /** Signed prediction and signed outcome per pair, for hit and win rates (monitoring/performance). */
  directions: PredictionOutcome[];
  /** What each prediction is measured against: the realised value, or for a binary model its label. */
  targets: Float64Array;
  /** Per-pair loss: squared error (regression) or log loss (binary). */
  losses: Float64Array;
  /** sign(direction) · signed outcome per pair (lib/trading-metrics signStrategy): its sign says whether the call won, for labels too. */
  directionReturns: Float64Array;
  /** The same as realised returns; null for labels or values that are not simple returns. */
  tradeReturns: number[] | null;
}

const LOG_LOSS_EPSILON = 1e-15;

export function lossName(task: ScoredTask): 'squared_error' | 'log_loss' {
  return task === 'binary' ? 'log_loss' : 'squared_error';
}

function isLabelSample(outcomes: readonly Outcome[]): boolean {
  return outcomes.every(({ actual }) => actual === 0 || actual === 1);
}

function logLoss(probability: number, label: number): number {
  const p = Math.min(Math.max(probability, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON);
  return -(label * Math.log(p) + (1 - label) * Math.log(1 - p));
}

export function scoreOutcomes(task: ScoredTask, outcomes: readonly Outcome[]): ScoredOutcomes {
  outcomes.forEach(({ prediction, actual }, i) => {
    if (!Number.isFinite(prediction) || !Number.isFinite(actual)) {
      throw new InvalidInputError(
        `outcomes expects finite predictions and realised values, but got (${prediction}, ${actual}) at index ${i}`,
        {
          field: 'outcomes',
        },
      );
    }
    if (task === 'binary' && !(prediction >= 0 && prediction <= 1)) {
      throw new InvalidInputError(`outcomes expects probabilities in [0, 1] from a binary model, but got ${prediction} at index ${i}`, {
        field: 'outcomes',
      });
    }
  });
  const labels = task === 'binary' && isLabelSample(outcomes);
  const directions = outcomes.map(({ prediction, actual }) =>
    task === 'regression' ? { prediction, outcome: actual } : { prediction: prediction - 0.5, outcome: labels ? actual - 0.5 : actual },
  );
  const targets = Float64Array.from(outcomes, ({ actual }) => (task === 'regression' || labels ? actual : actual > 0 ? 1 : 0));
  const losses = Float64Array.from(outcomes, ({ prediction }, i) =>
    task === 'regression' ? (prediction - targets[i]) ** 2 : logLoss(prediction, targets[i]),
  );
  const simpleReturns = !labels && outcomes.every(({ actual }) => actual >= -1);
  const directionReturns = signStrategy(
    Float64Array.from(directions, (pair) => pair.prediction),
    Float64Array.from(directions, (pair) => pair.outcome),
  ).returns;
  return { directions, targets, losses, directionReturns, tradeReturns: simpleReturns ? Array.from(directionReturns) : null };
}

/** What a version's validation said about its hit rate and mean loss, from its stored metrics. */
export function validationBaseline(task: ScoredTask, metrics: Record<string, number>): { hitRate: number | null; meanLoss: number | null } {
  if (task === 'binary') return { hitRate: metrics.accuracy ?? null, meanLoss: metrics.logloss ?? null };
  return { hitRate: metrics.directional_accuracy ?? null, meanLoss: metrics.rmse === undefined ? null : metrics.rmse ** 2 };
}

/**
 * A sequence model's validation loss: the original-scale mean squared error over every horizon step and
 * target of its validation windows (metrics.mse_original; rmse² is the same number) — the figure
 * forecastLossSql gives per live forecast. Null for a version without it (an imported one, say).
 */
export function forecastValidationLoss(metrics: Record<string, number>): number | null {
  return metrics.mse_original ?? (metrics.rmse === undefined ? null : metrics.rmse ** 2);
}
