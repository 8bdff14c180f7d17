import { InvalidInputError } from '../../../src/lib/errors';
import { type ValidationScheme, validationFolds, validationSchemeSchema } from '../../../src/lib/validation-folds';

/** The refusal `run` throws: an InvalidInputError naming `field`, with `message` in it. */
function expectRefusal(run: () => unknown, field: string, message: string): void {
  let error: unknown;
  try {
    run();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(InvalidInputError);
  expect((error as InvalidInputError).details).toEqual({ field });
  expect((error as InvalidInputError).message).toContain(message);
}

describe('holdout', () => {
  it('tests on the last testFraction of the rows and trains on the rest', () => {
    expect(validationFolds(10, { kind: 'holdout', testFraction: 0.3 })).toEqual([{ fold: 1, train: [[0, 7]], test: [7, 10] }]);
    // 0.25 · 10 = 2.5 rounds to 3 test rows
    expect(validationFolds(10, { kind: 'holdout', testFraction: 0.25 })).toEqual([{ fold: 1, train: [[0, 7]], test: [7, 10] }]);
  });

  it('refuses a fraction out of (0, 1) and a split below the minimum rows', () => {
    expectRefusal(
      () => validationFolds(10, { kind: 'holdout', testFraction: 1 }),
      'testFraction',
      'expects a fraction in (0, 1), but got 1',
    );
    expectRefusal(
      () => validationFolds(10, { kind: 'holdout', testFraction: 0.01 }),
      'testFraction',
      'expects a test of at least 1 row, but 0.01 of 10 rows gives 0; raise testFraction or use more rows',
    );
    expectRefusal(
      () => validationFolds(100, { kind: 'holdout', testFraction: 0.5 }, { train: 60 }),
      'testFraction',
      'expects to leave at least 60 training rows, but 0.5 of 100 rows leaves 50; lower testFraction or use more rows',
    );
  });
});

describe('expanding walk-forward', () => {
  it('cuts the last testFraction into consecutive test blocks, each trained on every row before it but the gap', () => {
    // 20 rows, the last 10 in 3 blocks of 4, 3, 3; a gap of 2 before each
    expect(validationFolds(20, { kind: 'expanding', folds: 3, gap: 2 })).toEqual([
      { fold: 1, train: [[0, 8]], test: [10, 14] },
      { fold: 2, train: [[0, 12]], test: [14, 17] },
      { fold: 3, train: [[0, 15]], test: [17, 20] },
    ]);
    expect(validationFolds(12, { kind: 'expanding', folds: 2, gap: 0, testFraction: 0.25 })).toEqual([
      { fold: 1, train: [[0, 9]], test: [9, 11] },
      { fold: 2, train: [[0, 11]], test: [11, 12] },
    ]);
  });

  it('refuses fewer than two folds, folds too small, a gap that leaves no train, and a rolling window', () => {
    expectRefusal(
      () => validationFolds(20, { kind: 'expanding', folds: 1, gap: 0 }),
      'folds',
      'expects an integer in [2, 100] (folds to compare), but got 1',
    );
    expectRefusal(
      () => validationFolds(240, { kind: 'expanding', folds: 5, gap: 0 }, { test: 50 }),
      'folds',
      'expects folds of at least 50 test rows, but 5 folds over the 120 test rows (0.5 of 240) give 24; use fewer folds, a larger testFraction or more rows',
    );
    expectRefusal(
      () => validationFolds(20, { kind: 'expanding', folds: 2, gap: 10 }),
      'gap',
      'expects to leave at least 1 training row before the first test block, but the 10 rows before it less a gap of 10 leave 0; use a smaller gap, or use more rows',
    );
    expectRefusal(
      () => validationFolds(20, { kind: 'expanding', folds: 2, gap: 0, testFraction: 0.9 }, { train: 5 }),
      'testFraction',
      'but the 2 rows before it less a gap of 0 leave 2; lower testFraction or gap, or use more rows',
    );
    expectRefusal(
      () => validationFolds(20, { kind: 'expanding', folds: 2, gap: -1 }),
      'gap',
      'expects an integer of at least 0, but got -1',
    );
    expectRefusal(() => validationFolds(20, { kind: 'expanding', folds: 2, gap: 0, trainRows: 5 }), 'trainRows', 'expects no value');
  });
});

describe('rolling walk-forward', () => {
  it('trains each fold on the same number of rows, by default the first fold’s', () => {
    expect(validationFolds(20, { kind: 'rolling', folds: 3, gap: 2 })).toEqual([
      { fold: 1, train: [[0, 8]], test: [10, 14] },
      { fold: 2, train: [[4, 12]], test: [14, 17] },
      { fold: 3, train: [[7, 15]], test: [17, 20] },
    ]);
  });

  it('takes a shorter window, and refuses one longer than the rows before the first test block', () => {
    expect(validationFolds(20, { kind: 'rolling', folds: 2, gap: 1, trainRows: 4 })).toEqual([
      { fold: 1, train: [[5, 9]], test: [10, 15] },
      { fold: 2, train: [[10, 14]], test: [15, 20] },
    ]);
    expectRefusal(
      () => validationFolds(20, { kind: 'rolling', folds: 2, gap: 1, trainRows: 10 }),
      'trainRows',
      'expects at most 9 rows (those before the first test block, less the gap), but got 10; use a smaller trainRows or testFraction',
    );
    expectRefusal(
      () => validationFolds(20, { kind: 'rolling', folds: 2, gap: 0, trainRows: 3 }, { train: 4 }),
      'trainRows',
      'expects at least 4 training rows, but got 3',
    );
  });
});

describe('purged k-fold', () => {
  it('tests on each block in turn and trains on the rest but the purge before it and the embargo after it', () => {
    // 10 rows in 3 blocks of 4, 3, 3
    expect(validationFolds(10, { kind: 'purged_kfold', folds: 3, purge: 1, embargo: 2 })).toEqual([
      { fold: 1, train: [[6, 10]], test: [0, 4] },
      {
        fold: 2,
        train: [
          [0, 3],
          [9, 10],
        ],
        test: [4, 7],
      },
      { fold: 3, train: [[0, 6]], test: [7, 10] },
    ]);
    expect(validationFolds(6, { kind: 'purged_kfold', folds: 2, purge: 0, embargo: 0 })).toEqual([
      { fold: 1, train: [[3, 6]], test: [0, 3] },
      { fold: 2, train: [[0, 3]], test: [3, 6] },
    ]);
  });

  it('drops a train range the purge or embargo empties', () => {
    // 12 rows in 3 blocks of 4; a purge of 4 empties the rows before the second block, an embargo of 1 those after the third
    expect(validationFolds(12, { kind: 'purged_kfold', folds: 3, purge: 4, embargo: 1 })).toEqual([
      { fold: 1, train: [[5, 12]], test: [0, 4] },
      { fold: 2, train: [[9, 12]], test: [4, 8] },
      { fold: 3, train: [[0, 4]], test: [8, 12] },
    ]);
  });

  it('refuses folds too small and a purge or embargo that leaves too little to train on', () => {
    expectRefusal(
      () => validationFolds(120, { kind: 'purged_kfold', folds: 5, purge: 0, embargo: 0 }, { test: 50 }),
      'folds',
      'expects folds of at least 50 test rows, but 5 folds over 120 rows give 24; use fewer folds or more rows',
    );
    expectRefusal(
      () => validationFolds(9, { kind: 'purged_kfold', folds: 3, purge: 3, embargo: 3 }),
      'purge',
      'expects to leave at least 1 training row in every fold, but fold 2 of 3 keeps 0 of 9 rows after its 3 test rows, a purge of 3 and an embargo of 3; use a smaller purge or embargo, or more rows',
    );
    expectRefusal(
      () => validationFolds(20, { kind: 'purged_kfold', folds: 2, purge: 0, embargo: 5 }, { train: 6 }),
      'embargo',
      'fold 1 of 2 keeps 5',
    );
    expectRefusal(
      () => validationFolds(10, { kind: 'purged_kfold', folds: 2, purge: 0, embargo: 0 }, { train: 6 }),
      'folds',
      'use more folds or more rows',
    );
    expectRefusal(() => validationFolds(10, { kind: 'purged_kfold', folds: 2.5, purge: 0, embargo: 0 }), 'folds', 'but got 2.5');
    expectRefusal(() => validationFolds(10, { kind: 'purged_kfold', folds: 2, purge: 0.5, embargo: 0 }), 'purge', 'but got 0.5');
  });
});

describe('validationFolds input', () => {
  it('refuses a row count, minimum or kind it cannot use', () => {
    expectRefusal(
      () => validationFolds(-1, { kind: 'holdout', testFraction: 0.2 }),
      'rows',
      'expects an integer of at least 0, but got -1',
    );
    expectRefusal(() => validationFolds(10, { kind: 'holdout', testFraction: 0.2 }, { test: 0 }), 'minimumRows.test', 'but got 0');
    expectRefusal(() => validationFolds(10, { kind: 'bootstrap' } as unknown as ValidationScheme), 'kind', 'but got bootstrap');
  });
});

describe('validationSchemeSchema', () => {
  it('fills in the defaults of each kind', () => {
    const parse = (input: unknown): ValidationScheme => validationSchemeSchema.parse(input);
    expect(parse({ kind: 'holdout' })).toEqual({ kind: 'holdout', testFraction: 0.2 });
    expect(parse({ kind: 'expanding' })).toEqual({ kind: 'expanding', folds: 5, gap: 0, testFraction: 0.5 });
    expect(parse({ kind: 'rolling', trainRows: 100 })).toEqual({ kind: 'rolling', folds: 5, gap: 0, testFraction: 0.5, trainRows: 100 });
    expect(parse({ kind: 'purged_kfold', purge: 4 })).toEqual({ kind: 'purged_kfold', folds: 5, purge: 4, embargo: 0 });
  });

  it('refuses unknown kinds and keys, and settings out of range', () => {
    expect(validationSchemeSchema.safeParse({ kind: 'kfold' }).success).toBe(false);
    expect(validationSchemeSchema.safeParse({ kind: 'expanding', trainRows: 5 }).success).toBe(false);
    expect(validationSchemeSchema.safeParse({ kind: 'expanding', folds: 1 }).success).toBe(false);
    expect(validationSchemeSchema.safeParse({ kind: 'holdout', testFraction: 0 }).success).toBe(false);
    expect(validationSchemeSchema.safeParse({ kind: 'purged_kfold', embargo: -1 }).success).toBe(false);
    const issue = validationSchemeSchema.safeParse({ kind: 'rolling', gap: 1.5 }).error!.issues[0];
    expect(issue.path).toEqual(['gap']);
  });
});
