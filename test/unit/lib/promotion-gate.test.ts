import seedrandom from 'seedrandom';
import { DEFAULT_POLICY, policySchema } from '../../../src/config/policy';
import { InvalidInputError } from '../../../src/lib/errors';
import { maxDrawdown, tradingMetrics } from '../../../src/lib/trading-metrics';
import {
  judgeCandidate,
  judgeForecastCandidate,
  tooFewRowsGate,
  uncomparedGate,
  type GateSettings,
} from '../../../src/monitoring/promotion-gate';

const settings: GateSettings = (({ enabled: _enabled, ...rest }) => rest)(DEFAULT_POLICY.promotion_gate);

/** Returns driven by a signal; a version predicting beta·signal. */
function market(rows: number, seed: number) {
  const random = seedrandom(String(seed));
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const signal = Array.from({ length: rows }, () => 0.01 * normal());
  const actuals = signal.map((s) => 0.5 * s + 0.01 * normal());
  return { signal, actuals, predict: (beta: number) => signal.map((s) => beta * s) };
}

describe('judgeCandidate', () => {
  it('passes a candidate with a lower loss overall and in enough periods, with the figures of both arms', () => {
    const { actuals, predict } = market(300, 1);
    const candidate = predict(0.5);
    const active = predict(0.1);
    const gate = judgeCandidate({ task: 'regression', againstVersion: 3, actuals, candidate, active }, settings);

    const loss = (predictions: number[], from = 0, to = actuals.length) =>
      predictions.slice(from, to).reduce((sum, p, i) => sum + (p - actuals[from + i]) ** 2, 0) / (to - from);
    expect(gate.passed).toBe(true);
    expect(gate.compared).toBe(true);
    expect(gate.againstVersion).toBe(3);
    expect(gate.lossName).toBe('squared_error');
    expect(gate.rows).toBe(300);
    expect(gate.candidate!.meanLoss).toBeCloseTo(loss(candidate), 15);
    expect(gate.active!.meanLoss).toBeCloseTo(loss(active), 15);
    expect(gate.improvementPct).toBeCloseTo(((loss(active) - loss(candidate)) / loss(active)) * 100, 10);
    // three contiguous periods of 100 rows, oldest first
    expect(gate.folds.map((fold) => fold.rows)).toEqual([100, 100, 100]);
    expect(gate.folds[1].candidateLoss).toBeCloseTo(loss(candidate, 100, 200), 15);
    expect(gate.folds[2].activeLoss).toBeCloseTo(loss(active, 200, 300), 15);
    expect(gate.foldsImproved).toBe(gate.folds.filter((fold) => fold.candidateLoss < fold.activeLoss).length);
    // the sign-trading figures are the trading-metrics module's on sign(prediction) · actual
    const returns = candidate.map((p, i) => Math.sign(p) * actuals[i]);
    expect(gate.candidate!.maxDrawdownPct).toBeCloseTo(maxDrawdown(returns) * 100, 10);
    expect(gate.candidate!.expectedShortfall95).toBeCloseTo(tradingMetrics(returns).es95, 12);
    expect(gate.reasons[0]).toMatch(/squared_error .*% lower than version 3's on 300 held-out rows/);
  });

  it('rejects a candidate trained on noise (shuffled targets), naming every check that failed', () => {
    const { actuals, predict } = market(300, 2);
    const random = seedrandom('noise');
    const noise = actuals.map(() => (random() - 0.5) * 0.02);
    const gate = judgeCandidate({ task: 'regression', againstVersion: 1, actuals, candidate: noise, active: predict(0.5) }, settings);
    expect(gate.passed).toBe(false);
    expect(gate.improvementPct!).toBeLessThan(0);
    expect(gate.reasons.some((reason) => reason.includes('promotion_gate.min_improvement_pct'))).toBe(true);
    expect(gate.reasons.some((reason) => reason.includes('promotion_gate.min_folds_improved'))).toBe(true);
  });

  it('rejects a candidate whose improvement is below min_improvement_pct', () => {
    const { actuals, predict } = market(300, 3);
    const gate = judgeCandidate(
      { task: 'regression', againstVersion: 1, actuals, candidate: predict(0.5), active: predict(0.3) },
      { ...settings, min_improvement_pct: 50 },
    );
    expect(gate.passed).toBe(false);
    expect(gate.reasons).toEqual([expect.stringMatching(/below promotion_gate.min_improvement_pct \(50.00%\)/)]);
  });

  it('rejects a candidate that is better on average but not stable across the periods', () => {
    // better by far in the first period, slightly worse in the other two
    const actuals = Array.from({ length: 90 }, (_, i) => (i % 2 === 0 ? 0.01 : -0.01));
    const active = actuals.map((a, i) => (i < 30 ? -a : a * 0.9));
    const candidate = actuals.map((a, i) => (i < 30 ? a : a * 0.85));
    const gate = judgeCandidate({ task: 'regression', againstVersion: 1, actuals, candidate, active }, settings);
    expect(gate.improvementPct!).toBeGreaterThan(2);
    expect(gate.foldsImproved).toBe(1);
    expect(gate.passed).toBe(false);
    expect(gate.reasons).toEqual([expect.stringMatching(/lower loss in 1 of 3 periods, below promotion_gate.min_folds_improved \(2\)/)]);
  });

  it('rejects a candidate whose sign-trading drawdown is deeper than the margin allows, even with a lower loss', () => {
    // The candidate's predictions are closer to the realised values but of the wrong sign on the large losses.
    const actuals = Array.from({ length: 60 }, (_, i) => (i % 10 === 0 ? -0.05 : 0.004));
    const active = actuals.map((a) => (a < 0 ? -0.001 : 0.0001));
    const candidate = actuals.map((a) => (a < 0 ? 0.0001 : a));
    const gate = judgeCandidate({ task: 'regression', againstVersion: 1, actuals, candidate, active }, { ...settings, min_rows: 10 });
    expect(gate.candidate!.maxDrawdownPct!).toBeGreaterThan(gate.active!.maxDrawdownPct! + settings.max_drawdown_margin_pct);
    expect(gate.passed).toBe(false);
    expect(gate.reasons.some((reason) => reason.includes('promotion_gate.max_drawdown_margin_pct'))).toBe(true);
    expect(gate.reasons.some((reason) => reason.includes('promotion_gate.max_shortfall_margin_pct'))).toBe(true);
  });

  it('judges binary models by log loss and skips the risk checks on 0/1 labels', () => {
    const actuals = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const candidate = actuals.map((label) => (label ? 0.8 : 0.2));
    const active = actuals.map(() => 0.6);
    const gate = judgeCandidate({ task: 'binary', againstVersion: 2, actuals, candidate, active }, settings);
    expect(gate.lossName).toBe('log_loss');
    expect(gate.passed).toBe(true);
    expect(gate.candidate!.maxDrawdownPct).toBeNull();
    expect(gate.candidate!.expectedShortfall95).toBeNull();
  });

  it('rejects a candidate with fewer held-out rows than min_rows, and uses fewer periods than folds when rows are fewer', () => {
    const { actuals, predict } = market(20, 4);
    const gate = judgeCandidate({ task: 'regression', againstVersion: 1, actuals, candidate: predict(0.5), active: predict(0) }, settings);
    expect(gate).toEqual(tooFewRowsGate('squared_error', 20, 1, settings));
    expect(gate.passed).toBe(false);
    expect(gate.reasons).toEqual(['only 20 held-out rows to compare on, below promotion_gate.min_rows (30)']);

    const two = judgeCandidate(
      { task: 'regression', againstVersion: 1, actuals: actuals.slice(0, 2), candidate: [0.01, 0.01], active: [0, 0] },
      { ...settings, min_rows: 1, min_folds_improved: 1 },
    );
    expect(two.folds).toHaveLength(2);
  });

  it('refuses predictions that do not match the rows', () => {
    expect(() =>
      judgeCandidate({ task: 'regression', againstVersion: 1, actuals: [0, 1], candidate: [0], active: [0, 1] }, settings),
    ).toThrow(InvalidInputError);
  });
});

describe('judgeForecastCandidate', () => {
  it('judges per-window horizon losses by the same rule, without risk figures', () => {
    const active = Array.from({ length: 60 }, (_, i) => 1 + (i % 5) * 0.1);
    const better = active.map((loss) => loss * 0.8);
    const gate = judgeForecastCandidate({ againstVersion: 4, candidateLosses: better, activeLosses: active }, settings);
    expect(gate).toMatchObject({ passed: true, compared: true, againstVersion: 4, lossName: 'squared_error', rows: 60, foldsImproved: 3 });
    expect(gate.improvementPct).toBeCloseTo(20, 10);
    expect(gate.candidate).toEqual({ meanLoss: expect.any(Number), maxDrawdownPct: null, expectedShortfall95: null, sharpe: null });

    const same = judgeForecastCandidate({ againstVersion: 4, candidateLosses: active, activeLosses: active }, settings);
    expect(same.passed).toBe(false);
    expect(same.reasons).toEqual([
      expect.stringMatching(/squared_error 0.00% lower than version 4's, below promotion_gate.min_improvement_pct/),
      'lower loss in 0 of 3 periods, below promotion_gate.min_folds_improved (2)',
    ]);
    expect(judgeForecastCandidate({ againstVersion: 4, candidateLosses: [1], activeLosses: [2] }, settings).reasons).toEqual([
      'only 1 held-out rows to compare on, below promotion_gate.min_rows (30)',
    ]);
  });
});

describe('uncomparedGate', () => {
  it('records why nothing was compared', () => {
    expect(uncomparedGate(true, 'no ACTIVE version')).toMatchObject({
      passed: true,
      compared: false,
      rows: 0,
      reasons: ['no ACTIVE version'],
    });
  });
});

describe('policy promotion_gate', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_POLICY.promotion_gate).toEqual({
      enabled: true,
      min_improvement_pct: 2,
      folds: 3,
      min_folds_improved: 2,
      max_drawdown_margin_pct: 5,
      max_shortfall_margin_pct: 25,
      min_rows: 30,
    });
    expect(DEFAULT_POLICY.shadow_testing).toEqual({ max_shadows: 3 });
    expect(DEFAULT_POLICY.safety.automatic_rollback).toBe(true);
  });

  it('refuses a gate that can never pass: more folds improved than folds, naming the field', () => {
    const result = policySchema.safeParse({ promotion_gate: { folds: 3, min_folds_improved: 4 } });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0].path).toEqual(['promotion_gate', 'min_folds_improved']);
    expect(result.error!.issues[0].message).toMatch(/expects a number <= promotion_gate.folds \(3\)/);
  });
});
