/**
 * Time-ordered validation schemes: which rows of a labelled series (indices 0 … rows − 1, oldest first)
 * each fold trains on and which it tests on, as half-open ranges [start, end). Train rows never come
 * after a fold's test rows except in purged k-fold, which purges and embargoes around the test block.
 *
 *   holdout       the last testFraction of the rows (rounded to a whole row) test, all rows before them train.
 *   expanding     walk-forward: the last testFraction (default 0.5) of the rows is cut into `folds`
 *                 consecutive test blocks; fold i trains on every row before its block but the `gap` rows
 *                 just before it (so that labels reaching into the test block do not train).
 *   rolling       the same, training on the `trainRows` rows before the gap only (default: the first
 *                 fold's train length, so every fold trains on as many rows).
 *   purged_kfold  López de Prado, Advances in Financial Machine Learning (2018), ch. 7: `folds` contiguous
 *                 test blocks over all rows; fold i trains on every other row but the `purge` rows just
 *                 before its block (whose labels overlap it) and the `embargo` rows just after it.
 *
 * Blocks of k folds over m rows have ⌊m/k⌋ rows, the first m mod k one more (as scikit-learn's KFold).
 * Folds are numbered from 1, oldest test block first.
 */
import { z } from 'zod';
import { InvalidInputError } from './errors';

/** The most folds a scheme may have. */
export const MAX_FOLDS = 100;

const count = z.number().int().min(0);
const openFraction = z.number().gt(0).lt(1);
const folds = z.number().int().min(2).max(MAX_FOLDS).default(5);

/** A validation scheme as a policy document or a GraphQL input gives it, with its defaults. */
export const validationSchemeSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('holdout'),
    /** Share of the rows, the latest, that test. */
    testFraction: openFraction.default(0.2),
  }),
  z.strictObject({
    kind: z.literal('expanding'),
    /** Consecutive test blocks (folds) of the walk-forward. */
    folds,
    /** Rows left out between each fold's train and its test block: at least the label horizon − 1. */
    gap: count.default(0),
    /** Share of the rows, the latest, cut into the test blocks. */
    testFraction: openFraction.default(0.5),
  }),
  z.strictObject({
    kind: z.literal('rolling'),
    folds,
    gap: count.default(0),
    testFraction: openFraction.default(0.5),
    /** Rows of the rolling train window (default: all the rows before the first test block, less the gap). */
    trainRows: z.number().int().min(1).optional(),
  }),
  z.strictObject({
    kind: z.literal('purged_kfold'),
    folds,
    /** Rows dropped from the train just before each test block: those whose labels overlap it (the label horizon − 1). */
    purge: count.default(0),
    /** Rows dropped from the train just after each test block, against leakage through serial correlation. */
    embargo: count.default(0),
  }),
]);

export type ValidationScheme =
  | { kind: 'holdout'; testFraction: number }
  | { kind: 'expanding' | 'rolling'; folds: number; gap: number; testFraction?: number; trainRows?: number }
  | { kind: 'purged_kfold'; folds: number; purge: number; embargo: number };

export type RowRange = [number, number];

export interface ValidationFold {
  /** 1 … k, oldest test block first. */
  fold: number;
  /** Half-open ranges of train rows, in order (two around the test block in purged k-fold). */
  train: RowRange[];
  test: RowRange;
}

/** The fewest rows a fold's train (all its ranges together) and its test may have; 1 each by default. */
export interface MinimumRows {
  train?: number;
  test?: number;
}

/** "1 training row", "5 training rows". */
const countOf = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

const rowsOf = (ranges: readonly RowRange[]) => ranges.reduce((sum, [start, end]) => sum + end - start, 0);

function refuse(field: string, message: string): never {
  throw new InvalidInputError(`${field} ${message}`, { field });
}

function requireInteger(field: string, value: number, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) refuse(field, `expects an integer of at least ${minimum}, but got ${value}`);
}

function requireFraction(field: string, value: number): void {
  if (!(value > 0 && value < 1)) refuse(field, `expects a fraction in (0, 1), but got ${value}`);
}

function requireFolds(value: number): void {
  if (!Number.isInteger(value) || value < 2 || value > MAX_FOLDS) {
    refuse('folds', `expects an integer in [2, ${MAX_FOLDS}] (folds to compare), but got ${value}`);
  }
}

/** [start, end) of each of `k` consecutive blocks over the rows [from, to) (the first (to − from) mod k one row longer). */
export function contiguousBlocks(from: number, to: number, k: number): RowRange[] {
  const size = Math.floor((to - from) / k);
  const larger = (to - from) % k;
  const ranges: RowRange[] = [];
  let start = from;
  for (let i = 0; i < k; i++) {
    const end = start + size + (i < larger ? 1 : 0);
    ranges.push([start, end]);
    start = end;
  }
  return ranges;
}

/** The folds of `scheme` over `rows` rows in time order (the rules at the top of this file). */
export function validationFolds(rows: number, scheme: ValidationScheme, minimumRows: MinimumRows = {}): ValidationFold[] {
  requireInteger('rows', rows, 0);
  const minimum = { train: minimumRows.train ?? 1, test: minimumRows.test ?? 1 };
  requireInteger('minimumRows.train', minimum.train, 1);
  requireInteger('minimumRows.test', minimum.test, 1);
  switch (scheme.kind) {
    case 'holdout':
      return holdout(rows, scheme.testFraction, minimum);
    case 'expanding':
    case 'rolling':
      return walkForward(rows, scheme, minimum);
    case 'purged_kfold':
      return purgedKFold(rows, scheme, minimum);
    default:
      return refuse('kind', `expects holdout, expanding, rolling or purged_kfold, but got ${String((scheme as { kind: unknown }).kind)}`);
  }
}

function holdout(rows: number, testFraction: number, minimum: Required<MinimumRows>): ValidationFold[] {
  requireFraction('testFraction', testFraction);
  const testRows = Math.round(rows * testFraction);
  const trainRows = rows - testRows;
  if (testRows < minimum.test) {
    refuse(
      'testFraction',
      `expects a test of at least ${countOf(minimum.test, 'row')}, but ${testFraction} of ${rows} rows gives ${testRows}; raise testFraction or use more rows`,
    );
  }
  if (trainRows < minimum.train) {
    refuse(
      'testFraction',
      `expects to leave at least ${countOf(minimum.train, 'training row')}, but ${testFraction} of ${rows} rows leaves ${trainRows}; lower testFraction or use more rows`,
    );
  }
  return [{ fold: 1, train: [[0, trainRows]], test: [trainRows, rows] }];
}

function walkForward(
  rows: number,
  scheme: Extract<ValidationScheme, { kind: 'expanding' | 'rolling' }>,
  minimum: Required<MinimumRows>,
): ValidationFold[] {
  const { kind, folds: k, gap, testFraction = 0.5, trainRows } = scheme;
  requireFolds(k);
  requireInteger('gap', gap, 0);
  requireFraction('testFraction', testFraction);
  if (kind === 'expanding' && trainRows !== undefined) {
    refuse('trainRows', `expects no value for an expanding walk-forward (it sets a rolling one's window), but got ${trainRows}`);
  }
  const testTotal = Math.round(rows * testFraction);
  const testStart = rows - testTotal;
  const tests = contiguousBlocks(testStart, rows, k);
  const smallestTest = Math.floor(testTotal / k);
  if (smallestTest < minimum.test) {
    refuse(
      'folds',
      `expects folds of at least ${countOf(minimum.test, 'test row')}, but ${k} folds over the ${testTotal} test rows (${testFraction} of ${rows}) give ${smallestTest}; use fewer folds, a larger testFraction or more rows`,
    );
  }
  const firstTrain = testStart - gap;
  if (firstTrain < minimum.train) {
    const field = gap > 0 && testStart >= minimum.train ? 'gap' : 'testFraction';
    refuse(
      field,
      `expects to leave at least ${countOf(minimum.train, 'training row')} before the first test block, but the ${testStart} rows before it less a gap of ${gap} leave ${Math.max(firstTrain, 0)}; ${field === 'gap' ? 'use a smaller gap' : 'lower testFraction or gap'}, or use more rows`,
    );
  }
  const window = kind === 'rolling' ? (trainRows ?? firstTrain) : null;
  if (window !== null) {
    requireInteger('trainRows', window, 1);
    if (window > firstTrain) {
      refuse(
        'trainRows',
        `expects at most ${firstTrain} rows (those before the first test block, less the gap), but got ${window}; use a smaller trainRows or testFraction`,
      );
    }
    if (window < minimum.train) refuse('trainRows', `expects at least ${countOf(minimum.train, 'training row')}, but got ${window}`);
  }
  return tests.map((test, i) => {
    const end = test[0] - gap;
    return { fold: i + 1, train: [[window === null ? 0 : end - window, end]], test };
  });
}

function purgedKFold(
  rows: number,
  scheme: Extract<ValidationScheme, { kind: 'purged_kfold' }>,
  minimum: Required<MinimumRows>,
): ValidationFold[] {
  const { folds: k, purge, embargo } = scheme;
  requireFolds(k);
  requireInteger('purge', purge, 0);
  requireInteger('embargo', embargo, 0);
  const smallestTest = Math.floor(rows / k);
  if (smallestTest < minimum.test) {
    refuse(
      'folds',
      `expects folds of at least ${countOf(minimum.test, 'test row')}, but ${k} folds over ${rows} rows give ${smallestTest}; use fewer folds or more rows`,
    );
  }
  return contiguousBlocks(0, rows, k).map((test, i) => {
    const [start, end] = test;
    const train: RowRange[] = [];
    if (start - purge > 0) train.push([0, start - purge]);
    if (end + embargo < rows) train.push([end + embargo, rows]);
    const kept = rowsOf(train);
    if (kept < minimum.train) {
      const field = purge + embargo === 0 ? 'folds' : purge >= embargo ? 'purge' : 'embargo';
      const advice = field === 'folds' ? 'use more folds or more rows' : 'use a smaller purge or embargo, or more rows';
      refuse(
        field,
        `expects to leave at least ${countOf(minimum.train, 'training row')} in every fold, but fold ${i + 1} of ${k} keeps ${kept} of ${rows} rows after its ${end - start} test rows, a purge of ${purge} and an embargo of ${embargo}; ${advice}`,
      );
    }
    return { fold: i + 1, train, test };
  });
}

/** A scheme as a request gives it (GraphQL FoldSchemeInput): fields left null or absent take their defaults. */
export interface ValidationSchemeRequest {
  kind: string;
  folds?: number | null;
  gap?: number | null;
  testFraction?: number | null;
  trainRows?: number | null;
  purge?: number | null;
  embargo?: number | null;
}

const SCHEME_FIELDS = ['folds', 'gap', 'testFraction', 'trainRows', 'purge', 'embargo'] as const;

/** The scheme of a request (tuneModel, evaluateModel) by validationSchemeSchema; its first problem refused naming `scheme.<field>`. */
export function parseValidationSchemeRequest(request: ValidationSchemeRequest): ValidationScheme {
  const given: Record<string, unknown> = { kind: request.kind };
  for (const field of SCHEME_FIELDS) if (request[field] !== null && request[field] !== undefined) given[field] = request[field];
  const parsed = validationSchemeSchema.safeParse(given);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue.code === 'unrecognized_keys' ? issue.keys[0] : issue.path.map(String).join('.') || 'kind';
  const message =
    issue.code === 'unrecognized_keys'
      ? `expects no ${path} for a ${request.kind} scheme (it does not use one), but got ${String(given[path])}`
      : path === 'kind'
        ? `expects holdout, expanding, rolling or purged_kfold, but got ${JSON.stringify(request.kind)}`
        : `expects ${issue.message.toLowerCase()}`;
  return refuse(`scheme.${path}`, message);
}
