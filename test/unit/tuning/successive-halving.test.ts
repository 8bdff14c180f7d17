/**
 * The rungs of tuning's successive halving (learning/tuning.service.ts): how many, each rung's budget,
 * and the fold sizes a tuning scheme must leave (refused naming `scheme.<field>`).
 */
import { InvalidInputError } from '../../../src/lib/errors';
import { rungBudget, rungCount, tuningFolds } from '../../../src/learning/tuning.service';

it('runs ⌈log2 trials⌉ rungs (at most 4, and no more than the budget can halve), one without a budget', () => {
  expect([2, 3, 4, 5, 8, 9, 16, 17, 100].map((trials) => rungCount(trials, 100))).toEqual([1, 2, 2, 3, 3, 4, 4, 4, 4]);
  expect(rungCount(8, null)).toBe(1);
  expect(rungCount(8, 1)).toBe(1);
  expect(rungCount(8, 2)).toBe(2);
  expect(rungCount(8, 3)).toBe(2);
});

it('doubles the budget from rung to rung up to the full budget', () => {
  expect([0, 1, 2].map((rung) => rungBudget(30, rung, 3))).toEqual([8, 15, 30]);
  expect([0, 1, 2, 3].map((rung) => rungBudget(100, rung, 4))).toEqual([13, 25, 50, 100]);
  expect(rungBudget(3, 0, 3)).toBe(1);
});

it('refuses a scheme whose folds are too small, naming the field under scheme', () => {
  expect(tuningFolds(1000, { kind: 'expanding', folds: 3, gap: 0, testFraction: 0.5 })).toHaveLength(3);
  const refusal = (() => {
    try {
      tuningFolds(100, { kind: 'expanding', folds: 50, gap: 0, testFraction: 0.5 });
    } catch (error) {
      return error;
    }
  })();
  expect(refusal).toBeInstanceOf(InvalidInputError);
  expect(refusal).toMatchObject({
    details: { field: 'scheme.folds' },
    message: expect.stringMatching(/^scheme\.folds expects folds of at least 2 test rows/),
  });
});
