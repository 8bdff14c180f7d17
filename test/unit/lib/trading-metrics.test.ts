import { InvalidInputError } from '../../../src/lib/errors';
import { maxDrawdown, meanReturn, sharpeRatio, signStrategy, tradingMetrics } from '../../../src/lib/trading-metrics';

describe('signStrategy', () => {
  it('trades the sign of the prediction and earns position · label', () => {
    const predictions = [0.02, -0.01, 0.005, -0.03, 0, 0.01];
    const labels = [0.01, 0.03, -0.02, -0.04, 0.05, 0];
    const { returns, positions } = signStrategy(predictions, labels);
    expect(Array.from(positions)).toEqual([1, -1, 1, -1, 0, 1]);
    // long up +0.01, short up −0.03, long down −0.02, short down +0.04, flat 0, long on no move 0
    expect(Array.from(returns)).toEqual([0.01, -0.03, -0.02, 0.04, 0, 0]);
    expect(meanReturn(returns)).toBeCloseTo(0, 15);
  });

  it('stays flat while |prediction| is at most the threshold', () => {
    const { returns, positions } = signStrategy([0.2, -0.1, 0.05, -0.3], [0.01, 0.02, 0.03, -0.04], { threshold: 0.1 });
    expect(Array.from(positions)).toEqual([1, 0, 0, -1]);
    expect(Array.from(returns)).toEqual([0.01, 0, 0, 0.04]);
  });

  it('takes a binary classifier as p − 0.5', () => {
    const probabilities = [0.7, 0.4, 0.5];
    const { positions } = signStrategy(
      probabilities.map((p) => p - 0.5),
      [0.01, 0.01, 0.01],
    );
    expect(Array.from(positions)).toEqual([1, -1, 0]);
  });

  it('refuses unaligned or non-finite input and a negative threshold', () => {
    expect(() => signStrategy([1, 2], [0.1])).toThrow('labels expects one value per prediction (2), but got 1');
    expect(() => signStrategy([NaN], [0.1])).toThrow('predictions expects finite numbers, but got NaN at index 0');
    expect(() => signStrategy([1], [Infinity])).toThrow('labels expects finite numbers, but got Infinity at index 0');
    expect(() => signStrategy([1], [0.1], { threshold: -1 })).toThrow('threshold expects a finite number of at least 0, but got -1');
  });
});

describe('sharpeRatio', () => {
  it('is mean over sample standard deviation, annualised by √252 unless told otherwise', () => {
    const returns = [0.01, -0.02, 0.03, 0];
    // mean 0.005; squared deviations 2.5e-5 + 6.25e-4 + 6.25e-4 + 2.5e-5 = 1.3e-3, over n − 1 = 3
    const perTrade = 0.005 / Math.sqrt(1.3e-3 / 3);
    expect(sharpeRatio(returns)).toBeCloseTo(perTrade * Math.sqrt(252), 12);
    expect(sharpeRatio(returns, 1)).toBeCloseTo(perTrade, 12);
  });

  it('is 0 for returns that do not vary and needs two returns', () => {
    expect(sharpeRatio([0.01, 0.01, 0.01])).toBe(0);
    expect(() => sharpeRatio([0.01])).toThrow('returns expects at least 2 values, but got 1');
  });
});

describe('maxDrawdown', () => {
  it('is the largest fall from a peak of the compounded equity, as a fraction', () => {
    // equity 1.1, 0.88, 0.924, 1.2012, 0.6006: falls of 20 % from 1.1, then 50 % from 1.2012
    expect(maxDrawdown([0.1, -0.2, 0.05, 0.3, -0.5])).toBeCloseTo(0.5, 12);
    expect(maxDrawdown([0.1, -0.2])).toBeCloseTo(0.2, 12);
  });

  it('counts a loss on the first trade from the starting equity, and is 0 with no fall or no trades', () => {
    expect(maxDrawdown([-0.1, 0.5])).toBeCloseTo(0.1, 12);
    expect(maxDrawdown([0.1, 0.2])).toBe(0);
    expect(maxDrawdown([])).toBe(0);
    expect(maxDrawdown([-1])).toBe(1);
  });

  it('refuses returns below −1 and non-finite values', () => {
    expect(() => maxDrawdown([0.1, -1.5])).toThrow('returns expects simple returns of at least −1, but got -1.5 at index 1');
    expect(() => maxDrawdown([NaN])).toThrow(InvalidInputError);
  });
});

describe('tradingMetrics by hand', () => {
  // sorted: −0.02, −0.01, 0, 0.02, 0.03
  const returns = [0.02, -0.01, 0, 0.03, -0.02];
  const metrics = tradingMetrics(returns, { positions: [1, -1, 0, 1, -1], periodsPerYear: 1 });

  it('compounds the total and annual return and takes the mean', () => {
    // 1.02 · 0.99 · 1 · 1.03 · 0.98 = 1.01929212; with one period a year, 5 periods are 5 years
    expect(metrics.periods).toBe(5);
    expect(metrics.totalReturn).toBeCloseTo(0.01929212, 14);
    expect(metrics.annualReturn).toBeCloseTo(1.01929212 ** (1 / 5) - 1, 14);
    expect(metrics.meanReturn).toBeCloseTo(0.004, 15);
  });

  it('gives Sharpe (sample std) and Sortino (downside deviation over every period)', () => {
    // deviations from 0.004: 0.016, −0.014, −0.004, 0.026, −0.024; squares sum 1.72e-3, over n − 1 = 4
    expect(metrics.sharpe).toBeCloseTo(0.004 / Math.sqrt(1.72e-3 / 4), 12);
    // downside deviation √((0.01² + 0.02²) / 5) = 0.01
    expect(metrics.sortino).toBeCloseTo(0.4, 12);
  });

  it('gives the drawdown, Calmar, profit factor and hit rate', () => {
    // equity 1.02, 1.0098, 1.0098, 1.040094 (peak), 1.01929212: the fall from the last peak is 2 %
    expect(metrics.maxDrawdown).toBeCloseTo(0.02, 14);
    expect(metrics.calmar).toBeCloseTo((1.01929212 ** (1 / 5) - 1) / 0.02, 12);
    expect(metrics.profitFactor).toBeCloseTo(0.05 / 0.03, 14);
    // 2 wins among the 4 periods that moved
    expect(metrics.hitRate).toBe(0.5);
  });

  it('gives historical VaR and expected shortfall at the linearly interpolated quantile', () => {
    // 5 %: position 0.05 · 4 = 0.2 → −0.02 + 0.2 · 0.01 = −0.018; only −0.02 lies at or below it
    expect(metrics.var95).toBeCloseTo(0.018, 15);
    expect(metrics.es95).toBeCloseTo(0.02, 15);
    // 1 %: position 0.04 → −0.0196
    expect(metrics.var99).toBeCloseTo(0.0196, 15);
    expect(metrics.es99).toBeCloseTo(0.02, 15);
  });

  it('gives the turnover from flat before the first period', () => {
    // |1 − 0| + |−1 − 1| + |0 + 1| + |1 − 0| + |−1 − 1| = 7 over 5 periods
    expect(metrics.turnover).toBeCloseTo(1.4, 15);
    expect(tradingMetrics(returns).turnover).toBeNull();
  });

  it('interpolates VaR as numpy.percentile does on empyrical’s own VaR example', () => {
    // empyrical's test_value_at_risk series [1, 81, 82, 83, 84, 85]: 5 % is position 0.25 → 1 + 0.25 · 80 = 21
    expect(tradingMetrics([0.01, 0.81, 0.82, 0.83, 0.84, 0.85]).var95).toBeCloseTo(-0.21, 14);
  });
});

describe('tradingMetrics against empyrical', () => {
  /**
   * The series and expected figures of empyrical 0.5.5's test suite (empyrical/tests/test_stats.py:
   * test_sharpe_ratio, test_sortino, test_calmar, test_max_drawdown), asserted there to 8 decimals.
   * Its `mixed_returns` starts with a NaN, which empyrical's nan-means skip (sharpe, sortino) and its
   * compounding reads as a return of 0 still counted as a period (calmar); here the NaN is dropped for
   * the former and read as 0 for the latter — which is its `weekly_returns` series, checked at 252, 52
   * and 12 periods a year.
   */
  const weekly = [0, 1, 10, -4, 2, 3, 2, 1, -10].map((r) => r / 100);
  const mixed = [1, 10, -4, 2, 3, 2, 1, -10].map((r) => r / 100);
  const positive = [1, 2, 1, 1, 1, 1, 1, 1, 1].map((r) => r / 100);
  const negative = [0, -6, -7, -1, -9, -2, -6, -8, -5].map((r) => r / 100);
  const places = 8;

  it('matches its Sharpe ratios', () => {
    expect(tradingMetrics(mixed).sharpe).toBeCloseTo(1.7238613961706866, places);
    expect(tradingMetrics(positive).sharpe).toBeCloseTo(52.915026221291804, places);
    expect(tradingMetrics(negative).sharpe).toBeCloseTo(-24.406808633910085, places);
  });

  it('matches its Sortino ratios, with null where empyrical gives Infinity (no losing period)', () => {
    expect(tradingMetrics(mixed).sortino).toBeCloseTo(2.605531251673693, places);
    expect(tradingMetrics(negative).sortino).toBeCloseTo(-13.532743075043401, places);
    expect(tradingMetrics(weekly, { periodsPerYear: 52 }).sortino).toBeCloseTo(1.1158901056866439, places);
    expect(tradingMetrics(weekly, { periodsPerYear: 12 }).sortino).toBeCloseTo(0.53605626741889756, places);
    expect(tradingMetrics(positive).sortino).toBeNull();
  });

  it('matches its maximum drawdowns and Calmar ratios, with null where empyrical gives NaN (no drawdown)', () => {
    expect(tradingMetrics(weekly).maxDrawdown).toBeCloseTo(0.1, places);
    // all negative: the drawdown is the whole loss, −cum_returns_final
    expect(tradingMetrics(negative).maxDrawdown).toBeCloseTo(-tradingMetrics(negative).totalReturn, 14);
    expect(tradingMetrics([0.1, -0.1, 0.1]).maxDrawdown).toBeCloseTo(0.1, places);
    expect(tradingMetrics(weekly).calmar).toBeCloseTo(19.135925373194233, places);
    expect(tradingMetrics(weekly).annualReturn).toBeCloseTo(1.9135925373194231, places);
    expect(tradingMetrics(weekly, { periodsPerYear: 52 }).calmar).toBeCloseTo(2.4690830513998208, places);
    expect(tradingMetrics(weekly, { periodsPerYear: 12 }).calmar).toBeCloseTo(0.52242061386048144, places);
    expect(tradingMetrics(positive).calmar).toBeNull();
    expect(tradingMetrics(positive).maxDrawdown).toBe(0);
  });
});

describe('tradingMetrics against numpy on 40 returns', () => {
  /**
   * 40 returns of numpy's default_rng(2024).normal(0.001, 0.02, 40) rounded to 4 decimals; the
   * expected figures are empyrical's definitions (stats.py sharpe_ratio, sortino_ratio, max_drawdown,
   * calmar_ratio, value_at_risk, conditional_value_at_risk) transcribed into numpy 2.4 with
   * Debian's python3, printed with repr.
   */
  const returns = [
    0.0216, 0.0338, 0.0239, -0.0185, -0.0269, 0.0023, 0.0182, 0.0112, 0.0372, 0.016, 0.0138, -0.0136, -0.0212, 0.0307, 0.002, 0.0172,
    -0.0265, -0.0077, -0.0248, -0.0145, 0.0191, -0.0286, -0.0097, 0.0043, -0.0124, -0.004, -0.0034, 0.0094, -0.0076, 0.0064, 0.0021, 0.0095,
    0.0055, 0.0342, -0.0123, 0.025, -0.0071, -0.0182, 0.0252, -0.0078,
  ];
  const metrics = tradingMetrics(returns);

  it.each([
    ['sharpe', 2.210478111787652],
    ['sortino', 3.6728002728432068],
    ['maxDrawdown', 0.10394284209346744],
    ['annualReturn', 0.8416979905736519],
    ['calmar', 8.097700367061165],
    ['totalReturn', 0.10178831204368977],
    ['var95', 0.02652],
    ['var99', 0.027937],
    ['es95', 0.02775],
    ['es99', 0.0286],
    ['profitFactor', 1.3919939577039278],
    ['hitRate', 0.55],
  ] as const)('%s is %p', (name, expected) => {
    expect(metrics[name]).toBeCloseTo(expected, 10);
  });
});

describe('tradingMetrics where a ratio is undefined', () => {
  it('has no Sharpe or Sortino for one period, and a Sharpe of 0 for returns that do not vary', () => {
    expect(tradingMetrics([0.01])).toMatchObject({ periods: 1, sharpe: null, sortino: null, var95: -0.01, es99: -0.01 });
    expect(tradingMetrics([0.01, 0.01]).sharpe).toBe(0);
  });

  it('has no hit rate, profit factor, Sortino or Calmar when nothing moved', () => {
    expect(tradingMetrics([0, 0, 0])).toMatchObject({
      totalReturn: 0,
      sharpe: 0,
      sortino: null,
      maxDrawdown: 0,
      calmar: null,
      profitFactor: null,
      hitRate: null,
      var95: 0,
      es95: 0,
    });
  });

  it('gives a profit factor of 0 when nothing gained', () => {
    expect(tradingMetrics([-0.01, 0, -0.02]).profitFactor).toBe(0);
  });

  it('refuses no returns, non-finite values, a bad year and unaligned positions', () => {
    expect(() => tradingMetrics([])).toThrow('returns expects at least 1 value, but got 0');
    expect(() => tradingMetrics([0.1, NaN])).toThrow('returns expects finite numbers, but got NaN at index 1');
    expect(() => tradingMetrics([0.1, -1.5])).toThrow('returns expects simple returns of at least −1, but got -1.5 at index 1');
    expect(() => tradingMetrics([0.1], { periodsPerYear: 0 })).toThrow('periodsPerYear expects a positive number, but got 0');
    expect(() => tradingMetrics([0.1, 0.2], { positions: [1] })).toThrow('positions expects one value per return (2), but got 1');
    expect(() => tradingMetrics([0.1], { positions: [NaN] })).toThrow(InvalidInputError);
  });
});
