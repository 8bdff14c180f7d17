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
}

const fixed = (value: number, digits = 3) => value.toFixed(digits);

export function assessHealth(input: HealthInput, thresholds: HealthThresholds): HealthAssessment {
  const enough = thresholds.window_trades;
  const scored = input.outcomes.length > 0 ? scoreOutcomes(input.task, input.outcomes) : null;
  const directionReturns = scored ? scored.directions.map(({ prediction, outcome }) => Math.sign(prediction) * outcome) : [];
  const rolling = rollingWinRate(directionReturns, enough);
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
  if (latency && input.latenciesMs.length >= enough && latency.p99 > thresholds.max_latency_p99_ms) {
    degraded.push(`p99 latency ${fixed(latency.p99, 1)} ms is above ${thresholds.max_latency_p99_ms} ms`);
  }
  const insufficient = input.outcomes.length < enough;
  const status: HealthStatus = critical.length ? 'CRITICAL' : degraded.length ? 'DEGRADED' : insufficient ? 'INSUFFICIENT_DATA' : 'HEALTHY';
  const reasons =
    status === 'INSUFFICIENT_DATA'
      ? [`${input.outcomes.length} of the ${enough} outcomes needed to judge the win rate (policy.health.window_trades)`]
      : [...critical, ...degraded];
  return { status, reasons, outcomesNeeded: enough, winRate, rollingWinRate: rolling, calibrationError, longShort, latency };
}
