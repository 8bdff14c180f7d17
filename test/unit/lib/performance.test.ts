import { InvalidInputError } from '../../../src/lib/errors';
import {
  expectedCalibrationError,
  hitRate,
  latencyPercentiles,
  longShortRatio,
  maxDrawdown,
  meanAbsoluteError,
  meanReturn,
  type PredictionOutcome,
  rollingWinRate,
  rootMeanSquaredError,
  sharpeRatio,
  tradeReturns,
} from '../../../src/monitoring/performance';

const pairs = (rows: [number, number][]): PredictionOutcome[] => rows.map(([prediction, outcome]) => ({ prediction, outcome }));

describe('direction and trade returns', () => {
  const rows = pairs([
    [0.02, 0.01], // long, up: hit, +0.01
    [-0.01, 0.03], // short, up: miss, −0.03
    [0.005, -0.02], // long, down: miss, −0.02
    [-0.03, -0.04], // short, down: hit, +0.04
    [0, 0.05], // flat: miss, 0
    [0.01, 0], // outcome 0: not counted for the hit rate, trade earns 0
  ]);

  it('counts sign agreement over the pairs whose outcome moved', () => {
    expect(hitRate(rows)).toBe(2 / 5);
    expect(hitRate(pairs([[1, 0]]))).toBeUndefined();
  });

  it('trades the sign of the prediction', () => {
    expect(tradeReturns(rows)).toEqual([0.01, -0.03, -0.02, 0.04, 0, 0]);
    expect(meanReturn(tradeReturns(rows))).toBeCloseTo(0, 15);
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

describe('errors of the predicted value', () => {
  const rows = pairs([
    [1, 2],
    [3, 1],
    [0, 0],
    [-2, 2],
  ]);

  it('gives MAE and RMSE', () => {
    expect(meanAbsoluteError(rows)).toBe((1 + 2 + 0 + 4) / 4);
    expect(rootMeanSquaredError(rows)).toBeCloseTo(Math.sqrt((1 + 4 + 0 + 16) / 4), 15);
  });
});

describe('expectedCalibrationError', () => {
  it('weighs each equal-width bin’s gap between accuracy and confidence by its share', () => {
    const rows = pairs([
      [0.1, 0],
      [0.15, 0],
      [0.8, 1],
      [0.9, 0],
      [0.95, 1],
    ]);
    // bin [0.1, 0.2): 2/5·|0 − 0.125| = 0.05; bin [0.8, 0.9): 1/5·|1 − 0.8| = 0.04; bin [0.9, 1]: 2/5·|0.5 − 0.925| = 0.17
    expect(expectedCalibrationError(rows)).toBeCloseTo(0.26, 12);
    // one bin holds everything: |2/5 − mean probability 0.58|
    expect(expectedCalibrationError(rows, 1)).toBeCloseTo(0.18, 12);
  });

  it('is 0 when confidence matches the frequency, with p = 1 in the last bin', () => {
    expect(
      expectedCalibrationError(
        pairs([
          [1, 1],
          [0, 0],
          [0.5, 1],
          [0.5, 0],
        ]),
      ),
    ).toBe(0);
  });

  it('refuses probabilities outside [0, 1], outcomes other than 0/1 and bad bins', () => {
    expect(() => expectedCalibrationError(pairs([[1.2, 1]]))).toThrow(
      'pairs expects probabilities in [0, 1] with 0/1 outcomes, but got (1.2, 1) at index 0',
    );
    expect(() => expectedCalibrationError(pairs([[0.5, 0.3]]))).toThrow(InvalidInputError);
    expect(() => expectedCalibrationError(pairs([[0.5, 1]]), 0)).toThrow('bins expects a positive integer, but got 0');
  });
});

describe('longShortRatio', () => {
  it('counts long, short and flat predictions', () => {
    expect(longShortRatio([0.5, -0.2, 0, 0.1])).toEqual({ long: 2, short: 1, flat: 1, ratio: 2 });
  });

  it('has no ratio without shorts', () => {
    expect(longShortRatio([0.5, 0])).toEqual({ long: 1, short: 0, flat: 1, ratio: null });
  });
});

describe('latencyPercentiles', () => {
  it('takes the nearest rank, so each percentile is an observed latency', () => {
    const oneToHundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(latencyPercentiles(oneToHundred)).toEqual({ p50: 50, p95: 95, p99: 99 });
    // n = 3: ranks ⌈1.5⌉ = 2, ⌈2.85⌉ = 3, ⌈2.97⌉ = 3
    expect(latencyPercentiles([5, 1, 3])).toEqual({ p50: 3, p95: 5, p99: 5 });
    // n = 20: p95 is rank 19 exactly, not the next one up
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(latencyPercentiles(twenty).p95).toBe(19);
    expect(latencyPercentiles([7])).toEqual({ p50: 7, p95: 7, p99: 7 });
  });

  it('refuses no latencies and negative ones', () => {
    expect(() => latencyPercentiles([])).toThrow('latencies expects at least 1 value, but got 0');
    expect(() => latencyPercentiles([3, -1])).toThrow('latencies expects non-negative durations, but got -1');
  });
});

describe('rollingWinRate', () => {
  it('gives the share of winning trades in each trailing window', () => {
    expect(rollingWinRate([0.1, -0.1, 0, 0.2, 0.3], 2)).toEqual([0.5, 0, 0.5, 1]);
    expect(rollingWinRate([0.1, -0.1, 0, 0.2, 0.3], 5)).toEqual([0.6]);
  });

  it('is empty until a whole window has traded, and refuses a bad window', () => {
    expect(rollingWinRate([0.1], 3)).toEqual([]);
    expect(() => rollingWinRate([0.1], 0)).toThrow('window expects a positive integer, but got 0');
  });
});

describe('empty and non-finite input', () => {
  it('is refused with the field named, never answered with NaN', () => {
    expect(() => hitRate([])).toThrow('pairs expects at least one prediction with its outcome, but got none');
    expect(() => tradeReturns(pairs([[NaN, 1]]))).toThrow('pairs expects finite predictions and outcomes, but got (NaN, 1) at index 0');
    expect(() => meanReturn([])).toThrow('returns expects at least 1 value, but got 0');
    expect(() => meanAbsoluteError([])).toThrow(InvalidInputError);
    expect(() => longShortRatio([])).toThrow(InvalidInputError);
  });
});
