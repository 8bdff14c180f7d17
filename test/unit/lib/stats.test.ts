import { jStat } from 'jstat';
import seedrandom from 'seedrandom';
import { InvalidInputError } from '../../../src/lib/errors';
import { kolmogorovSf, ksTwoSample, ksTwoSampleFromStatistic } from '../../../src/lib/stats/kolmogorov-smirnov';
import { dieboldMariano, pairedBootstrap } from '../../../src/lib/stats/loss-comparison';
import { benjaminiHochberg, bonferroni } from '../../../src/lib/stats/multiple-testing';
import { binProportions, linearQuantileSorted, psi, psiFromProportions, quantileEdges } from '../../../src/lib/stats/quantile-bins';
import { describeWithShared, readSharedJson } from '../../helpers/shared';

/**
 * p-values are compared relatively: |got − expected| ≤ 1e-6·expected. For p ≤ 1 that is at least as
 * strict as 1e-6 absolute, and it still means something for p-values like 1e-7 or 1e-67.
 */
function expectPValue(got: number, expected: number): void {
  expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-6 * expected);
}

function normalSample(random: () => number, n: number, shift = 0): number[] {
  return Array.from({ length: n }, () => jStat.normal.inv(random(), shift, 1));
}

interface KsPsiFixture {
  psi_definition: string;
  cases: {
    reference: number[];
    current: number[];
    ks_statistic: number;
    ks_pvalue: number;
    psi_10_quantile_bins: number;
  }[];
}

describeWithShared('psi and ks against scipy (fixtures/stats/ks_psi.json)', () => {
  const fixture = readSharedJson<KsPsiFixture>('fixtures', 'stats', 'ks_psi.json');

  it.each(fixture.cases.map((c, i) => [i, c] as const))('case %i: psi matches to 1e-9', (_i, c) => {
    expect(Math.abs(psi(c.reference, c.current) - c.psi_10_quantile_bins)).toBeLessThan(1e-9);
  });

  it.each(fixture.cases.map((c, i) => [i, c.reference.length, c.current.length, c] as const))(
    'case %i (%i vs %i values): KS statistic to 1e-12 and p-value to 1e-6 relative',
    (_i, _n1, _n2, c) => {
      const result = ksTwoSample(c.reference, c.current);
      expect(Math.abs(result.statistic - c.ks_statistic)).toBeLessThan(1e-12);
      expectPValue(result.pValue, c.ks_pvalue);
    },
  );
});

describe('quantile bins', () => {
  it('interpolates linearly between order statistics', () => {
    expect(linearQuantileSorted([1, 2, 4, 8], 0)).toBe(1);
    expect(linearQuantileSorted([1, 2, 4, 8], 1)).toBe(8);
    expect(linearQuantileSorted([1, 2, 4, 8], 0.5)).toBe(3);
    expect(linearQuantileSorted([5], 0.3)).toBe(5);
  });

  it('cuts into equal-count bins and puts a value on an edge into the upper bin', () => {
    expect(quantileEdges([0, 1, 2, 3, 4], 4)).toEqual([1, 2, 3]);
    expect(binProportions([0, 0.5, 1, 2, 2.5, 3, 9, 10], [1, 2, 3])).toEqual([0.25, 0.125, 0.25, 0.375]);
  });

  it('refuses bad bins and probabilities', () => {
    expect(() => quantileEdges([1, 2], 1)).toThrow('bins expects an integer of at least 2, but got 1');
    expect(() => linearQuantileSorted([1, 2], 1.5)).toThrow(InvalidInputError);
    expect(() => binProportions([], [0])).toThrow(InvalidInputError);
  });
});

describe('psi', () => {
  it('is 0 for identical bins and floors empty bins at 1e-4', () => {
    expect(psiFromProportions([0.5, 0.5], [0.5, 0.5])).toBe(0);
    // (1e-4 − 0.5)·ln(1e-4/0.5) + (1 − 0.5)·ln(1/0.5)
    const expected = (1e-4 - 0.5) * Math.log(1e-4 / 0.5) + 0.5 * Math.log(2);
    expect(psiFromProportions([0.5, 0.5], [0, 1])).toBeCloseTo(expected, 12);
  });

  it('is 0 for the reference itself and grows with the size of a shift', () => {
    const reference = Array.from({ length: 1000 }, (_, i) => i / 1000);
    expect(psi(reference, reference)).toBe(0);
    const small = psi(
      reference,
      reference.map((v) => v + 0.05),
    );
    const large = psi(
      reference,
      reference.map((v) => v + 0.3),
    );
    expect(small).toBeGreaterThan(0);
    expect(large).toBeGreaterThan(small);
  });

  it('refuses NaN and empty input, naming the argument', () => {
    expect(() => psi([1, 2, 3], [1, NaN])).toThrow('current expects finite numbers, but got NaN at index 1');
    expect(() => psi([], [1])).toThrow('reference expects at least one value, but got none');
    expect(() => psiFromProportions([0.5, 0.5], [1])).toThrow(InvalidInputError);
  });
});

describe('ksTwoSample', () => {
  it('is symmetric in its samples and 0/1 for identical samples', () => {
    const a = [0.1, 0.4, 0.4, 0.9, 1.3];
    const b = [0.2, 0.4, 1.1];
    expect(ksTwoSample(a, b)).toEqual(ksTwoSample(b, a));
    expect(ksTwoSample(a, a)).toEqual({ statistic: 0, pValue: 1 });
  });

  it('handles ties with right-continuous ECDFs', () => {
    // F_a jumps to 1 at 1, F_b is 1/2 at 1: the largest gap is 1/2, not 1 as a left-continuous count would say
    expect(ksTwoSample([1, 1], [1, 2]).statistic).toBe(0.5);
  });

  it('refuses empty samples and NaN, naming the argument', () => {
    expect(() => ksTwoSample([], [1])).toThrow('reference expects at least one value, but got none');
    expect(() => ksTwoSample([1], [2, NaN])).toThrow('current expects finite numbers, but got NaN at index 1');
    expect(() => ksTwoSampleFromStatistic(1.5, 3, 4)).toThrow('d expects a KS statistic in [0, 1], but got 1.5');
    expect(() => ksTwoSampleFromStatistic(0.5, 0, 4)).toThrow('n1 expects a positive integer, but got 0');
  });

  // Expected values: Debian's scipy 1.10.1 (/usr/bin/python3), private helper
  // scipy.stats._stats_py._attempt_exact_2kssamp(n1, n2, gcd(n1, n2), d, 'two-sided') for the exact rows
  // and scipy.stats.kstwo.sf(d, round(n1·n2/(n1 + n2))) for the asymptotic ones.
  it.each([
    [100, 100, 0.17, 0.17, 0.11119526053829192, 'exact, equal sizes'],
    [7, 3, 2 / 3, 2 / 3, 0.25, 'exact, tiny unequal sizes'],
    [2000, 10000, 0.03, 0.03, 0.09823479045835311, 'exact, the sizes of a stored sample against a large window'],
    [10000, 10000, 0.0123, 0.0123, 0.43585275359069964, 'exact at the largest size'],
    [12000, 15000, 0.05, 0.05, 6.335270935301516e-15, 'asymptotic, N = 6667'],
    [10001, 10001, 0.02, 0.02, 0.03613941395325637, 'asymptotic, N = round(5000.5) = 5000 (half to even)'],
  ])('%i vs %i at d = %f: %s', (n1, n2, d, statistic, pValue) => {
    const result = ksTwoSampleFromStatistic(d, n1, n2);
    expect(result.statistic).toBeCloseTo(statistic, 15);
    expectPValue(result.pValue, pValue);
  });

  it('falls back to the asymptotic p-value where the exact one rounds above 1, as scipy does', () => {
    // scipy 1.10.1: ks_2samp(np.arange(172.), np.arange(172.) + 0.5) warns "Exact calculation
    // unsuccessful" (the exact value is 1.0000000000000004) and returns (1/172, 1.0)
    const reference = Array.from({ length: 172 }, (_, i) => i);
    const result = ksTwoSample(
      reference,
      reference.map((v) => v + 0.5),
    );
    expect(result.statistic).toBe(1 / 172);
    expect(result.pValue).toBe(1);
  });
});

describe('kolmogorovSf (scipy.stats.kstwo.sf)', () => {
  // Expected: Debian's scipy 1.10.1, `stats.kstwo.sf(d, n)`, one (n, d) in each branch of `_kolmogn`.
  it.each([
    [10, 0.04, 1.0, 'n·d ≤ 0.5'],
    [10, 0.08, 0.9999978058034054, 'Ruben–Gambino, n ≤ 140'],
    [200, 0.004, 1.0, 'Ruben–Gambino, n > 140'],
    [10, 0.95, 1.9531250000000172e-13, 'Ruben–Gambino, n·d ≥ n − 1'],
    [10, 0.6, 0.0005681672000000003, 'd ≥ 0.5: 2 × Smirnov'],
    [50, 0.1, 0.6623112704658186, 'Durbin matrix, n ≤ 140'],
    [50, 0.2, 0.03143877776953241, 'Pomeranz'],
    [50, 0.35, 5.573523514803185e-6, '2 × Smirnov, n ≤ 140'],
    [10000, 0.2, 0.0, 'n·d² ≥ 370'],
    [1000, 0.06, 0.001428597887952891, '2 × Smirnov, n > 140'],
    [1000, 0.01, 0.9999496745370611, 'Durbin matrix, n > 140'],
    [1000, 0.03, 0.3226902143914636, 'Pelz–Good'],
    [200000, 0.002, 0.39995085369038097, 'Pelz–Good, n > 100000'],
    [2000000, 0.0015, 0.00024657290508461606, 'Smirnov asymptotic, n > 1e6'],
  ])('n = %i, d = %f (%s)', (n, d, expected) => {
    expectPValue(kolmogorovSf(n, d), expected);
  });

  it('is 1 at d ≤ 0 and 0 at d ≥ 1, and refuses a non-integer n', () => {
    expect(kolmogorovSf(5, 0)).toBe(1);
    expect(kolmogorovSf(5, 1)).toBe(0);
    expect(() => kolmogorovSf(2.5, 0.1)).toThrow('n expects a positive integer, but got 2.5');
  });
});

describe('multiple-testing corrections', () => {
  const pValues = [0.01, 0.04, 0.03, 0.005, 0.5, 0.2];

  it('adjusts by Benjamini–Hochberg in the input order', () => {
    // by hand: sorted p·m/rank = 0.03, 0.03, 0.06, 0.06, 0.24, 0.5, then running minima from the top;
    // scipy.stats.false_discovery_control(pValues) gives the same
    const expected = [0.03, 0.06, 0.06, 0.03, 0.5, 0.24];
    benjaminiHochberg(pValues).forEach((p, i) => expect(p).toBeCloseTo(expected[i], 15));
  });

  it('adjusts by Bonferroni, capped at 1', () => {
    const expected = [0.06, 0.24, 0.18, 0.03, 1, 1];
    bonferroni(pValues).forEach((p, i) => expect(p).toBeCloseTo(expected[i], 15));
  });

  it('returns nothing for nothing and refuses values outside [0, 1]', () => {
    expect(benjaminiHochberg([])).toEqual([]);
    expect(() => benjaminiHochberg([0.2, 1.2])).toThrow('pValues expects probabilities in [0, 1], but got 1.2 at index 1');
    expect(() => bonferroni([NaN])).toThrow(InvalidInputError);
  });
});

describe('KS across 64 features from one distribution', () => {
  const features = 64;
  /**
   * One drift check: 64 features of 500 reference and 500 current rows, all uniform on [0, 1) unless
   * shifted. Under the null the KS test is distribution-free, so uniform draws stand for any continuous
   * feature; equal sizes keep the exact p-values cheap (unequal sizes are checked against scipy above).
   */
  function featurePValues(seed: number, shift = 0): number[] {
    const random = seedrandom(`drift-check-${seed}`);
    const draw = (offset: number) => Array.from({ length: 500 }, () => random() + offset);
    return Array.from({ length: features }, () => ksTwoSample(draw(0), draw(shift)).pValue);
  }
  const alarms = (pValues: number[]) => pValues.some((p) => p <= 0.05);

  it('raises no alarm after Benjamini–Hochberg at 5%', () => {
    expect(alarms(benjaminiHochberg(featurePValues(1)))).toBe(false);
  });

  it('alarms in about 5% of checks with the correction and in almost every check without it', () => {
    // Under the null BH at 5% alarms with probability ≤ 5% per check; uncorrected, 1 − 0.95^64 ≈ 96%.
    // Over 40 checks: P(Binomial(40, 0.05) > 6) < 0.2%, P(Binomial(40, 0.96) < 30) < 1e-6.
    const checks = Array.from({ length: 40 }, (_, i) => featurePValues(100 + i));
    const corrected = checks.filter((p) => alarms(benjaminiHochberg(p))).length;
    const raw = checks.filter(alarms).length;
    expect(corrected).toBeLessThanOrEqual(6);
    expect(raw).toBeGreaterThanOrEqual(30);
  });

  it('still alarms when the current window has shifted', () => {
    expect(alarms(benjaminiHochberg(featurePValues(1, 0.15)))).toBe(true);
  });
});

describe('dieboldMariano', () => {
  // Expected values: numpy/scipy 1.10.1 with the textbook formulas (d = l1 − l2; γ_k = Σ(d_t − d̄)(d_{t−k} − d̄)/T;
  // V = (γ_0 + 2Σ_{k<h} γ_k)/T; DM = d̄/√V; HLN = DM·√((T + 1 − 2h + h(h − 1)/T)/T); p = 2·t.cdf(−|HLN|, T − 1))
  const loss1 = [1.2, 0.8, 1.5, 2.2, 1.9, 0.4, 0.3, 0.9, 1.4, 1.8, 1.1, 0.6, 0.2, 0.7, 1.3, 1.6];
  const loss2 = [1.0, 0.9, 1.1, 1.6, 1.7, 0.6, 0.5, 0.8, 1.0, 1.2, 1.0, 0.7, 0.4, 0.6, 1.1, 1.2];

  it.each([
    [1, 2.3086214074050386, 0.03562538131164654],
    [2, 1.6528027910627885, 0.1191428257325873],
    [3, 2.2016899980911337, 0.04375421104324616],
  ])('horizon %i', (horizon, statistic, pValue) => {
    const result = dieboldMariano(loss1, loss2, { horizon });
    expect(result.statistic).toBeCloseTo(statistic, 10);
    expect(result.pValue).toBeCloseTo(pValue, 8);
    expect(result.degreesOfFreedom).toBe(15);
    expect(result.meanDifference).toBeCloseTo(2.5 / 16, 12);
  });

  it('gives one-sided p-values in the direction of the alternative', () => {
    // scipy: t.cdf(2.3086214074050386, 15) = 0.9821873093441768
    expect(dieboldMariano(loss1, loss2, { alternative: 'less' }).pValue).toBeCloseTo(0.9821873093441768, 8);
    expect(dieboldMariano(loss1, loss2, { alternative: 'greater' }).pValue).toBeCloseTo(1 - 0.9821873093441768, 8);
  });

  it('is the paired t-test at horizon 1', () => {
    const d = loss1.map((l, i) => l - loss2[i]);
    const mean = d.reduce((s, x) => s + x, 0) / d.length;
    const sampleSd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (d.length - 1));
    expect(dieboldMariano(loss1, loss2).statistic).toBeCloseTo(mean / (sampleSd / Math.sqrt(d.length)), 12);
  });

  it('is 0 / 1 for identical losses and infinite / 0 for a constant non-zero difference', () => {
    expect(dieboldMariano(loss1, loss1)).toMatchObject({ statistic: 0, pValue: 1 });
    expect(dieboldMariano([1, 2, 3, 4], [2, 3, 4, 5])).toMatchObject({ statistic: -Infinity, pValue: 0 });
  });

  it('refuses a horizon whose long-run variance estimate is not positive, and bad input', () => {
    // for these squared errors numpy gives γ_0 + 2γ_1 < 0 at h = 2 (and a NaN statistic)
    const e1 = [0.5, -1.2, 0.3, 2.1, -0.7, 1.5, -0.2, 0.9, -1.8, 0.4, 1.1, -0.6];
    const e2 = [0.4, -0.9, 0.1, 1.7, -0.8, 1.0, -0.3, 0.5, -1.2, 0.2, 0.8, -0.5];
    const sq = (e: number[]) => e.map((x) => x * x);
    expect(() => dieboldMariano(sq(e1), sq(e2), { horizon: 2 })).toThrow(/use a smaller horizon/);
    expect(dieboldMariano(sq(e1), sq(e2)).statistic).toBeCloseTo(2.8959055715638153, 10);
    expect(() => dieboldMariano([1, 2], [1])).toThrow('loss2 expects as many losses as loss1 (2), but got 1');
    expect(() => dieboldMariano([1], [1])).toThrow('loss1 expects at least 2 paired losses, but got 1');
    expect(() => dieboldMariano(loss1, loss2, { horizon: 16 })).toThrow('horizon expects an integer in [1, 15], but got 16');
  });
});

describe('pairedBootstrap', () => {
  it('agrees with the paired t-test on a moderate sample', () => {
    const random = seedrandom('bootstrap-vs-t');
    const loss2 = normalSample(random, 120);
    const loss1 = loss2.map((l) => l + jStat.normal.inv(random(), 0.15, 1));
    const t = dieboldMariano(loss1, loss2);
    const boot = pairedBootstrap(loss1, loss2, { seed: 7 });
    expect(boot.meanDifference).toBeCloseTo(t.meanDifference, 12);
    expect(Math.abs(boot.pValue - t.pValue)).toBeLessThan(0.01);
    expect(boot.confidenceInterval[0]).toBeLessThan(boot.meanDifference);
    expect(boot.confidenceInterval[1]).toBeGreaterThan(boot.meanDifference);
    const oneSided = pairedBootstrap(loss1, loss2, { seed: 7, alternative: 'greater' });
    expect(Math.abs(oneSided.pValue - boot.pValue / 2)).toBeLessThan(0.01);
  });

  it('is reproducible from its seed', () => {
    const random = seedrandom('bootstrap-seed');
    const loss1 = normalSample(random, 30);
    const loss2 = normalSample(random, 30);
    expect(pairedBootstrap(loss1, loss2, { seed: 5 })).toEqual(pairedBootstrap(loss1, loss2, { seed: 5 }));
    expect(pairedBootstrap(loss1, loss2, { seed: 5 }).confidenceInterval).not.toEqual(
      pairedBootstrap(loss1, loss2, { seed: 6 }).confidenceInterval,
    );
  });

  it('gives p = 1 for no difference and the smallest p for a constant one', () => {
    expect(pairedBootstrap([1, 2, 3], [1, 2, 3], { resamples: 99 })).toEqual({
      meanDifference: 0,
      pValue: 1,
      confidenceInterval: [0, 0],
      resamples: 99,
    });
    const constant = pairedBootstrap([1, 2, 3], [2, 3, 4], { resamples: 99 });
    expect(constant.pValue).toBe(0.01);
    expect(constant.confidenceInterval).toEqual([-1, -1]);
  });

  it('refuses bad options', () => {
    expect(() => pairedBootstrap([1], [2], { resamples: 0 })).toThrow('resamples expects a positive integer, but got 0');
    expect(() => pairedBootstrap([1], [2], { confidenceLevel: 1 })).toThrow(InvalidInputError);
    expect(() => pairedBootstrap([], [])).toThrow('loss1 expects at least 1 paired losses, but got 0');
  });
});
