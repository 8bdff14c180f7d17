import seedrandom from 'seedrandom';
import { InvalidInputError } from '../../../src/lib/errors';
import { maxDrawdown, sharpeRatio } from '../../../src/lib/trading-metrics';
import { compareShadow, type PromotionThresholds, type ShadowPair, shadowVerdict } from '../../../src/monitoring/shadow-verdict';
import { dieboldMariano } from '../../../src/lib/stats/loss-comparison';

const thresholds: PromotionThresholds = {
  min_samples: 100,
  max_samples: 2000,
  min_improvement_pct: 2,
  max_drawdown_pct: 60,
  significance: 0.05,
};

/** Outcomes driven by a signal; the shadow predicts `shadowBeta`·signal, the active `activeBeta`·signal. */
function pairs(count: number, seed: number, shadowBeta: number, activeBeta: number): ShadowPair[] {
  const random = seedrandom(String(seed));
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: count }, () => {
    const signal = 0.01 * normal();
    return { shadow: shadowBeta * signal, active: activeBeta * signal, actual: 0.5 * signal + 0.01 * normal() };
  });
}

describe('compareShadow', () => {
  it('computes each arm’s figures on the same requests and a Diebold–Mariano test of the squared-error difference', () => {
    const sample = pairs(300, 1, 0.5, -0.5);
    const comparison = compareShadow('regression', sample);
    expect(comparison.samples).toBe(300);
    expect(comparison.lossName).toBe('squared_error');

    const shadowLoss = sample.map((pair) => (pair.shadow - pair.actual) ** 2);
    const activeLoss = sample.map((pair) => (pair.active - pair.actual) ** 2);
    const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
    expect(comparison.shadow.meanLoss).toBeCloseTo(mean(shadowLoss), 15);
    expect(comparison.shadow.rmse).toBeCloseTo(Math.sqrt(mean(shadowLoss)), 15);
    expect(comparison.active.mae).toBeCloseTo(mean(sample.map((pair) => Math.abs(pair.active - pair.actual))), 15);
    expect(comparison.improvementPct).toBeCloseTo(((mean(activeLoss) - mean(shadowLoss)) / mean(activeLoss)) * 100, 10);

    const dm = dieboldMariano(shadowLoss, activeLoss, { alternative: 'less' });
    expect(comparison.test).toMatchObject({
      method: 'diebold-mariano',
      statistic: dm.statistic,
      pValue: dm.pValue,
      meanLossDifference: dm.meanDifference,
    });
    expect(comparison.test!.pValue + comparison.test!.pValueWorse).toBeCloseTo(1, 12);

    const shadowReturns = sample.map((pair) => Math.sign(pair.shadow) * pair.actual);
    const hits = sample.filter((pair) => Math.sign(pair.shadow) === Math.sign(pair.actual)).length;
    expect(comparison.shadow.hitRate).toBeCloseTo(hits / 300, 15);
    expect(comparison.shadow.meanReturn).toBeCloseTo(mean(shadowReturns), 15);
    expect(comparison.shadow.sharpe).toBeCloseTo(sharpeRatio(shadowReturns), 12);
    expect(comparison.shadow.maxDrawdownPct).toBeCloseTo(maxDrawdown(shadowReturns) * 100, 12);
    // The signal is real: calling it right beats calling it backwards.
    expect(comparison.shadow.hitRate!).toBeGreaterThan(0.6);
    expect(comparison.active.hitRate!).toBeLessThan(0.4);
  });

  it('has no test below three pairs and refuses an empty sample', () => {
    expect(compareShadow('regression', pairs(2, 2, 1, 0)).test).toBeNull();
    expect(() => compareShadow('regression', [])).toThrow(InvalidInputError);
  });

  it('compares binary models by log loss and leaves out trading figures for labels', () => {
    const comparison = compareShadow('binary', [
      { shadow: 0.8, active: 0.6, actual: 1 },
      { shadow: 0.2, active: 0.4, actual: 0 },
      { shadow: 0.7, active: 0.55, actual: 1 },
      { shadow: 0.4, active: 0.5, actual: 1 },
    ]);
    expect(comparison.lossName).toBe('log_loss');
    expect(comparison.shadow.meanLoss).toBeCloseTo(-(Math.log(0.8) + Math.log(0.8) + Math.log(0.7) + Math.log(0.4)) / 4, 12);
    expect(comparison.shadow).toMatchObject({ meanReturn: null, sharpe: null, maxDrawdownPct: null, hitRate: 0.75 });
  });
});

describe('shadowVerdict', () => {
  it('continues below min_samples, whatever the figures', () => {
    const verdict = shadowVerdict(compareShadow('regression', pairs(99, 3, 0.5, -0.5)), thresholds);
    expect(verdict).toEqual({ decision: 'CONTINUE', reasons: ['99 of the 100 paired outcomes needed for a verdict'] });
  });

  it('promotes a shadow whose loss is lower by enough, significantly', () => {
    const verdict = shadowVerdict(compareShadow('regression', pairs(300, 4, 0.5, -0.5)), thresholds);
    expect(verdict.decision).toBe('PROMOTE');
    expect(verdict.reasons.join(' ')).toMatch(
      /squared_error \d+\.\d\d% lower .* significant: Diebold–Mariano p = .* over 300 paired outcomes/,
    );
  });

  it('rejects a shadow that is significantly worse', () => {
    const verdict = shadowVerdict(compareShadow('regression', pairs(300, 5, -0.5, 0.5)), { ...thresholds, max_drawdown_pct: 100 });
    expect(verdict.decision).toBe('REJECT');
    expect(verdict.reasons[0]).toMatch(/^its squared_error is higher than the ACTIVE version's \(Diebold–Mariano p = .* < 0\.05\)$/);
  });

  it('rejects a shadow whose sign-trading drawdown is too deep, before looking at its loss', () => {
    const verdict = shadowVerdict(compareShadow('regression', pairs(300, 6, 0.5, -0.5)), { ...thresholds, max_drawdown_pct: 1 });
    expect(verdict.decision).toBe('REJECT');
    expect(verdict.reasons[0]).toMatch(/^sign-trading drawdown \d+\.\d\d% is above the allowed 1\.00%$/);
  });

  it('continues while undecided, and rejects once max_samples pass without a decision', () => {
    const same = pairs(300, 7, 0.5, 0.5);
    expect(shadowVerdict(compareShadow('regression', same), thresholds)).toEqual({
      decision: 'CONTINUE',
      reasons: ['improvement 0.00% (at least 2.00% needed)', 'Diebold–Mariano p = 0.5000 (below 0.05 needed)'],
    });
    const verdict = shadowVerdict(compareShadow('regression', same), { ...thresholds, max_samples: 300 });
    expect(verdict.decision).toBe('REJECT');
    expect(verdict.reasons[0]).toMatch(/^no promotion after 300 paired outcomes \(max_samples 300\)/);
  });

  it('does not promote a significant but too small improvement', () => {
    const verdict = shadowVerdict(compareShadow('regression', pairs(2000, 8, 0.5, 0.45)), {
      ...thresholds,
      min_improvement_pct: 50,
      max_samples: 5000,
    });
    expect(verdict.decision).toBe('CONTINUE');
    expect(verdict.reasons[0]).toMatch(/at least 50\.00% needed/);
  });
});
