/**
 * One-sample tests of a recent window against a baseline: a binomial lower tail and a one-sided
 * t-test.
 */
import { jStat } from 'jstat';
import { InvalidInputError, requireFinite, requireFiniteEach } from '../errors';
import { type Numbers } from './numbers';
import { studentTPValue } from './student-t';

/**
 * P(X ≤ successes) for X ~ Binomial(trials, probability): the one-sided p-value of "the success rate
 * is below `probability`". Through the regularized incomplete beta, I_{1−p}(n − k, k + 1), as scipy's
 * `binom.cdf`.
 */
export function binomialLowerTail(successes: number, trials: number, probability: number): number {
  if (!Number.isInteger(trials) || trials < 1)
    throw new InvalidInputError(`trials expects a positive integer, but got ${trials}`, { field: 'trials' });
  if (!Number.isInteger(successes) || successes < 0 || successes > trials) {
    throw new InvalidInputError(`successes expects an integer in [0, ${trials}], but got ${successes}`, { field: 'successes' });
  }
  if (!(probability >= 0 && probability <= 1))
    throw new InvalidInputError(`probability expects a number in [0, 1], but got ${probability}`, { field: 'probability' });
  if (successes === trials || probability === 0) return 1;
  if (probability === 1) return 0;
  return jStat.ibeta(1 - probability, trials - successes, successes + 1);
}

export interface OneSampleTTestResult {
  statistic: number;
  /** One-sided: the mean is above `baseline`. */
  pValue: number;
  mean: number;
}

/** Student's t-test of mean(values) > baseline (scipy's `ttest_1samp(..., alternative='greater')`). */
export function oneSampleTTestGreater(values: Numbers, baseline: number): OneSampleTTestResult {
  requireFiniteEach('values', values);
  if (values.length < 2) throw new InvalidInputError(`values expects at least 2 values, but got ${values.length}`, { field: 'values' });
  requireFinite('baseline', baseline);
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - mean) ** 2;
  const standardError = Math.sqrt(squares / (n - 1) / n);
  if (standardError === 0) {
    const statistic = mean === baseline ? 0 : Math.sign(mean - baseline) * Infinity;
    return { statistic, pValue: studentTPValue(statistic, n - 1, 'greater'), mean };
  }
  const statistic = (mean - baseline) / standardError;
  return { statistic, pValue: studentTPValue(statistic, n - 1, 'greater'), mean };
}
