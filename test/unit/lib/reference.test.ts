import { InvalidInputError } from '../../../src/lib/errors';
import { DEFAULT_SAMPLE_SIZE, measureDrift, summarizeDistribution, summarizeReference } from '../../../src/lib/reference';
import { ksTwoSample } from '../../../src/lib/stats/kolmogorov-smirnov';
import { binProportions, psi, quantileEdges } from '../../../src/lib/stats/quantile-bins';
import { describeWithShared, readSharedJson } from '../../helpers/shared';

/** 0, 1, …, 100: every decile and every stored quantile is a whole value. */
const zeroToHundred = Array.from({ length: 101 }, (_, i) => i);

describe('summarizeDistribution', () => {
  it('stores the deciles, their bin shares and the quantiles of the values', () => {
    const s = summarizeDistribution('x', zeroToHundred);
    expect(s.name).toBe('x');
    expect(s.count).toBe(101);
    expect(s.missingFraction).toBe(0);
    expect(s.mean).toBe(50);
    // sample variance of 0..100 = 101·102/12 = 858.5
    expect(s.std).toBeCloseTo(Math.sqrt(858.5), 12);
    expect(s.edges).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    // (−∞,10) holds 0..9, each [10k, 10k+10) ten values, [90, ∞) holds 90..100 (an edge value goes up)
    expect(s.proportions).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 11].map((c) => c / 101));
    expect(s.quantiles).toEqual([1, 5, 25, 50, 75, 95, 99]);
    expect(s.sample).toEqual(zeroToHundred);
  });

  it('interpolates edges between order statistics as numpy.quantile does', () => {
    // n = 4: decile i sits at position 3i/10, e.g. 0.3 → 1 + 0.3·(2 − 1) = 1.3 for the values 1, 2, 4, 8
    const s = summarizeDistribution('x', [8, 1, 4, 2]);
    expect(s.edges[0]).toBeCloseTo(1.3, 12);
    expect(s.edges[4]).toBeCloseTo(3, 12); // position 1.5: 2 + 0.5·(4 − 2)
    expect(s.edges[8]).toBeCloseTo(6.8, 12); // position 2.7: 4 + 0.7·(8 − 4)
  });

  it('counts NaN as missing and leaves it out of everything else', () => {
    const s = summarizeDistribution('x', [NaN, 1, 2, NaN, 3, 4]);
    expect(s.count).toBe(6);
    expect(s.missingFraction).toBeCloseTo(2 / 6, 15);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(s.sample).toEqual([1, 2, 3, 4]);
    expect(s.edges).toEqual(quantileEdges([1, 2, 3, 4], 10));
    expect(s.proportions).toEqual(binProportions([1, 2, 3, 4], s.edges));
  });

  it('keeps count and missingFraction when every value is missing', () => {
    expect(summarizeDistribution('x', new Float32Array([NaN, NaN]))).toEqual({
      name: 'x',
      count: 2,
      missingFraction: 1,
      mean: 0,
      std: 0,
      edges: [],
      proportions: [],
      quantiles: [],
      sample: [],
    });
  });

  it('stores a bounded, seeded sample drawn without replacement', () => {
    const values = Float64Array.from({ length: 100_000 }, (_, i) => i / 7);
    const a = summarizeDistribution('x', values, { seed: 3 });
    expect(a.sample).toHaveLength(DEFAULT_SAMPLE_SIZE);
    expect(new Set(a.sample).size).toBe(DEFAULT_SAMPLE_SIZE);
    expect(a.sample.every((v, i) => i === 0 || a.sample[i - 1] < v)).toBe(true);
    const drawnFrom = new Set(values);
    expect(a.sample.every((v) => drawnFrom.has(v))).toBe(true);
    expect(summarizeDistribution('x', values, { seed: 3 }).sample).toEqual(a.sample);
    expect(summarizeDistribution('x', values, { seed: 4 }).sample).not.toEqual(a.sample);
    expect(summarizeDistribution('x', values, { seed: 3, sampleSize: 50 }).sample).toHaveLength(50);
    // a uniform sample of 2,000 from 0..14285.6: its mean is within a few standard errors of the truth
    const sampleMean = a.sample.reduce((s, v) => s + v, 0) / a.sample.length;
    expect(Math.abs(sampleMean - a.mean)).toBeLessThan(4 * (a.std / Math.sqrt(DEFAULT_SAMPLE_SIZE)));
  });

  it('refuses infinities, empty input and a bad sample size, naming the field', () => {
    expect(() => summarizeDistribution('rsi_14', [1, Infinity])).toThrow(
      new InvalidInputError('rsi_14 expects finite numbers or NaN (missing), but got Infinity at index 1'),
    );
    expect(() => summarizeDistribution('rsi_14', [])).toThrow(InvalidInputError);
    expect(() => summarizeDistribution('x', [1], { sampleSize: 0 })).toThrow(/sampleSize expects a positive integer/);
  });
});

describe('summarizeReference', () => {
  it('summarizes each column of a row-major matrix, and the validation predictions and outcomes', () => {
    const features = new Float32Array([1, 10, 2, NaN, 3, 30]); // rows: (1,10) (2,NaN) (3,30)
    const ref = summarizeReference({ featureNames: ['a', 'b'], features, rows: 3 }, { predictions: [0.5, 0.25], outcomes: [1, 0] });
    expect(ref.rows).toBe(3);
    expect(ref.features.map((f) => [f.name, f.mean, f.missingFraction])).toEqual([
      ['a', 2, 0],
      ['b', 20, 1 / 3],
    ]);
    expect(ref.predictions?.name).toBe('prediction');
    expect(ref.predictions?.sample).toEqual([0.25, 0.5]);
    expect(ref.outcomes?.mean).toBe(0.5);
  });

  it('leaves predictions and outcomes out when not given', () => {
    const ref = summarizeReference({ featureNames: ['a'], features: new Float32Array([1, 2]), rows: 2 });
    expect(ref).not.toHaveProperty('predictions');
    expect(ref).not.toHaveProperty('outcomes');
  });

  it('refuses a matrix whose size does not match rows × features', () => {
    expect(() => summarizeReference({ featureNames: ['a', 'b'], features: new Float32Array(5), rows: 3 })).toThrow(
      'features expects rows × featureNames.length = 3 × 2 = 6 values, but got 5',
    );
  });
});

describe('measureDrift', () => {
  it('compares against the stored sample and bins, leaving NaN out of both', () => {
    const reference = Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 3);
    const summary = summarizeDistribution('x', reference, { seed: 1 });
    const current = [NaN, ...Array.from({ length: 300 }, (_, i) => Math.cos(i) * 3 + 0.5), NaN];
    const present = current.filter((v) => !Number.isNaN(v));
    const drift = measureDrift(summary, current);
    expect(drift.name).toBe('x');
    expect(drift.count).toBe(300);
    expect(drift.missingFraction).toBeCloseTo(2 / 302, 15);
    expect(drift.ks).toEqual(ksTwoSample(summary.sample, present));
    expect(drift.psi).toBeCloseTo(psi(reference, present), 12);
  });

  it('refuses a summary or a window with no non-missing values', () => {
    const empty = summarizeDistribution('x', [NaN]);
    expect(() => measureDrift(empty, [1])).toThrow(
      'summary expects non-missing reference values for x, but every reference value was missing',
    );
    expect(() => measureDrift(summarizeDistribution('x', [1, 2]), [NaN, NaN])).toThrow(
      'current expects at least one non-missing value of x, but got 2 missing',
    );
  });
});

describeWithShared('measureDrift against the scipy/numpy fixture (fixtures/stats/ks_psi.json)', () => {
  const { cases } = readSharedJson<{
    cases: { reference: number[]; current: number[]; ks_statistic: number; ks_pvalue: number; psi_10_quantile_bins: number }[];
  }>('fixtures', 'stats', 'ks_psi.json');

  const numbered = cases.map((c, i) => [i, c.reference.length, c] as const);

  it.each(numbered)('case %i (%i reference values): the stored bins give the PSI of the full reference', (_i, _n, c) => {
    const drift = measureDrift(summarizeDistribution('x', c.reference), c.current);
    expect(Math.abs(drift.psi - c.psi_10_quantile_bins)).toBeLessThan(1e-9);
  });

  it.each(numbered.filter(([, n]) => n <= DEFAULT_SAMPLE_SIZE))(
    'case %i (%i reference values, all kept in the sample): KS as scipy gives it',
    (_i, _n, c) => {
      const { ks } = measureDrift(summarizeDistribution('x', c.reference), c.current);
      expect(Math.abs(ks.statistic - c.ks_statistic)).toBeLessThan(1e-12);
      expect(Math.abs(ks.pValue - c.ks_pvalue)).toBeLessThanOrEqual(1e-6 * c.ks_pvalue);
    },
  );
});
