import { InvalidInputError } from '../../../src/lib/errors';
import { binProportions, linearQuantileSorted, psi, psiFromProportions, quantileEdges } from '../../../src/lib/stats';
import { describeWithShared, readSharedJson } from '../../helpers/shared';

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
    const small = psi(reference, reference.map((v) => v + 0.05));
    const large = psi(reference, reference.map((v) => v + 0.3));
    expect(small).toBeGreaterThan(0);
    expect(large).toBeGreaterThan(small);
  });

  it('refuses NaN and empty input, naming the argument', () => {
    expect(() => psi([1, 2, 3], [1, NaN])).toThrow('current expects finite numbers, but got NaN at index 1');
    expect(() => psi([], [1])).toThrow('reference expects at least one value, but got none');
    expect(() => psiFromProportions([0.5, 0.5], [1])).toThrow(InvalidInputError);
  });
});
