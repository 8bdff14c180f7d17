import { InvalidInputError } from '../../../src/lib/errors';
import { compareForecastShadow, type ForecastPair, shadowVerdict } from '../../../src/monitoring/shadow-verdict';

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** One request's loss over the horizon, by hand: mean squared and mean absolute error over every step and target. */
function losses(forecast: number[], actual: number[]) {
  const errors = forecast.map((value, i) => value - actual[i]);
  return { squared: mean(errors.map((e) => e * e)), absolute: mean(errors.map(Math.abs)) };
}

describe('compareForecastShadow', () => {
  it('figures each arm from its per-request losses over the horizon: meanLoss, rmse = √meanLoss, mae; no trading figures', () => {
    // Three requests, horizon 2 × one target (step-major), forecast by both versions.
    const actuals = [
      [0.01, -0.02],
      [0.0, 0.03],
      [-0.01, 0.01],
    ];
    const shadowForecasts = [
      [0.012, -0.01],
      [0.005, 0.02],
      [-0.02, 0.0],
    ];
    const activeForecasts = [
      [0.03, 0.01],
      [-0.02, 0.0],
      [0.01, 0.03],
    ];
    const pairs: ForecastPair[] = actuals.map((actual, r) => {
      const shadow = losses(shadowForecasts[r], actual);
      const active = losses(activeForecasts[r], actual);
      return {
        shadowLoss: shadow.squared,
        activeLoss: active.squared,
        shadowAbsoluteError: shadow.absolute,
        activeAbsoluteError: active.absolute,
      };
    });
    // By hand: the shadow's squared errors are (0.002², 0.01²), (0.005², 0.01²), (0.01², 0.01²).
    const shadowLoss = mean([(0.002 ** 2 + 0.01 ** 2) / 2, (0.005 ** 2 + 0.01 ** 2) / 2, (0.01 ** 2 + 0.01 ** 2) / 2]);
    const activeLoss = mean([(0.02 ** 2 + 0.03 ** 2) / 2, (0.02 ** 2 + 0.03 ** 2) / 2, (0.02 ** 2 + 0.02 ** 2) / 2]);

    const comparison = compareForecastShadow(pairs);
    expect(comparison).toMatchObject({ samples: 3, lossName: 'squared_error' });
    expect(comparison.shadow.meanLoss).toBeCloseTo(shadowLoss, 15);
    expect(comparison.active.meanLoss).toBeCloseTo(activeLoss, 15);
    expect(comparison.shadow.rmse).toBeCloseTo(Math.sqrt(shadowLoss), 15);
    expect(comparison.shadow.mae).toBeCloseTo(mean([(0.002 + 0.01) / 2, (0.005 + 0.01) / 2, (0.01 + 0.01) / 2]), 15);
    expect(comparison.active.mae).toBeCloseTo(mean([(0.02 + 0.03) / 2, (0.02 + 0.03) / 2, (0.02 + 0.02) / 2]), 15);
    expect(comparison.improvementPct).toBeCloseTo(((activeLoss - shadowLoss) / activeLoss) * 100, 10);
    for (const arm of [comparison.shadow, comparison.active]) {
      expect(arm).toMatchObject({ hitRate: null, meanReturn: null, sharpe: null, maxDrawdownPct: null });
    }
  });

  // The reference losses and values of the Diebold–Mariano test in stats.test.ts (numpy/scipy 1.10.1, horizon 1).
  const loss1 = [1.2, 0.8, 1.5, 2.2, 1.9, 0.4, 0.3, 0.9, 1.4, 1.8, 1.1, 0.6, 0.2, 0.7, 1.3, 1.6];
  const loss2 = [1.0, 0.9, 1.1, 1.6, 1.7, 0.6, 0.5, 0.8, 1.0, 1.2, 1.0, 0.7, 0.4, 0.6, 1.1, 1.2];
  const reference = loss1.map((shadowLoss, i) => ({
    shadowLoss,
    activeLoss: loss2[i],
    shadowAbsoluteError: Math.sqrt(shadowLoss),
    activeAbsoluteError: Math.sqrt(loss2[i]),
  }));

  it('tests the per-request loss differences shadow − active with Diebold–Mariano, as for scored models', () => {
    const { test } = compareForecastShadow(reference);
    expect(test!.method).toBe('diebold-mariano');
    expect(test!.statistic).toBeCloseTo(2.3086214074050386, 10);
    // scipy: t.cdf(2.3086214074050386, 15) = 0.9821873093441768
    expect(test!.pValue).toBeCloseTo(0.9821873093441768, 8);
    expect(test!.pValueWorse).toBeCloseTo(1 - 0.9821873093441768, 8);
    expect(test!.meanLossDifference).toBeCloseTo(2.5 / 16, 12);
  });

  it('gives the same verdict rule: a significantly higher loss over the horizon is rejected, a lower one promoted', () => {
    const thresholds = { min_samples: 10, max_samples: 1000, min_improvement_pct: 5, max_drawdown_pct: 0, significance: 0.05 };
    // max_drawdown_pct 0 would reject any sign-trading shadow: a forecast has no drawdown, so it never applies.
    const worse = shadowVerdict(compareForecastShadow(reference), thresholds);
    expect(worse.decision).toBe('REJECT');
    expect(worse.reasons[0]).toMatch(/^its squared_error is higher than the ACTIVE version's \(Diebold–Mariano p = 0\.0178/);
    const swapped = reference.map((pair) => ({
      shadowLoss: pair.activeLoss,
      activeLoss: pair.shadowLoss,
      shadowAbsoluteError: pair.activeAbsoluteError,
      activeAbsoluteError: pair.shadowAbsoluteError,
    }));
    expect(shadowVerdict(compareForecastShadow(swapped), thresholds).decision).toBe('PROMOTE');
    expect(shadowVerdict(compareForecastShadow(swapped), { ...thresholds, min_samples: 17 }).decision).toBe('CONTINUE');
  });

  it('has no test below three pairs, and refuses no pairs or a loss that is not finite', () => {
    expect(compareForecastShadow(reference.slice(0, 2)).test).toBeNull();
    expect(() => compareForecastShadow([])).toThrow(InvalidInputError);
    expect(() => compareForecastShadow([{ ...reference[0], activeLoss: NaN }])).toThrow(/pairs\.activeLoss expects finite numbers/);
  });
});
