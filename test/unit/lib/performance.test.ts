import { InvalidInputError } from '../../../src/lib/errors';
import {
  expectedCalibrationError,
  hitRate,
  latencyPercentiles,
  longShortRatio,
  meanAbsoluteError,
  type PredictionOutcome,
  rollingWinRate,
  rootMeanSquaredError,
} from '../../../src/monitoring/performance';

const pairs = (rows: [number, number][]): PredictionOutcome[] => rows.map(([prediction, outcome]) => ({ prediction, outcome }));

describe('hitRate', () => {
  const rows = pairs([
    [0.02, 0.01], // long, up: hit
    [-0.01, 0.03], // short, up: miss
    [0.005, -0.02], // long, down: miss
    [-0.03, -0.04], // short, down: hit
    [0, 0.05], // flat: miss
    [0.01, 0], // outcome 0: not counted
  ]);

  it('counts sign agreement over the pairs whose outcome moved', () => {
    expect(hitRate(rows)).toBe(2 / 5);
    expect(hitRate(pairs([[1, 0]]))).toBeUndefined();
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
    expect(() => hitRate(pairs([[NaN, 1]]))).toThrow('pairs expects finite predictions and outcomes, but got (NaN, 1) at index 0');
    expect(() => meanAbsoluteError([])).toThrow(InvalidInputError);
    expect(() => longShortRatio([])).toThrow(InvalidInputError);
  });
});
