import seedrandom from 'seedrandom';
import { sampleHyperparameters } from '../../../src/plugins/base/search-space';
import type { SearchSpace } from '../../../src/plugins/contract';

interface Params {
  depth: number;
  rate: number;
  share: number;
  booster: string;
}

const space: SearchSpace<Params> = {
  depth: { type: 'int', min: 2, max: 10 },
  rate: { type: 'float', min: 0.01, max: 0.3, log: true },
  share: { type: 'float', min: 0.5, max: 1 },
  booster: { type: 'choice', values: ['gbtree', 'dart'] },
};

describe('sampleHyperparameters', () => {
  const draws = (seed: string, n: number) => {
    const random = seedrandom(seed);
    return Array.from({ length: n }, () => sampleHyperparameters(space, random) as Params);
  };

  it('keeps every draw within its bounds, integers whole, choices among the values', () => {
    for (const draw of draws('bounds', 2000)) {
      expect(Number.isInteger(draw.depth) && draw.depth >= 2 && draw.depth <= 10).toBe(true);
      expect(draw.rate >= 0.01 && draw.rate <= 0.3).toBe(true);
      expect(draw.share >= 0.5 && draw.share <= 1).toBe(true);
      expect(['gbtree', 'dart']).toContain(draw.booster);
    }
  });

  it('reaches both ends of an integer range and every choice', () => {
    const all = draws('coverage', 2000);
    expect(new Set(all.map((draw) => draw.depth))).toEqual(new Set([2, 3, 4, 5, 6, 7, 8, 9, 10]));
    expect(new Set(all.map((draw) => draw.booster))).toEqual(new Set(['gbtree', 'dart']));
  });

  it('samples a log range evenly per decade: the median of 0.01…0.3 is near their geometric mean', () => {
    const rates = draws('log', 4000)
      .map((draw) => draw.rate)
      .sort((a, b) => a - b);
    const median = rates[rates.length / 2];
    expect(median).toBeGreaterThan(Math.sqrt(0.01 * 0.3) * 0.85);
    expect(median).toBeLessThan(Math.sqrt(0.01 * 0.3) * 1.15); // uniform sampling would put it near 0.155
  });

  it('repeats a search from the same seed, and not from another', () => {
    expect(draws('seed-1', 5)).toEqual(draws('seed-1', 5));
    expect(draws('seed-1', 5)).not.toEqual(draws('seed-2', 5));
  });
});
