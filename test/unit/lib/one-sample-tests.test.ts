/** binomialLowerTail and oneSampleTTestGreater against scipy 1.17 (binom.cdf, ttest_1samp(alternative='greater')). */
import { InvalidInputError } from '../../../src/lib/errors';
import { binomialLowerTail, oneSampleTTestGreater } from '../../../src/lib/stats/window-tests';

describe('binomialLowerTail', () => {
  it.each([
    [40, 100, 0.55, 0.0018201782006504153],
    [430, 1000, 0.6, 1.763217377505907e-27],
    [0, 10, 0.3, 0.028247524900000005],
    [5, 10, 0.5, 0.623046875],
  ])('P(X ≤ %i | n = %i, p = %f) as scipy', (successes, trials, probability, expected) => {
    const value = binomialLowerTail(successes, trials, probability);
    expect(Math.abs(value - expected)).toBeLessThanOrEqual(1e-8 * expected);
  });

  it('is 1 at the top of the range and at p = 0, 0 below the top at p = 1', () => {
    expect(binomialLowerTail(10, 10, 0.9)).toBe(1);
    expect(binomialLowerTail(3, 10, 0)).toBe(1);
    expect(binomialLowerTail(3, 10, 1)).toBe(0);
  });

  it('refuses counts outside [0, trials] and probabilities outside [0, 1]', () => {
    expect(() => binomialLowerTail(11, 10, 0.5)).toThrow(InvalidInputError);
    expect(() => binomialLowerTail(1.5, 10, 0.5)).toThrow('successes expects an integer in [0, 10], but got 1.5');
    expect(() => binomialLowerTail(1, 0, 0.5)).toThrow('trials expects a positive integer');
    expect(() => binomialLowerTail(1, 10, 1.2)).toThrow('probability expects a number in [0, 1], but got 1.2');
  });
});

describe('oneSampleTTestGreater', () => {
  const values = [0.3, 1.2, -0.4, 2.2, 0.9, 1.5, 0.1, 0.8];

  it.each([
    [0.5, 1.110664955031789, 0.15170066089839984],
    [1.5, -2.306765675835255, 0.9727771924510074],
  ])('against baseline %f matches scipy', (baseline, statistic, pValue) => {
    const result = oneSampleTTestGreater(values, baseline);
    expect(result.statistic).toBeCloseTo(statistic, 12);
    expect(result.pValue).toBeCloseTo(pValue, 9);
    expect(result.mean).toBeCloseTo(0.825, 14);
  });

  it('gives p = 0 for constant values above the baseline and p = 1 below it', () => {
    expect(oneSampleTTestGreater([2, 2, 2], 1).pValue).toBe(0);
    expect(oneSampleTTestGreater([2, 2, 2], 3).pValue).toBe(1);
  });

  it('refuses fewer than two values and non-finite input', () => {
    expect(() => oneSampleTTestGreater([1], 0)).toThrow('values expects at least 2 values, but got 1');
    expect(() => oneSampleTTestGreater([1, NaN], 0)).toThrow(InvalidInputError);
    expect(() => oneSampleTTestGreater([1, 2], Infinity)).toThrow('baseline expects a finite number');
  });
});
