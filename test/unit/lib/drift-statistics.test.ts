import seedrandom from 'seedrandom';
import {
  effectiveRho,
  effectiveSampleSize,
  featureQuality,
  lag1Autocorrelation,
  MAX_AUTOCORRELATION,
  meanAboveBaseline,
  presentInOrder,
  subsampleEffectiveSize,
  twoProportionGreater,
} from '../../../src/monitoring/drift-statistics';
import { InvalidInputError } from '../../../src/lib/errors';
import { studentTPValue } from '../../../src/lib/stats/student-t';
import { oneSampleTTestGreater } from '../../../src/lib/stats/window-tests';

const { sqrt, log, cos, PI } = Math;

/** A stationary AR(1) series of unit variance: x_t = ρ x_{t−1} + √(1 − ρ²) e_t. */
function ar1(seed: string, n: number, rho: number): Float64Array {
  const random = seedrandom.alea(seed);
  const normal = () => sqrt(-2 * log(1 - random())) * cos(2 * PI * random());
  const out = new Float64Array(n);
  let x = normal();
  for (let i = 0; i < n; i++) {
    x = rho * x + sqrt(1 - rho * rho) * normal();
    out[i] = x;
  }
  return out;
}

describe('lag1Autocorrelation (statsmodels acf(x)[1])', () => {
  it('matches hand-computed values', () => {
    // mean 3, deviations −2 −1 0 1 2: Σ d_t d_{t+1} = 2 + 0 + 0 + 2 = 4 over Σ d² = 10
    expect(lag1Autocorrelation([1, 2, 3, 4, 5])).toBeCloseTo(0.4, 15);
    // mean 0: three products of −1 over 4
    expect(lag1Autocorrelation([1, -1, 1, -1])).toBeCloseTo(-0.75, 15);
    expect(lag1Autocorrelation([2, 2, 2, 2])).toBeNull();
    expect(lag1Autocorrelation([1, 2])).toBeNull();
  });

  it('recovers ρ of an AR(1) series', () => {
    expect(lag1Autocorrelation(ar1('a', 20_000, 0.9))).toBeCloseTo(0.9, 2);
    expect(lag1Autocorrelation(ar1('b', 20_000, 0.5))).toBeCloseTo(0.5, 1);
  });
});

describe('effectiveSampleSize', () => {
  it('gives n (1 − ρ)/(1 + ρ) for an AR(1) series with known ρ', () => {
    for (const rho of [0.5, 0.9]) {
      const n = 20_000;
      const result = effectiveSampleSize(ar1(`e${rho}`, n, rho));
      const expected = (n * (1 - rho)) / (1 + rho); // 6,667 and 1,053
      expect(result.effective / expected).toBeGreaterThan(0.93);
      expect(result.effective / expected).toBeLessThan(1.07);
      expect(result.effective).toBeCloseTo((n * (1 - result.rho)) / (1 + result.rho), 9);
    }
  });

  it('keeps n for independent rows, inside Bartlett’s band ±1.96/√n', () => {
    const white = effectiveSampleSize(ar1('w', 2000, 0));
    expect(Math.abs(white.autocorrelation!)).toBeLessThan(1.96 / sqrt(2000));
    expect(white).toMatchObject({ n: 2000, rho: 0, effective: 2000 });
    expect(effectiveRho(0.03, 2000)).toBe(0); // band 0.0438
    expect(effectiveRho(0.03, 10_000)).toBe(0.03); // band 0.0196
    expect(effectiveRho(-0.5, 10_000)).toBe(0); // negative autocorrelation does not raise n
    expect(effectiveRho(0.9999, 10_000)).toBe(MAX_AUTOCORRELATION);
    expect(effectiveRho(null, 10_000)).toBe(0);
  });
});

describe('subsampleEffectiveSize', () => {
  it('is m for independent rows, N_eff for the whole series, between for a subsample', () => {
    expect(subsampleEffectiveSize(1000, 1_000_000, 0)).toBeCloseTo(1000, 9);
    // the whole series of 2,000 rows with ρ = 0.9: 2000 · 0.1/1.9
    expect(subsampleEffectiveSize(2000, 2000, 0.9)).toBeCloseTo(2000 / 19, 9);
    // 1/2000 − 1/5000 + 3/5000 = 0.0009
    expect(subsampleEffectiveSize(2000, 5000, 0.5)).toBeCloseTo(1 / 0.0009, 9);
    expect(() => subsampleEffectiveSize(10, 5, 0)).toThrow(InvalidInputError);
    expect(() => subsampleEffectiveSize(10, 50, 1)).toThrow(InvalidInputError);
  });
});

describe('twoProportionGreater', () => {
  it('matches the pooled one-sided z-test computed by hand', () => {
    // p1 = 0.3, p0 = 0.2, pooled 0.25: z = 0.1/√(0.25 · 0.75 · 0.02) = 1.63299, 1 − Φ(z) = 0.0512352
    expect(twoProportionGreater(30, 100, 20, 100)).toBeCloseTo(0.05123521742987475, 6);
    // 0.2 against 0.1, pooled 0.15: z = 1.98030, p = 0.0238352
    expect(twoProportionGreater(20, 100, 10, 100)).toBeCloseTo(0.02383519032808072, 6);
  });

  it('is 1 when the share did not rise, or nothing is missing anywhere', () => {
    expect(twoProportionGreater(10, 100, 20, 100)).toBe(1);
    expect(twoProportionGreater(0, 100, 0, 1000)).toBe(1);
    expect(twoProportionGreater(100, 100, 1000, 1000)).toBe(1);
    expect(twoProportionGreater(50, 50, 0, 1000)).toBeLessThan(1e-12);
    expect(() => twoProportionGreater(5, 4, 0, 10)).toThrow(InvalidInputError);
  });
});

describe('featureQuality', () => {
  const summary = { count: 100, missingFraction: 0.1, std: 1, sample: [0, 1, 2, 3] };

  it('measures the missing share, the out-of-range share and a constant window', () => {
    const quality = featureQuality(summary, [NaN, 0.5, 5, -1, 2]);
    expect(quality).toMatchObject({
      rows: 5,
      missingShare: 0.2,
      referenceMissingShare: 0.1,
      allMissing: false,
      constant: false,
      outOfRangeShare: 0.5, // 5 and −1 of 4 present values
    });
    expect(quality.missingPValue).toBeCloseTo(twoProportionGreater(1, 5, 10, 100), 15);
    expect(featureQuality(summary, [1.5, NaN, 1.5, 1.5])).toMatchObject({ constant: true, outOfRangeShare: 0 });
    expect(featureQuality({ ...summary, std: 0 }, [1.5, 1.5])).toMatchObject({ constant: false });
    expect(featureQuality(summary, [NaN, NaN])).toMatchObject({ allMissing: true, missingShare: 1, constant: false, outOfRangeShare: 0 });
  });

  it('takes a missing training share of 0 when the summary has none', () => {
    const quality = featureQuality({ count: 100, std: 1, sample: [0, 1] }, [NaN, 1]);
    expect(quality.referenceMissingShare).toBe(0);
    expect(quality.missingPValue).toBeLessThan(0.001);
  });

  it('keeps the values’ order when dropping the missing ones', () => {
    expect(Array.from(presentInOrder([3, NaN, 1, 2, NaN]))).toEqual([3, 1, 2]);
  });
});

describe('meanAboveBaseline', () => {
  const values = [1, 2, 3, 4, 5]; // mean 3, s² = 2.5

  it('is Student’s one-sample test with independent rows and an exact baseline', () => {
    const result = meanAboveBaseline(values, 2, 0, null);
    const student = oneSampleTTestGreater(values, 2);
    expect(result.statistic).toBeCloseTo(Math.SQRT2, 12); // 1/√(2.5/5)
    expect(result.pValue).toBeCloseTo(student.pValue, 12);
    expect(result).toMatchObject({ mean: 3, effective: 5 });
  });

  it('counts autocorrelated values at n (1 − ρ)/(1 + ρ) and adds the baseline mean’s variance', () => {
    // ρ = 0.5: n_eff = 5 · 0.5/1.5 = 5/3, se = √(2.5 · 3/5) = √1.5, dof max(1, 2/3) = 1
    const correlated = meanAboveBaseline(values, 2, 0.5, null);
    expect(correlated.effective).toBeCloseTo(5 / 3, 12);
    expect(correlated.statistic).toBeCloseTo(1 / Math.sqrt(1.5), 12);
    expect(correlated.pValue).toBeCloseTo(studentTPValue(1 / Math.sqrt(1.5), 1, 'greater'), 12);
    // 10 baseline rows: se = √(2.5/5 + 2.5/10) = √0.75, dof 4
    const estimated = meanAboveBaseline(values, 2, 0, 10);
    expect(estimated.statistic).toBeCloseTo(1 / Math.sqrt(0.75), 12);
    expect(estimated.pValue).toBeCloseTo(studentTPValue(1 / Math.sqrt(0.75), 4, 'greater'), 12);
    expect(estimated.pValue).toBeGreaterThan(meanAboveBaseline(values, 2, 0, null).pValue);
    expect(meanAboveBaseline([2, 2, 2], 1, 0, null)).toMatchObject({ statistic: Infinity, pValue: 0 });
    expect(() => meanAboveBaseline([1], 0, 0, null)).toThrow(InvalidInputError);
  });
});
