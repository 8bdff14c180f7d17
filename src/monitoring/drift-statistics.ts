/**
 * The statistics of a drift check beyond KS and PSI (pure): the effective sample size of an
 * autocorrelated window, and the data-quality measures of one feature (missing share against the
 * reference's, a constant window, values outside the reference's range).
 *
 * Effective sample size. Features built from overlapping windows (ret_20, vol_20, RSI, MACD, …) move
 * slowly: 2,000 consecutive daily rows of vol_20 hold far fewer than 2,000 independent observations,
 * and a KS test that counts every row calls a stable stretch of a real market a shift. For an AR(1)
 * series with lag-1 autocorrelation ρ the variance of a mean (and, to first order, of an empirical
 * CDF) is that of n (1 − ρ)/(1 + ρ) independent rows; `effectiveSampleSize` uses that with ρ̂₁, the
 * lag-1 autocorrelation of the values in time order (statsmodels' `acf`: deviations from the overall
 * mean, divided by the lag-0 sum), taken as 0 inside Bartlett's white-noise band |ρ̂₁| < 1.96/√n (so
 * independent rows keep n) and clamped to [0, MAX_AUTOCORRELATION]. For the slowly decaying
 * correlations of an overlapping window (ρ_k ≈ 1 − k/L) the AR(1) form gives a smaller n than the sum
 * over lags 1 + 2Σρ_k: it errs on the quiet side.
 *
 * The reference keeps a random sample of m of its N training rows, in value order (the time order is
 * gone), so its own ρ is not stored; the window's ρ stands in for it (an overlapping-window feature
 * owes its autocorrelation to its construction, not to the period). A sample of m drawn without
 * replacement from a series worth N_eff independent rows has 1/m_eff = 1/m − 1/N + 1/N_eff
 * (`subsampleEffectiveSize`): m_eff = m when the rows are independent, N_eff when the sample is the
 * whole series.
 *
 * The performance tests compare recent outcomes with a validation figure that is itself an estimate
 * from the version's validation rows (reference.outcomes.count of them): the win rate by a
 * two-proportion test against it rather than a binomial test at it; the mean loss by a t-test whose
 * variance adds the validation mean's, s²/n_val (the recent losses' variance standing in for the
 * validation losses', which are not stored), with the recent losses at their effective sample size.
 */
import { jStat } from 'jstat';
import { InvalidInputError, requireFinite, requireFiniteEach } from '../lib/errors';
import { studentTPValue } from '../lib/stats/student-t';

/** Lag-1 autocorrelations above this are taken as this: n_eff stays at least n/199. */
export const MAX_AUTOCORRELATION = 0.99;

/** Bartlett's two-sided 95 % band for the autocorrelation of white noise is ±1.96/√n. */
const WHITE_NOISE_Z = 1.96;

/** The values that are not NaN, in their order. */
export function presentInOrder(values: ArrayLike<number>): Float64Array {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) count++;
  const out = new Float64Array(count);
  let k = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) out[k++] = values[i];
  return out;
}

/**
 * ρ̂₁ = Σ_{t<n} (x_t − x̄)(x_{t+1} − x̄) / Σ_t (x_t − x̄)², statsmodels' `acf(x)[1]`; null for fewer
 * than 3 values or values without variance (no autocorrelation to speak of).
 */
export function lag1Autocorrelation(values: ArrayLike<number>): number | null {
  const n = values.length;
  if (n < 3) return null;
  let sum = 0;
  let varies = false;
  for (let i = 0; i < n; i++) {
    sum += values[i];
    if (values[i] !== values[0]) varies = true;
  }
  // equal values: the mean's rounding would leave deviations of ±1 ulp, and a meaningless ρ̂ of them
  if (!varies) return null;
  const mean = sum / n;
  let denominator = 0;
  let numerator = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean;
    denominator += d * d;
    if (i + 1 < n) numerator += d * (values[i + 1] - mean);
  }
  if (!(denominator > 0)) return null;
  return numerator / denominator;
}

export interface EffectiveSize {
  n: number;
  /** ρ̂₁ as estimated (null: too few values, or no variance). */
  autocorrelation: number | null;
  /** The ρ used: 0 inside the white-noise band, clamped to [0, MAX_AUTOCORRELATION]. */
  rho: number;
  /** n (1 − ρ)/(1 + ρ). */
  effective: number;
}

/** The effective sample size of `values` (time order, no NaN), by the rule at the top of this file. */
export function effectiveSampleSize(values: ArrayLike<number>): EffectiveSize {
  const n = values.length;
  const autocorrelation = lag1Autocorrelation(values);
  const rho = effectiveRho(autocorrelation, n);
  return { n, autocorrelation, rho, effective: (n * (1 - rho)) / (1 + rho) };
}

/** ρ̂ as the rule uses it: 0 within ±1.96/√n or when unknown, at most MAX_AUTOCORRELATION. */
export function effectiveRho(autocorrelation: number | null, n: number): number {
  if (autocorrelation === null || !(autocorrelation > WHITE_NOISE_Z / Math.sqrt(n))) return 0;
  return Math.min(autocorrelation, MAX_AUTOCORRELATION);
}

/**
 * The effective size of a sample of `m` rows drawn without replacement from a series of `total` rows
 * whose lag-1 autocorrelation is `rho`: 1/m_eff = 1/m − 1/N + (1 + ρ)/((1 − ρ) N), at most m.
 */
export function subsampleEffectiveSize(m: number, total: number, rho: number): number {
  if (!(m >= 1) || !(total >= m)) {
    throw new InvalidInputError(`expects a sample of 1 ≤ m ≤ total rows, but got m = ${m}, total = ${total}`, { field: 'm' });
  }
  if (!(rho >= 0 && rho < 1)) throw new InvalidInputError(`rho expects a number in [0, 1), but got ${rho}`, { field: 'rho' });
  const inverse = 1 / m - 1 / total + (1 + rho) / ((1 - rho) * total);
  return Math.min(m, 1 / inverse);
}

/**
 * One-sided two-proportion z-test that the share `recent / recentN` is above `reference / referenceN`
 * (pooled variance); 1 when neither side has any, or the first share is not above. (The missing share
 * tests a recent share above the training one; the win rate, the validation hit rate above the recent.)
 */
export function twoProportionGreater(recent: number, recentN: number, reference: number, referenceN: number): number {
  for (const [field, count, n] of [
    ['recent', recent, recentN],
    ['reference', reference, referenceN],
  ] as const) {
    if (!(n >= 1) || !(count >= 0 && count <= n)) {
      throw new InvalidInputError(`${field} expects a count in [0, n] of n ≥ 1 rows, but got ${count} of ${n}`, { field });
    }
  }
  const p1 = recent / recentN;
  const p0 = reference / referenceN;
  const pooled = (recent + reference) / (recentN + referenceN);
  if (!(p1 > p0) || pooled <= 0 || pooled >= 1) return p1 > p0 ? 0 : 1;
  const z = (p1 - p0) / Math.sqrt(pooled * (1 - pooled) * (1 / recentN + 1 / referenceN));
  return 1 - jStat.normal.cdf(z, 0, 1);
}

export interface FeatureQuality {
  /** Recent values given, missing included. */
  rows: number;
  /** NaN share of the recent values. */
  missingShare: number;
  /** NaN share of the reference (its `missingFraction`; 0 for a summary without one). */
  referenceMissingShare: number;
  /** One-sided two-proportion test of a rise of the missing share (1 when it did not rise). */
  missingPValue: number;
  /** Every recent value is missing. */
  allMissing: boolean;
  /** At least two recent values, all equal, while the reference's standard deviation was above 0. */
  constant: boolean;
  /** Share of the non-missing recent values outside [min, max] of the reference sample (0 with none). */
  outOfRangeShare: number;
}

/**
 * The data-quality measures of one feature's recent values against its reference summary: `count`
 * and `missingFraction` (the missing share of the training rows) and the sorted `sample`, whose
 * extremes are the range (the reference's min and max when it kept every value; otherwise about its
 * 1/(m + 1) and m/(m + 1) quantiles).
 */
export function featureQuality(
  summary: { count: number; missingFraction?: number; std: number; sample: readonly number[] },
  values: ArrayLike<number>,
): FeatureQuality {
  const rows = values.length;
  if (rows === 0) throw new InvalidInputError('values expects at least one recent value, but got none', { field: 'values' });
  const referenceMissingShare = Number.isFinite(summary.missingFraction) ? (summary.missingFraction as number) : 0;
  const referenceRows = Math.max(1, summary.count);
  let missing = 0;
  let outside = 0;
  let first = NaN;
  let allEqual = true;
  const low = summary.sample.length ? summary.sample[0] : -Infinity;
  const high = summary.sample.length ? summary.sample[summary.sample.length - 1] : Infinity;
  for (let i = 0; i < rows; i++) {
    const v = values[i];
    if (Number.isNaN(v)) {
      missing++;
      continue;
    }
    if (Number.isNaN(first)) first = v;
    else if (v !== first) allEqual = false;
    if (v < low || v > high) outside++;
  }
  const present = rows - missing;
  return {
    rows,
    missingShare: missing / rows,
    referenceMissingShare,
    missingPValue: twoProportionGreater(missing, rows, Math.round(referenceMissingShare * referenceRows), referenceRows),
    allMissing: present === 0,
    constant: present >= 2 && allEqual && summary.std > 0,
    outOfRangeShare: present === 0 ? 0 : outside / present,
  };
}

export interface MeanAboveResult {
  mean: number;
  statistic: number;
  /** One-sided: the mean is above the baseline. */
  pValue: number;
  /** The recent sample size counted: n (1 − ρ)/(1 + ρ). */
  effective: number;
}

/**
 * t-test of mean(values) > baseline where the values count as `n (1 − rho)/(1 + rho)` observations and
 * the baseline is the mean of `baselineRows` rows of the same spread (null: taken as exact):
 * t = (x̄ − baseline)/√(s²/n_eff + s²/n_val), dof n_eff − 1 (at least 1). With rho 0 and no
 * baselineRows it is Student's one-sample test (scipy `ttest_1samp`, alternative 'greater').
 */
export function meanAboveBaseline(values: ArrayLike<number>, baseline: number, rho: number, baselineRows: number | null): MeanAboveResult {
  requireFiniteEach('values', values);
  requireFinite('baseline', baseline);
  const n = values.length;
  if (n < 2) throw new InvalidInputError(`values expects at least 2 values, but got ${n}`, { field: 'values' });
  if (!(rho >= 0 && rho < 1)) throw new InvalidInputError(`rho expects a number in [0, 1), but got ${rho}`, { field: 'rho' });
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - mean) ** 2;
  const variance = squares / (n - 1);
  const effective = (n * (1 - rho)) / (1 + rho);
  const dof = Math.max(1, effective - 1);
  const standardError = Math.sqrt(variance / effective + (baselineRows && baselineRows > 0 ? variance / baselineRows : 0));
  const statistic =
    standardError === 0 ? (mean === baseline ? 0 : Math.sign(mean - baseline) * Infinity) : (mean - baseline) / standardError;
  return { mean, statistic, pValue: studentTPValue(statistic, dof, 'greater'), effective };
}
