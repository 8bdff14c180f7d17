import fc from 'fast-check';
import { InvalidInputError } from '../../../src/lib/errors';
import {
  MARKET_REGIMES,
  STRATEGIES,
  STRATEGY_REGIME_PRIORS,
  strategyWeights,
} from '../../../src/lib/strategy-allocation';

const confidences = { trend_following: 0.8, mean_reversion: 0.5, defensive: 0.2 };

describe('strategyWeights', () => {
  it('weights prior × confidence, normalised, with the floor (hand-computed, trending_up)', () => {
    // scores 0.9·0.8 = 0.72, 0.2·0.5 = 0.10, 0.1·0.2 = 0.02 (total 0.84); weight = 0.05 + 0.85 · share
    const result = strategyWeights(confidences, 'trending_up');
    expect(result.weights.trend_following).toBeCloseTo(0.05 + (0.85 * 0.72) / 0.84, 12);
    expect(result.weights.mean_reversion).toBeCloseTo(0.05 + (0.85 * 0.1) / 0.84, 12);
    expect(result.weights.defensive).toBeCloseTo(0.05 + (0.85 * 0.02) / 0.84, 12);
    expect(result.weights.trend_following).toBeCloseTo(0.778571, 6);
    expect(result.reasons[0]).toMatchObject({ strategy: 'trend_following', prior: 0.9, confidence: 0.8 });
    expect(result.reasons[0].score).toBeCloseTo(0.72, 12);
    expect(result.reasons[0].explanation).toBe(
      'trend_following: prior 0.9 in trending_up × confidence 0.8 = 0.72, 0.8571 of the total; weight 0.7786 with the 0.05 floor',
    );
  });

  it('moves weight to defensive and mean reversion when the regime turns volatile', () => {
    // scores 0.4·0.8 = 0.32, 0.5·0.5 = 0.25, 0.9·0.2 = 0.18 (total 0.75)
    const { weights } = strategyWeights(confidences, 'high_volatility');
    expect(weights.trend_following).toBeCloseTo(0.05 + (0.85 * 0.32) / 0.75, 12);
    expect(weights.mean_reversion).toBeCloseTo(0.05 + (0.85 * 0.25) / 0.75, 12);
    expect(weights.defensive).toBeCloseTo(0.05 + (0.85 * 0.18) / 0.75, 12);
  });

  it('splits equally when every confidence is 0, and gives a lone strategy everything', () => {
    const zero = strategyWeights({ momentum: 0, breakout: 0 }, 'ranging');
    expect(zero.weights).toEqual({ momentum: 0.5, breakout: 0.5 });
    expect(zero.reasons[0].explanation).toMatch(/every score is 0, so an equal share 0.5/);
    expect(strategyWeights({ breakout: 1 }, 'ranging').weights).toEqual({ breakout: 1 });
    expect(strategyWeights({ breakout: 1, momentum: 0 }, 'ranging', 0).weights).toEqual({ breakout: 1, momentum: 0 });
  });

  it('always sums to 1 with every weight at least the floor', () => {
    const entry = fc.tuple(fc.constantFrom(...STRATEGIES), fc.double({ min: 0, max: 1, noNaN: true }));
    fc.assert(
      fc.property(
        fc.uniqueArray(entry, { minLength: 1, maxLength: 5, selector: ([s]) => s }),
        fc.constantFrom(...MARKET_REGIMES),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        (entries, regime, floor) => {
          const { weights } = strategyWeights(Object.fromEntries(entries), regime, floor);
          const values = Object.values(weights);
          expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
          for (const w of values) expect(w).toBeGreaterThanOrEqual(floor - 1e-15);
        },
      ),
      { numRuns: 300, seed: 5 },
    );
  });

  it('has a prior for every strategy in every regime, within [0, 1]', () => {
    for (const strategy of STRATEGIES) {
      for (const regime of MARKET_REGIMES) {
        const prior = STRATEGY_REGIME_PRIORS[strategy][regime];
        expect(prior >= 0 && prior <= 1).toBe(true);
      }
    }
  });

  it.each([
    [
      'regime',
      () => strategyWeights(confidences, 'bubble'),
      "expects regime to be one of trending_up, trending_down, ranging, high_volatility, but got 'bubble'",
    ],
    [
      'confidences.scalping',
      () => strategyWeights({ scalping: 0.5 }, 'ranging'),
      /expects strategies among .*, but got 'scalping'/,
    ],
    [
      'confidences.momentum',
      () => strategyWeights({ momentum: 1.5 }, 'ranging'),
      'expects the confidence of momentum in [0, 1], but got 1.5',
    ],
    ['confidences.momentum', () => strategyWeights({ momentum: NaN }, 'ranging'), /but got NaN/],
    [
      'confidences',
      () => strategyWeights({}, 'ranging'),
      'expects confidences for at least one strategy, but got none',
    ],
    [
      'floor',
      () => strategyWeights(confidences, 'ranging', 0.4),
      'expects floor in [0, 1/3] for 3 strategies, but got 0.4',
    ],
  ])('refuses a bad %s', (field, call, message) => {
    expect(call).toThrow(InvalidInputError);
    expect(call).toThrow(message);
    try {
      call();
    } catch (error) {
      expect((error as InvalidInputError).details).toEqual({ field });
    }
  });
});
