/**
 * A model's health from its recent predictions and outcomes (policy.health thresholds). Health is a
 * separate axis from the lifecycle status: HEALTHY, DEGRADED or CRITICAL, with the reasons.
 *
 *   CRITICAL  the win rate of the latest window_trades outcomes is below critical_win_rate
 *   DEGRADED  that win rate is below min_win_rate; or the expected calibration error (binary models)
 *             is above max_calibration_error; or more than max_directional_bias of the directional
 *             calls are on one side; or the p99 latency is above max_latency_p99_ms
 *   INSUFFICIENT_DATA  none of these, and fewer than window_trades outcomes: the win rate cannot be
 *             judged yet (the reason gives the counts, e.g. "3 of the 50 outcomes needed")
 *   HEALTHY   none of these, on at least window_trades outcomes
 *
 * A figure is judged only once it rests on at least window_trades observations (a win rate of three
 * trades says nothing); until then it is reported but cannot make the model unhealthy. A win is a
 * direction called right: sign(prediction) · outcome > 0 (monitoring/outcome-scoring).
 *
 * A sequence model (task 'forecast', `assessForecastHealth`) makes no directional calls, so it has no
 * win rate, long/short balance or calibration; it is judged on its loss instead:
 *   DEGRADED  the mean loss of the latest window_trades forecasts with realised rows (each forecast's
 *             mean squared error over its horizon steps and targets) is at least min_error_increase_pct
 *             percent above the validation loss (drift's threshold for a loss finding, so that health
 *             and drift call the same rise a worsening); or the p99 latency is above max_latency_p99_ms
 *   INSUFFICIENT_DATA  neither, and fewer than window_trades such forecasts, or no validation loss to
 *             judge against (an imported version without metrics)
 *   HEALTHY   neither, on at least window_trades forecasts
 * No figure of a forecast makes it CRITICAL: the policy's CRITICAL threshold is a win rate, and it sets
 * none for a loss.
 */
import type { Outcome, ScoredTask } from './outcome-scoring';
import { scoreOutcomes } from './outcome-scoring';
import {
  expectedCalibrationError,
  type LatencyPercentiles,
  latencyPercentiles,
  type LongShortRatio,
  longShortRatio,
  rollingWinRate,
} from './performance';

export const HEALTH_STATUSES = ['HEALTHY', 'DEGRADED', 'CRITICAL', 'INSUFFICIENT_DATA'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

export interface HealthThresholds {
  window_trades: number;
  min_win_rate: number;
  critical_win_rate: number;
  max_calibration_error: number;
  max_directional_bias: number;
  max_latency_p99_ms: number;
}

export interface HealthInput {
  task: ScoredTask;
  /** Recent predicted values (NaN where a row could not be scored is left out by the caller). */
  predictions: readonly number[];
  /** Their latencies, in milliseconds. */
  latenciesMs: readonly number[];
  /** Recent predictions with realised values, oldest first. */
  outcomes: readonly Outcome[];
}

export interface HealthAssessment {
  status: HealthStatus;
  reasons: string[];
  /** Outcomes the win rate is judged on (window_trades); fewer, and the status is at best INSUFFICIENT_DATA. */
  outcomesNeeded: number;
  /** Over the latest window_trades outcomes; null until there are that many. */
  winRate: number | null;
  /** The win rate over each trailing window of window_trades outcomes, oldest first. */
  rollingWinRate: number[];
  /** Binary models with enough outcomes only. */
  calibrationError: number | null;
  longShort: LongShortRatio | null;
  latency: LatencyPercentiles | null;
  /** Sequence models: the mean loss of the latest window_trades forecasts with realised rows; null until there are that many. */
  meanLoss: number | null;
  /** Sequence models: the validation loss the mean loss is judged against. */
  validationLoss: number | null;
}

/** The thresholds of a sequence model's health (policy.health, and drift_detection.min_error_increase_pct). */
export interface ForecastHealthThresholds extends Pick<HealthThresholds, 'window_trades' | 'max_latency_p99_ms'> {
  min_error_increase_pct: number;
}

export interface ForecastHealthInput {
  /** Latencies of the recent forecasts, in milliseconds. */
  latenciesMs: readonly number[];
  /** Per recent forecast with realised rows, oldest first: its mean squared error over every horizon step and target. */
  losses: readonly number[];
  /** The same figure on the validation windows (monitoring/outcome-scoring `forecastValidationLoss`). */
  validationLoss: number | null;
}

const fixed = (value: number, digits = 3) => value.toFixed(digits);

export function assessHealth(input: HealthInput, thresholds: HealthThresholds): HealthAssessment {
  const enough = thresholds.window_trades;
  const scored = input.outcomes.length > 0 ? scoreOutcomes(input.task, input.outcomes) : null;
  const rolling = rollingWinRate(scored ? scored.directionReturns : [], enough);
  const winRate = rolling.length > 0 ? rolling[rolling.length - 1] : null;
  const calibrationError =
    input.task === 'binary' && scored && input.outcomes.length >= enough
      ? expectedCalibrationError(input.outcomes.map(({ prediction }, i) => ({ prediction, outcome: scored.targets[i] })))
      : null;
  const directions = input.task === 'binary' ? input.predictions.map((p) => p - 0.5) : input.predictions;
  const longShort = directions.length > 0 ? longShortRatio(directions) : null;
  const latency = input.latenciesMs.length > 0 ? latencyPercentiles(input.latenciesMs) : null;

  const critical: string[] = [];
  const degraded: string[] = [];
  if (winRate !== null && winRate < thresholds.critical_win_rate) {
    critical.push(`win rate ${fixed(winRate)} over the latest ${enough} outcomes is below the critical ${thresholds.critical_win_rate}`);
  } else if (winRate !== null && winRate < thresholds.min_win_rate) {
    degraded.push(`win rate ${fixed(winRate)} over the latest ${enough} outcomes is below ${thresholds.min_win_rate}`);
  }
  if (calibrationError !== null && calibrationError > thresholds.max_calibration_error) {
    degraded.push(`expected calibration error ${fixed(calibrationError)} is above ${thresholds.max_calibration_error}`);
  }
  if (longShort && longShort.long + longShort.short >= enough) {
    const calls = longShort.long + longShort.short;
    const side = longShort.long >= longShort.short ? 'long' : 'short';
    const share = Math.max(longShort.long, longShort.short) / calls;
    if (share > thresholds.max_directional_bias)
      degraded.push(
        `${fixed(share * 100, 1)}% of the latest ${calls} directional calls are ${side} (at most ${thresholds.max_directional_bias * 100}%)`,
      );
  }
  const slow = latencyFinding(input.latenciesMs, latency, thresholds);
  if (slow) degraded.push(slow);
  const insufficient =
    input.outcomes.length < enough
      ? `${input.outcomes.length} of the ${enough} outcomes needed to judge the win rate (policy.health.window_trades)`
      : null;
  return {
    ...verdict(critical, degraded, insufficient),
    outcomesNeeded: enough,
    winRate,
    rollingWinRate: rolling,
    calibrationError,
    longShort,
    latency,
    meanLoss: null,
    validationLoss: null,
  };
}

/** A sequence model's health: its recent loss against validation and its latency (the rule above). */
export function assessForecastHealth(input: ForecastHealthInput, thresholds: ForecastHealthThresholds): HealthAssessment {
  const enough = thresholds.window_trades;
  const { validationLoss } = input;
  const latest = input.losses.slice(-enough);
  const meanLoss = latest.length >= enough ? latest.reduce((sum, loss) => sum + loss, 0) / latest.length : null;
  const latency = input.latenciesMs.length > 0 ? latencyPercentiles(input.latenciesMs) : null;

  const degraded: string[] = [];
  if (meanLoss !== null && validationLoss !== null && validationLoss > 0) {
    const increasePct = (meanLoss / validationLoss - 1) * 100;
    if (increasePct >= thresholds.min_error_increase_pct)
      degraded.push(
        `mean forecast loss ${meanLoss.toPrecision(4)} over the latest ${enough} outcomes is ${fixed(increasePct, 1)}% above the validation loss ${validationLoss.toPrecision(4)} (a rise of ${thresholds.min_error_increase_pct}% or more degrades: policy drift_detection.min_error_increase_pct)`,
      );
  }
  const slow = latencyFinding(input.latenciesMs, latency, thresholds);
  if (slow) degraded.push(slow);
  const insufficient =
    validationLoss === null || !(validationLoss > 0)
      ? 'the version has no validation loss (metrics.mse_original) to judge its forecast loss against'
      : meanLoss === null
        ? `${input.losses.length} of the ${enough} forecasts with realised rows needed to judge the loss (policy.health.window_trades)`
        : null;
  return {
    ...verdict([], degraded, insufficient),
    outcomesNeeded: enough,
    winRate: null,
    rollingWinRate: [],
    calibrationError: null,
    longShort: null,
    latency,
    meanLoss,
    validationLoss,
  };
}

/** The p99 latency above its bound, once it rests on window_trades predictions. */
function latencyFinding(
  latenciesMs: readonly number[],
  latency: LatencyPercentiles | null,
  thresholds: Pick<HealthThresholds, 'window_trades' | 'max_latency_p99_ms'>,
): string | null {
  if (!latency || latenciesMs.length < thresholds.window_trades || latency.p99 <= thresholds.max_latency_p99_ms) return null;
  return `p99 latency ${fixed(latency.p99, 1)} ms is above ${thresholds.max_latency_p99_ms} ms`;
}

/** The status from the findings; `insufficient` (why the main figure cannot be judged yet) matters only without findings. */
function verdict(critical: string[], degraded: string[], insufficient: string | null): Pick<HealthAssessment, 'status' | 'reasons'> {
  if (critical.length) return { status: 'CRITICAL', reasons: [...critical, ...degraded] };
  if (degraded.length) return { status: 'DEGRADED', reasons: degraded };
  if (insufficient) return { status: 'INSUFFICIENT_DATA', reasons: [insufficient] };
  return { status: 'HEALTHY', reasons: [] };
}
