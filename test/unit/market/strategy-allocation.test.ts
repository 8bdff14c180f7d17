import fc from 'fast-check';
import { InvalidInputError } from '../../../src/lib/errors';
import { MARKET_REGIMES, STRATEGIES } from '../../../src/lib/market-vocabulary';
import { STRATEGY_REGIME_PRIORS, strategyWeights } from '../../../src/trading/strategy-allocation';
import { DEFAULT_SYNTHETIC_REGIMES } from '../../../src/lib/synthetic-market';
import { metaStrategyAgent } from '../../../src/plugins/rl/meta-strategy';
import { positionSizingAgent } from '../../../src/plugins/rl/position-sizing';

const confidences = { trend_follow: 0.8, mean_reversion: 0.5, defensive: 0.2 };

describe('strategyWeights', () => {
  it('weights prior × confidence, normalised, with the floor (hand-computed, TRENDING)', () => {
    // scores 0.9·0.8 = 0.72, 0.2·0.5 = 0.10, 0.2·0.2 = 0.04 (total 0.86); weight = 0.05 + 0.85 · share
    const result = strategyWeights(confidences, 'TRENDING');
    expect(result.weights.trend_follow).toBeCloseTo(0.05 + (0.85 * 0.72) / 0.86, 12);
    expect(result.weights.mean_reversion).toBeCloseTo(0.05 + (0.85 * 0.1) / 0.86, 12);
    expect(result.weights.defensive).toBeCloseTo(0.05 + (0.85 * 0.04) / 0.86, 12);
    expect(result.weights.trend_follow).toBeCloseTo(0.761628, 6);
    expect(result.reasons[0]).toMatchObject({ strategy: 'trend_follow', prior: 0.9, confidence: 0.8 });
    expect(result.reasons[0].score).toBeCloseTo(0.72, 12);
    expect(result.reasons[0].explanation).toBe(
      'trend_follow: prior 0.9 in TRENDING × confidence 0.8 = 0.72, 0.8372 of the total; weight 0.7616 with the 0.05 floor',
    );
  });

  it('moves weight to defensive and mean reversion when the regime turns volatile', () => {
    // scores 0.4·0.8 = 0.32, 0.5·0.5 = 0.25, 0.9·0.2 = 0.18 (total 0.75)
    const { weights } = strategyWeights(confidences, 'VOLATILE');
    expect(weights.trend_follow).toBeCloseTo(0.05 + (0.85 * 0.32) / 0.75, 12);
    expect(weights.mean_reversion).toBeCloseTo(0.05 + (0.85 * 0.25) / 0.75, 12);
    expect(weights.defensive).toBeCloseTo(0.05 + (0.85 * 0.18) / 0.75, 12);
  });

  it('splits equally when every confidence is 0, and gives a lone strategy everything', () => {
    const zero = strategyWeights({ range_bound: 0, breakout: 0 }, 'RANGING');
    expect(zero.weights).toEqual({ range_bound: 0.5, breakout: 0.5 });
    expect(zero.reasons[0].explanation).toMatch(/every score is 0, so an equal share 0.5/);
    expect(strategyWeights({ breakout: 1 }, 'RANGING').weights).toEqual({ breakout: 1 });
    expect(strategyWeights({ breakout: 1, range_bound: 0 }, 'RANGING', 0).weights).toEqual({ breakout: 1, range_bound: 0 });
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
      "expects regime to be one of TRENDING, RANGING, CHOPPY, VOLATILE, but got 'bubble'",
    ],
    ['confidences.scalping', () => strategyWeights({ scalping: 0.5 }, 'RANGING'), /expects strategies among .*, but got 'scalping'/],
    [
      'confidences.breakout',
      () => strategyWeights({ breakout: 1.5 }, 'RANGING'),
      'expects the confidence of breakout in [0, 1], but got 1.5',
    ],
    ['confidences.breakout', () => strategyWeights({ breakout: NaN }, 'RANGING'), /but got NaN/],
    ['confidences', () => strategyWeights({}, 'RANGING'), 'expects confidences for at least one strategy, but got none'],
    ['floor', () => strategyWeights(confidences, 'RANGING', 0.4), 'expects floor in [0, 1/3] for 3 strategies, but got 0.4'],
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

describe('one vocabulary of regimes and strategies', () => {
  it('is the one the RL agents and the synthetic market use', () => {
    expect(metaStrategyAgent.actions).toBe(STRATEGIES);
    for (const agent of [metaStrategyAgent, positionSizingAgent]) {
      expect(agent.stateSpace.find((dimension) => dimension.name === 'regime')?.values).toBe(MARKET_REGIMES);
    }
    for (const regime of DEFAULT_SYNTHETIC_REGIMES) expect(MARKET_REGIMES).toContain(regime.name);
  });
});
