import { jStat } from 'jstat';
import seedrandom from 'seedrandom';
import { InvalidInputError } from '../../../src/lib/errors';
import {
  defaultMeanBlockLength,
  gather,
  stationaryBootstrap,
  stationaryBootstrapBy,
  stationaryBootstrapIndices,
} from '../../../src/lib/stats/block-bootstrap';
import { pairedBootstrap } from '../../../src/lib/stats/loss-comparison';
import { sharpeRatio, signStrategy } from '../../../src/lib/trading-metrics';

/** The plain left-to-right mean, summed in the same order as lib/stats/loss-comparison's bootstrap. */
const plainMean = (sample: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < sample.length; i++) s += sample[i];
  return s / sample.length;
};

function normalSample(random: () => number, n: number, mean = 0): number[] {
  return Array.from({ length: n }, () => jStat.normal.inv(random(), mean, 1));
}

/** x_t = φ·x_{t−1} + ε_t, ε standard normal, started from its stationary distribution. */
function ar1(random: () => number, n: number, phi: number): number[] {
  const values = [jStat.normal.inv(random(), 0, 1 / Math.sqrt(1 - phi * phi))];
  for (let t = 1; t < n; t++) values.push(phi * values[t - 1] + jStat.normal.inv(random(), 0, 1));
  return values;
}

const width = ({ low, high }: { low: number | null; high: number | null }) => high! - low!;

describe('stationaryBootstrapIndices', () => {
  it('runs on in blocks of geometric length with the mean asked for, wrapping from the last row to the first', () => {
    const n = 50;
    let steps = 0;
    let continued = 0;
    let wrapped = 0;
    for (const indices of stationaryBootstrapIndices(n, { resamples: 400, meanBlockLength: 10, seed: 'blocks' })) {
      expect(indices).toHaveLength(n);
      for (let t = 1; t < n; t++) {
        steps++;
        if (indices[t] === (indices[t - 1] + 1) % n) continued++;
        if (indices[t - 1] === n - 1 && indices[t] === 0) wrapped++;
      }
    }
    // a row continues its block with probability 1 − 1/10, plus the 1/n chance that a new block starts at the next row
    const expected = 0.9 + 0.1 / n;
    expect(Math.abs(continued / steps - expected)).toBeLessThan(0.01);
    expect(wrapped).toBeGreaterThan(0);
  });

  it('gives the same resamples for the same seed and others for another', () => {
    const take = (seed: string) => Array.from(stationaryBootstrapIndices(30, { resamples: 3, seed }), (indices) => Array.from(indices));
    expect(take('a')).toEqual(take('a'));
    expect(take('a')).not.toEqual(take('b'));
  });

  it('has a default mean block length of n^(1/3) rounded, at least 1', () => {
    expect(defaultMeanBlockLength(1)).toBe(1);
    expect(defaultMeanBlockLength(2)).toBe(1);
    expect(defaultMeanBlockLength(100)).toBe(5); // 4.64
    expect(defaultMeanBlockLength(1_000_000)).toBe(100);
  });
});

describe('stationaryBootstrap', () => {
  const random = seedrandom('iid');
  const values = normalSample(random, 120, 0.3);

  it('gives the same interval for the same seed', () => {
    const a = stationaryBootstrap(values, plainMean, { resamples: 300, seed: 's1' });
    expect(stationaryBootstrap(values, plainMean, { resamples: 300, seed: 's1' })).toEqual(a);
    expect(stationaryBootstrap(values, plainMean, { resamples: 300, seed: 's2' })).not.toEqual(a);
    expect(a).toMatchObject({ estimate: plainMean(values), resamples: 300, dropped: 0, meanBlockLength: 5, confidence: 0.95 });
    expect(a.low!).toBeLessThan(a.estimate!);
    expect(a.high!).toBeGreaterThan(a.estimate!);
  });

  it('with a mean block length of 1 is the iid bootstrap: the same interval as the paired bootstrap of lib/stats/loss-comparison', () => {
    const block = stationaryBootstrap(values, plainMean, { resamples: 500, meanBlockLength: 1, seed: '7', confidence: 0.9 });
    const iid = pairedBootstrap(
      values,
      values.map(() => 0),
      { resamples: 500, seed: 7, confidenceLevel: 0.9 },
    );
    expect([block.low, block.high]).toEqual(iid.confidenceInterval);
  });

  it('covers the true mean of iid normal data about 95 % of the time', () => {
    const runs = 200;
    let covered = 0;
    for (let run = 0; run < runs; run++) {
      const sample = normalSample(seedrandom(`coverage-${run}`), 100, 1);
      const { low, high } = stationaryBootstrap(sample, plainMean, { resamples: 400, seed: `resample-${run}` });
      if (low! <= 1 && 1 <= high!) covered++;
    }
    // an interval that ignored the data (always or never covering) or a much too narrow one would fall outside
    expect(covered / runs).toBeGreaterThanOrEqual(0.85);
    expect(covered / runs).toBeLessThanOrEqual(0.99);
  });

  it('gives an autocorrelated series a wider interval than resampling single rows does', () => {
    // AR(1), φ = 0.8: the variance of the mean is (1 + φ)/(1 − φ) = 9 times the iid one, so the right interval is about 3× wider
    const series = ar1(seedrandom('ar1'), 500, 0.8);
    const iid = stationaryBootstrap(series, plainMean, { resamples: 1000, meanBlockLength: 1, seed: 'ar' });
    const blocks = stationaryBootstrap(series, plainMean, { resamples: 1000, seed: 'ar' });
    expect(blocks.meanBlockLength).toBe(8);
    expect(width(blocks)).toBeGreaterThan(1.5 * width(iid));
  });

  it('drops and counts the resamples whose statistic is not finite', () => {
    // the mean of 1/x is infinite once a resample holds the 0 row only; the estimate itself is
    const withZero = [0, 1, 2, 3];
    const inverseMean = (sample: Float64Array) => plainMean(sample.map((x) => 1 / x));
    const result = stationaryBootstrap(withZero, inverseMean, { resamples: 200, meanBlockLength: 1, seed: 'zero' });
    expect(result.estimate).toBeNull();
    expect(result.dropped).toBeGreaterThan(0);
    expect(result.resamples + result.dropped).toBe(200);
    expect(result.low).toBeGreaterThan(0);
    expect(stationaryBootstrap([1, 2], () => NaN, { resamples: 10 })).toMatchObject({ low: null, high: null, resamples: 0, dropped: 10 });
  });

  it('refuses no values, non-finite values and bad settings with the field named', () => {
    const refusal = (run: () => unknown, field: string) => {
      expect(run).toThrow(InvalidInputError);
      try {
        run();
      } catch (error) {
        expect((error as InvalidInputError).details).toEqual({ field });
      }
    };
    expect(() => stationaryBootstrap([], plainMean)).toThrow('values expects at least one row to resample, but got 0');
    refusal(() => stationaryBootstrap([1, NaN], plainMean), 'values');
    refusal(() => stationaryBootstrap([1, 2], plainMean, { resamples: 0 }), 'resamples');
    refusal(() => stationaryBootstrap([1, 2], plainMean, { resamples: 1.5 }), 'resamples');
    refusal(() => stationaryBootstrap([1, 2], plainMean, { meanBlockLength: 0.5 }), 'meanBlockLength');
    refusal(() => stationaryBootstrap([1, 2], plainMean, { meanBlockLength: NaN }), 'meanBlockLength');
    refusal(() => stationaryBootstrap([1, 2], plainMean, { confidence: 1 }), 'confidence');
    expect(() => stationaryBootstrap([1, 2], plainMean, { confidence: 0 })).toThrow('confidence expects a number in (0, 1), but got 0');
  });
});

describe('stationaryBootstrapBy', () => {
  it('resamples aligned arrays by the same blocks: the Sharpe ratio of a sign strategy over resampled pairs', () => {
    const random = seedrandom('pairs');
    const labels = normalSample(random, 200).map((z) => 0.01 * z);
    const predictions = labels.map((label) => label + 0.02 * (random() - 0.5));
    const options = { resamples: 300, seed: 'paired' };
    const byPairs = stationaryBootstrapBy(
      labels.length,
      (indices) => sharpeRatio(signStrategy(gather(predictions, indices), gather(labels, indices)).returns),
      options,
    );
    // the strategy's return is row by row, so resampling the pairs is resampling its returns with the same indices
    const returns = signStrategy(predictions, labels).returns;
    expect(byPairs).toEqual(stationaryBootstrap(returns, (sample) => sharpeRatio(sample), options));
    expect(byPairs.estimate).toBe(sharpeRatio(returns));
  });
});
