/**
 * The shadow tester's arithmetic: a SHADOW version and the ACTIVE one judged on the same requests with
 * realised values (monitoring/outcome-scoring), and the verdict the policy's thresholds give.
 *
 * The significance test is Diebold–Mariano (HLN-corrected, horizon 1: each request is one observation
 * of the loss) on the per-request loss differences shadow − active; `pValue` is one-sided for "the
 * shadow's loss is lower", `pValueWorse` for "it is higher".
 *
 * A sequence model (task 'forecast') is judged by its loss over the horizon: per request, the mean
 * squared error over every step and target of the forecast against the realised rows (and its mean
 * absolute error), as SQL computes them (serving/prediction-outcomes forecastLossSql). Its arm figures:
 * meanLoss the mean of those per-request losses, rmse = √meanLoss (every request of a test has the same
 * horizon × targets, so this is the RMSE over all forecast values), mae the mean of the per-request
 * absolute errors; a forecast takes no position, so hit rate, returns, Sharpe and drawdown are null
 * (and rule 2 never applies).
 *
 * The verdict, in this order:
 *   1. fewer than min_samples paired outcomes                                   → CONTINUE
 *   2. the shadow's sign-trading drawdown is above max_drawdown_pct             → REJECT
 *   3. the shadow's loss is significantly higher (pValueWorse < significance)   → REJECT
 *   4. improvement ≥ min_improvement_pct and pValue < significance             → PROMOTE
 *   5. max_samples paired outcomes without a decision                           → REJECT
 *   6. otherwise                                                                → CONTINUE
 * where improvement = (active mean loss − shadow mean loss) / active mean loss · 100.
 */
import type { ShadowArmFigures } from '../platform/events/event-types';
import { InvalidInputError, requireFiniteEach } from '../lib/errors';
import { lossName, scoreOutcomes, type ScoredOutcomes, type ScoredTask } from './outcome-scoring';
import { mae, rmse } from '../lib/metrics';
import { hitRate } from './performance';
import { maxDrawdown, meanReturn, sharpeRatio } from '../lib/trading-metrics';
import { dieboldMariano } from '../lib/stats/loss-comparison';

export interface ShadowPair {
  shadow: number;
  active: number;
  actual: number;
}

/** One request forecast by both versions, as its losses over the horizon. */
export interface ForecastPair {
  /** Mean squared error over every step and target. */
  shadowLoss: number;
  activeLoss: number;
  /** Mean absolute error over every step and target. */
  shadowAbsoluteError: number;
  activeAbsoluteError: number;
}

/** The figures of one arm: the shape the shadow events carry. */
export type ArmFigures = ShadowArmFigures;

export interface LossDifferenceTest {
  method: 'diebold-mariano';
  statistic: number;
  /** One-sided: the shadow's expected loss is lower. */
  pValue: number;
  /** One-sided: the shadow's expected loss is higher. */
  pValueWorse: number;
  /** mean(shadow loss − active loss). */
  meanLossDifference: number;
}

export interface ShadowComparison {
  samples: number;
  lossName: 'squared_error' | 'log_loss';
  shadow: ArmFigures;
  active: ArmFigures;
  /** Loss improvement of the shadow over the active version, in percent (null when the active loss is 0). */
  improvementPct: number | null;
  /** Null with fewer than 3 pairs. */
  test: LossDifferenceTest | null;
}

export const SHADOW_DECISIONS = ['PROMOTE', 'REJECT', 'CONTINUE'] as const;
export type ShadowDecision = (typeof SHADOW_DECISIONS)[number];

export interface PromotionThresholds {
  min_samples: number;
  max_samples: number;
  min_improvement_pct: number;
  max_drawdown_pct: number;
  significance: number;
}

export interface ShadowVerdict {
  decision: ShadowDecision;
  reasons: string[];
}

const mean = (values: Float64Array) => values.reduce((sum, value) => sum + value, 0) / values.length;

function armFigures(predictions: Float64Array, scored: ScoredOutcomes): ArmFigures {
  const returns = scored.tradeReturns;
  return {
    hitRate: hitRate(scored.directions) ?? null,
    meanReturn: returns ? meanReturn(returns) : null,
    sharpe: returns && returns.length >= 2 ? sharpeRatio(returns) : null,
    maxDrawdownPct: returns ? maxDrawdown(returns) * 100 : null,
    mae: mae(predictions, scored.targets),
    rmse: rmse(predictions, scored.targets),
    meanLoss: mean(scored.losses),
  };
}

function requirePairs(count: number): void {
  if (count === 0)
    throw new InvalidInputError('pairs expects at least one request with both predictions and its outcome, but got none', {
      field: 'pairs',
    });
}

/** The comparison of two arms' figures and per-request losses on the same requests. */
function comparison(
  lossName: ShadowComparison['lossName'],
  shadow: ArmFigures,
  active: ArmFigures,
  losses: { shadow: Float64Array; active: Float64Array },
): ShadowComparison {
  return {
    samples: losses.shadow.length,
    lossName,
    shadow,
    active,
    improvementPct: active.meanLoss > 0 ? ((active.meanLoss - shadow.meanLoss) / active.meanLoss) * 100 : null,
    test: losses.shadow.length >= 3 ? lossDifferenceTest(losses.shadow, losses.active) : null,
  };
}

export function compareShadow(task: ScoredTask, pairs: readonly ShadowPair[]): ShadowComparison {
  requirePairs(pairs.length);
  const arm = (side: 'shadow' | 'active') => {
    const predictions = Float64Array.from(pairs, (pair) => pair[side]);
    const scored = scoreOutcomes(
      task,
      pairs.map((pair) => ({ prediction: pair[side], actual: pair.actual })),
    );
    return { scored, figures: armFigures(predictions, scored) };
  };
  const { scored: shadowScored, figures: shadow } = arm('shadow');
  const { scored: activeScored, figures: active } = arm('active');
  return comparison(lossName(task), shadow, active, { shadow: shadowScored.losses, active: activeScored.losses });
}

/** The comparison of two sequence versions by their per-request losses over the horizon (the rule at the top of this file). */
export function compareForecastShadow(pairs: readonly ForecastPair[]): ShadowComparison {
  requirePairs(pairs.length);
  const arm = (losses: Float64Array, absoluteErrors: Float64Array): ArmFigures => {
    const meanLoss = mean(losses);
    return {
      hitRate: null,
      meanReturn: null,
      sharpe: null,
      maxDrawdownPct: null,
      mae: mean(absoluteErrors),
      rmse: Math.sqrt(meanLoss),
      meanLoss,
    };
  };
  const column = (key: keyof ForecastPair) => {
    const values = Float64Array.from(pairs, (pair) => pair[key]);
    requireFiniteEach(`pairs.${key}`, values);
    return values;
  };
  const losses = { shadow: column('shadowLoss'), active: column('activeLoss') };
  const shadow = arm(losses.shadow, column('shadowAbsoluteError'));
  const active = arm(losses.active, column('activeAbsoluteError'));
  return comparison('squared_error', shadow, active, losses);
}

function lossDifferenceTest(shadow: Float64Array, active: Float64Array): LossDifferenceTest {
  const lower = dieboldMariano(shadow, active, { alternative: 'less' });
  const higher = dieboldMariano(shadow, active, { alternative: 'greater' });
  return {
    method: 'diebold-mariano',
    statistic: lower.statistic,
    pValue: lower.pValue,
    pValueWorse: higher.pValue,
    meanLossDifference: lower.meanDifference,
  };
}

const pct = (value: number) => `${value.toFixed(2)}%`;
const p = (value: number) => (value < 1e-4 ? value.toExponential(1) : value.toFixed(4));

/** The verdict the thresholds give on `comparison` (the rule at the top of this file), with its reasons. */
export function shadowVerdict(comparison: ShadowComparison, thresholds: PromotionThresholds): ShadowVerdict {
  const { samples, shadow, test, improvementPct } = comparison;
  if (samples < thresholds.min_samples) {
    return { decision: 'CONTINUE', reasons: [`${samples} of the ${thresholds.min_samples} paired outcomes needed for a verdict`] };
  }
  if (shadow.maxDrawdownPct !== null && shadow.maxDrawdownPct > thresholds.max_drawdown_pct) {
    return {
      decision: 'REJECT',
      reasons: [`sign-trading drawdown ${pct(shadow.maxDrawdownPct)} is above the allowed ${pct(thresholds.max_drawdown_pct)}`],
    };
  }
  if (test && test.pValueWorse < thresholds.significance) {
    return {
      decision: 'REJECT',
      reasons: [
        `its ${comparison.lossName} is higher than the ACTIVE version's (Diebold–Mariano p = ${p(test.pValueWorse)} < ${thresholds.significance})`,
      ],
    };
  }
  const improved = improvementPct !== null && improvementPct >= thresholds.min_improvement_pct;
  const significant = test !== null && test.pValue < thresholds.significance;
  const improvement = improvementPct === null ? 'undefined (the ACTIVE loss is 0)' : pct(improvementPct);
  if (improved && significant) {
    return {
      decision: 'PROMOTE',
      reasons: [
        `${comparison.lossName} ${improvement} lower than the ACTIVE version's (at least ${pct(thresholds.min_improvement_pct)} needed)`,
        `significant: Diebold–Mariano p = ${p(test.pValue)} < ${thresholds.significance}`,
        `over ${samples} paired outcomes`,
      ],
    };
  }
  const missing = [
    ...(improved ? [] : [`improvement ${improvement} (at least ${pct(thresholds.min_improvement_pct)} needed)`]),
    ...(significant ? [] : [`Diebold–Mariano p = ${test ? p(test.pValue) : 'n/a'} (below ${thresholds.significance} needed)`]),
  ];
  if (samples >= thresholds.max_samples) {
    return {
      decision: 'REJECT',
      reasons: [`no promotion after ${samples} paired outcomes (max_samples ${thresholds.max_samples}): ${missing.join('; ')}`],
    };
  }
  return { decision: 'CONTINUE', reasons: missing };
}
