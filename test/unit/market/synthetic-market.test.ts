import { linearRegression, linearRegressionLine, mean, sampleCorrelation, standardDeviation } from 'simple-statistics';
import { validateBars } from '../../../src/lib/bars';
import { InvalidInputError } from '../../../src/lib/errors';
import { FEATURE_NAMES, WARMUP_BARS, computeFeatures } from '../../../src/market/features';
import { forwardReturns } from '../../../src/market/labels';
import { DEFAULT_SYNTHETIC_REGIMES, type SyntheticMarket, generateSyntheticMarket } from '../../../src/lib/synthetic-market';

const RET_5 = FEATURE_NAMES.indexOf('ret_5');
const ATR = FEATURE_NAMES.indexOf('atr_14');

/**
 * Per regime, pooled over symbols: (ret_5[t], next-bar return) pairs and atr_14 values, from the bars
 * whose feature windows lie inside the regime.
 */
function regimeSamples(market: SyntheticMarket) {
  return market.regimes.map((span, k) => {
    const x: number[] = [];
    const y: number[] = [];
    const atr: number[] = [];
    for (const symbol of market.symbols) {
      const bars = market.bars[symbol];
      const features = computeFeatures(bars);
      const next = forwardReturns(bars, 1);
      // skip the warm-up, and bars whose 20-bar windows reach back into the previous regime
      const from = Math.max(WARMUP_BARS, span.startIndex + (k === 0 ? 0 : 20));
      for (let t = from; t < span.endIndex - 1; t++) {
        x.push(features.values[t * FEATURE_NAMES.length + RET_5]);
        y.push(next[t]);
        atr.push(features.values[t * FEATURE_NAMES.length + ATR]);
      }
    }
    return { name: span.name, x, y, atr };
  });
}

describe('generateSyntheticMarket', () => {
  it('is reproducible by seed and differs between seeds', () => {
    const a = generateSyntheticMarket({ seed: 42 });
    expect(generateSyntheticMarket({ seed: 42 })).toEqual(a);
    expect(generateSyntheticMarket({ seed: 43 }).bars.SYN_A[10].close).not.toBe(a.bars.SYN_A[10].close);
  });

  it('produces valid, aligned series and exports contiguous regime spans', () => {
    const market = generateSyntheticMarket({
      seed: 'spans',
      symbols: ['X', 'Y'],
      timeframe: '1h',
      start: Date.UTC(2021, 0, 1),
    });
    const total = DEFAULT_SYNTHETIC_REGIMES.reduce((sum, r) => sum + r.bars, 0);
    expect(market.regimes).toEqual([
      {
        name: 'TRENDING',
        startIndex: 0,
        endIndex: 500,
        startTime: Date.UTC(2021, 0, 1),
        endTime: Date.UTC(2021, 0, 1) + 500 * 3_600_000,
      },
      {
        name: 'VOLATILE',
        startIndex: 500,
        endIndex: total,
        startTime: Date.UTC(2021, 0, 1) + 500 * 3_600_000,
        endTime: Date.UTC(2021, 0, 1) + total * 3_600_000,
      },
    ]);
    for (const symbol of market.symbols) {
      const bars = market.bars[symbol];
      expect(bars).toHaveLength(total);
      expect(validateBars(bars)).toBe(bars);
      expect(bars.map((b) => b.timestamp)).toEqual(market.bars.X.map((b) => b.timestamp));
      expect(bars.every((b) => b.symbol === symbol && b.timeframe === '1h')).toBe(true);
    }
  });

  it.each([1, 2, 3, 4, 5])('shows the regime change for seed %i: predictability flips sign and volatility rises', (seed) => {
    const [trend, volatile] = regimeSamples(generateSyntheticMarket({ seed }));
    expect(sampleCorrelation(trend.x, trend.y)).toBeGreaterThan(0.15);
    expect(sampleCorrelation(volatile.x, volatile.y)).toBeLessThan(-0.15);
    expect(standardDeviation(volatile.y) / standardDeviation(trend.y)).toBeGreaterThan(1.8);
    // drift in the feature distribution: the normalised ATR roughly doubles
    expect(mean(volatile.atr) / mean(trend.atr)).toBeGreaterThan(1.6);
  });

  it('lets a model fitted in the first regime call direction well there and badly after the change', () => {
    const [trend, volatile] = regimeSamples(generateSyntheticMarket({ seed: 'model' }));
    const split = Math.floor(trend.x.length * 0.7);
    const model = linearRegressionLine(linearRegression(trend.x.slice(0, split).map((x, i) => [x, trend.y[i]])));
    const hitRate = (x: number[], y: number[]) => x.filter((xi, i) => Math.sign(model(xi)) === Math.sign(y[i])).length / x.length;
    expect(hitRate(trend.x.slice(split), trend.y.slice(split))).toBeGreaterThan(0.56);
    expect(hitRate(volatile.x, volatile.y)).toBeLessThan(0.45);
  });

  it.each([
    ['regimes[0].name', { regimes: [{ ...DEFAULT_SYNTHETIC_REGIMES[0], name: 'SIDEWAYS' as 'RANGING' }] }],
    ['regimes[1].momentum', { regimes: [DEFAULT_SYNTHETIC_REGIMES[0], { ...DEFAULT_SYNTHETIC_REGIMES[1], momentum: 0.3 }] }],
    ['regimes', { regimes: [] }],
    ['marketCorrelation', { marketCorrelation: 1 }],
    ['symbols', { symbols: ['A', 'A'] }],
  ])('refuses a bad %s', (field, options) => {
    expect(() => generateSyntheticMarket({ seed: 1, ...options })).toThrow(InvalidInputError);
    expect(() => generateSyntheticMarket({ seed: 1, ...options })).toThrow(field);
  });
});
