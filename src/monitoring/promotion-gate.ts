/**
 * The gate before SHADOW, its arithmetic: a candidate version and the model's ACTIVE version scored on
 * the same held-out rows (the candidate's validation tail, which neither trained on), and whether the
 * policy's `promotion_gate` lets the candidate score live traffic.
 *
 * Losses and sign-trading returns are the shadow tester's (monitoring/outcome-scoring), so a candidate is
 * judged before SHADOW by the rule that later judges it live. The candidate passes when every check holds:
 *   rows          at least min_rows held-out rows
 *   improvement   (ACTIVE mean loss − candidate mean loss) / ACTIVE mean loss · 100 ≥ min_improvement_pct
 *   stability     the candidate's loss is lower in at least min_folds_improved of `folds` contiguous
 *                 periods of the rows (oldest first; fewer periods when there are fewer rows)
 *   drawdown      its sign-trading max drawdown (percent) ≤ the ACTIVE's + max_drawdown_margin_pct
 *   shortfall     its 95 % expected shortfall ≤ the ACTIVE's + |the ACTIVE's| · max_shortfall_margin_pct / 100
 * The risk checks apply where the labels are simple returns (not for 0/1 labels or price levels); a failed
 * gate lists every check that failed. A sequence candidate (judgeForecastCandidate) is judged the same way
 * on its validation windows, each window's loss the mean squared error over the horizon and targets, with
 * no risk checks.
 */
import type { GateArmFigures, GateFoldFigures, ModelVersionEntity, PromotionGateFigures } from '../entities/model-version.entity';
import type { Policy } from '../config/policy';
import { InvalidInputError } from '../lib/errors';
import { maxDrawdown, sharpeRatio, tradingMetrics } from '../lib/trading-metrics';
import { contiguousBlocks } from '../lib/validation-folds';
import { lossName, scoreOutcomes, type ScoredOutcomes, type ScoredTask } from './outcome-scoring';

export type GateSettings = Omit<Policy['promotion_gate'], 'enabled'>;

export interface GateComparison {
  task: ScoredTask;
  /** The ACTIVE version compared against. */
  againstVersion: number;
  /** Realised values of the held-out rows, oldest first. */
  actuals: ArrayLike<number>;
  candidate: ArrayLike<number>;
  active: ArrayLike<number>;
}

/**
 * Whether the gate before SHADOW compared `candidate` with `active` itself and passed it: such a candidate
 * is not held by a promotion hold after a CRITICAL drift, which holds only candidates not shown better.
 */
export function passedGateAgainst(candidate: Pick<ModelVersionEntity, 'gate'>, active: Pick<ModelVersionEntity, 'version'>): boolean {
  const { gate } = candidate;
  return gate !== null && gate.compared && gate.passed && gate.againstVersion === active.version;
}

/** The gate's record where nothing was compared: the candidate passes (or not) for `reason`. */
export function uncomparedGate(passed: boolean, reason: string, againstVersion: number | null = null): PromotionGateFigures {
  return {
    passed,
    compared: false,
    againstVersion,
    lossName: null,
    rows: 0,
    improvementPct: null,
    foldsImproved: null,
    folds: [],
    candidate: null,
    active: null,
    reasons: [reason],
  };
}

type LossName = NonNullable<PromotionGateFigures['lossName']>;

/** The gate's record of a candidate with fewer than min_rows held-out rows: REJECTED, as unjudgeable. */
export function tooFewRowsGate(loss: LossName, rows: number, againstVersion: number, settings: GateSettings): PromotionGateFigures {
  return {
    passed: false,
    compared: true,
    againstVersion,
    lossName: loss,
    rows,
    improvementPct: null,
    foldsImproved: null,
    folds: [],
    candidate: null,
    active: null,
    reasons: [`only ${rows} held-out rows to compare on, below promotion_gate.min_rows (${settings.min_rows})`],
  };
}

const meanOf = (values: ArrayLike<number>, from = 0, to = values.length) => {
  let sum = 0;
  for (let i = from; i < to; i++) sum += values[i];
  return sum / (to - from);
};

function armFigures(scored: ScoredOutcomes): GateArmFigures {
  const returns = scored.tradeReturns;
  return {
    meanLoss: meanOf(scored.losses),
    maxDrawdownPct: returns && returns.length > 0 ? maxDrawdown(returns) * 100 : null,
    expectedShortfall95: returns && returns.length > 0 ? tradingMetrics(returns).es95 : null,
    sharpe: returns && returns.length >= 2 ? sharpeRatio(returns) : null,
  };
}

const pct = (value: number) => `${value.toFixed(2)}%`;
const figure = (value: number) => value.toPrecision(4);

/** The gate's verdict on `comparison` by `settings` (the rule at the top of this file). */
export function judgeCandidate(comparison: GateComparison, settings: GateSettings): PromotionGateFigures {
  const { task, actuals } = comparison;
  const rows = actuals.length;
  if (comparison.candidate.length !== rows || comparison.active.length !== rows) {
    throw new InvalidInputError(`expects one candidate and one ACTIVE prediction per held-out row (${rows})`, { field: 'predictions' });
  }
  if (rows < settings.min_rows) return tooFewRowsGate(lossName(task), rows, comparison.againstVersion, settings);
  const score = (predictions: ArrayLike<number>) =>
    scoreOutcomes(
      task,
      Array.from(predictions, (prediction, i) => ({ prediction, actual: actuals[i] })),
    );
  const candidateScored = score(comparison.candidate);
  const activeScored = score(comparison.active);
  return judgeLosses(
    {
      lossName: lossName(task),
      againstVersion: comparison.againstVersion,
      candidateLosses: candidateScored.losses,
      activeLosses: activeScored.losses,
      candidate: armFigures(candidateScored),
      active: armFigures(activeScored),
    },
    settings,
  );
}

/**
 * The gate's verdict on two sequence versions by their per-window losses on the candidate's validation
 * windows (the mean squared error over every horizon step and target, as the shadow tester's forecast
 * loss): the same rule, without the risk checks (a forecast takes no position).
 */
export function judgeForecastCandidate(
  comparison: { againstVersion: number; candidateLosses: ArrayLike<number>; activeLosses: ArrayLike<number> },
  settings: GateSettings,
): PromotionGateFigures {
  const rows = comparison.candidateLosses.length;
  if (comparison.activeLosses.length !== rows) {
    throw new InvalidInputError(`expects one candidate and one ACTIVE loss per held-out window (${rows})`, { field: 'losses' });
  }
  if (rows < settings.min_rows) return tooFewRowsGate('squared_error', rows, comparison.againstVersion, settings);
  const arm = (losses: ArrayLike<number>): GateArmFigures => ({
    meanLoss: meanOf(losses),
    maxDrawdownPct: null,
    expectedShortfall95: null,
    sharpe: null,
  });
  return judgeLosses(
    { ...comparison, lossName: 'squared_error', candidate: arm(comparison.candidateLosses), active: arm(comparison.activeLosses) },
    settings,
  );
}

/** The checks of the rule at the top of this file on per-row losses and the arms' figures (at least min_rows rows). */
function judgeLosses(
  input: {
    lossName: LossName;
    againstVersion: number;
    candidateLosses: ArrayLike<number>;
    activeLosses: ArrayLike<number>;
    candidate: GateArmFigures;
    active: GateArmFigures;
  },
  settings: GateSettings,
): PromotionGateFigures {
  const { lossName: loss, againstVersion, candidate, active } = input;
  const rows = input.candidateLosses.length;
  const folds: GateFoldFigures[] = contiguousBlocks(0, rows, Math.min(settings.folds, rows)).map(([from, to]) => ({
    rows: to - from,
    candidateLoss: meanOf(input.candidateLosses, from, to),
    activeLoss: meanOf(input.activeLosses, from, to),
  }));
  const foldsImproved = folds.filter((fold) => fold.candidateLoss < fold.activeLoss).length;
  const improvementPct = active.meanLoss > 0 ? ((active.meanLoss - candidate.meanLoss) / active.meanLoss) * 100 : null;

  const failures: string[] = [];
  if (improvementPct === null) failures.push(`the ACTIVE version's ${loss} on the held-out rows is 0: there is nothing to improve on`);
  else if (improvementPct < settings.min_improvement_pct) {
    failures.push(
      `${loss} ${pct(improvementPct)} lower than version ${againstVersion}'s, below promotion_gate.min_improvement_pct (${pct(settings.min_improvement_pct)})`,
    );
  }
  const needed = Math.min(settings.min_folds_improved, folds.length);
  if (foldsImproved < needed) {
    failures.push(`lower loss in ${foldsImproved} of ${folds.length} periods, below promotion_gate.min_folds_improved (${needed})`);
  }
  if (candidate.maxDrawdownPct !== null && active.maxDrawdownPct !== null) {
    const allowed = active.maxDrawdownPct + settings.max_drawdown_margin_pct;
    if (candidate.maxDrawdownPct > allowed) {
      failures.push(
        `sign-trading drawdown ${pct(candidate.maxDrawdownPct)} is above the ACTIVE's ${pct(active.maxDrawdownPct)} + promotion_gate.max_drawdown_margin_pct (${pct(settings.max_drawdown_margin_pct)})`,
      );
    }
  }
  if (candidate.expectedShortfall95 !== null && active.expectedShortfall95 !== null) {
    const allowed = active.expectedShortfall95 + (Math.abs(active.expectedShortfall95) * settings.max_shortfall_margin_pct) / 100;
    if (candidate.expectedShortfall95 > allowed) {
      failures.push(
        `95% expected shortfall ${figure(candidate.expectedShortfall95)} is above the ACTIVE's ${figure(active.expectedShortfall95)} by more than promotion_gate.max_shortfall_margin_pct (${pct(settings.max_shortfall_margin_pct)})`,
      );
    }
  }
  const reasons =
    failures.length > 0
      ? failures
      : [
          `${loss} ${pct(improvementPct!)} lower than version ${againstVersion}'s on ${rows} held-out rows, lower in ${foldsImproved} of ${folds.length} periods`,
        ];
  return {
    passed: failures.length === 0,
    compared: true,
    againstVersion,
    lossName: loss,
    rows,
    improvementPct,
    foldsImproved,
    folds,
    candidate,
    active,
    reasons,
  };
}
