/**
 * How far a model's recent world has moved from the one it was trained on, and how much that matters.
 * Pure: the caller brings the version's stored reference summary and the recent values.
 *
 * Tests (one family, corrected together for multiple testing by Benjamini–Hochberg or Bonferroni):
 *   - each feature, the model's predictions and the realised outcomes: two-sample KS of the recent
 *     values against the stored sample, with PSI under the stored bins as the effect size;
 *   - the win rate (directions called right) against the validation hit rate: one-sided two-proportion
 *     test against the validation rows (reference.outcomes.count), or a binomial test at the hit rate
 *     where their number is unknown;
 *   - the mean loss (squared error, or log loss for binary models) against the validation loss:
 *     one-sided t-test, the recent losses at their effective sample size and the validation mean's
 *     variance added (monitoring/drift-statistics `meanAboveBaseline`). For a sequence model (task
 *     'forecast') the loss of one forecast is its mean squared error over every horizon step and
 *     target, against the same figure on the validation windows (metrics.mse_original); it has no win
 *     rate (a forecast is not a directional call).
 *
 * Autocorrelated rows (features of overlapping windows, bars features): the KS p-value counts the
 * recent values and the reference sample at their effective sample sizes (monitoring/drift-statistics:
 * n (1 − ρ̂₁)/(1 + ρ̂₁) from the lag-1 autocorrelation of the recent values in time order, which also
 * stands in for the reference's), so a stable stretch of a slowly moving feature is not a shift.
 * Independent rows keep their n (ρ̂₁ inside Bartlett's white-noise band counts as 0).
 *
 * Data quality of each feature (a second family of tests, corrected the same way):
 *   - missing share: the recent NaN share against the reference's `missingFraction`, one-sided
 *     two-proportion z-test; a finding when significant and higher by at least max_missing_increase.
 *     A feature missing in every recent row is a finding by itself, and a major one (never skipped);
 *   - constant: every recent value equal while the reference varied (std > 0);
 *   - out of range: more than max_out_of_range_share of the recent values outside [min, max] of the
 *     reference sample.
 *
 * A test is a finding only when it is significant after the correction AND its effect is large enough:
 * for a distribution KS statistic ≥ min_ks_statistic or PSI ≥ psi_threshold (on large windows a p-value
 * alone flags shifts too small to matter); for the win rate a drop of at least min_win_rate_drop; for
 * the loss an increase of at least min_error_increase_pct percent. A distribution finding is major when
 * its PSI ≥ major_psi (0.25: the conventional "large shift").
 *
 * Severity, the first rule that holds:
 *   CRITICAL  a performance finding, with the recent win rate below critical_win_rate (the model is failing;
 *             a sequence model has no win rate, so its loss finding is HIGH)
 *   HIGH      a performance finding; or major shifts on at least high_feature_share of the features;
 *             or a major shift of the model's predictions; or a feature missing in every recent row
 *   MEDIUM    a major shift of some feature; or a shift of the predictions or of the outcomes; or a
 *             rise of some feature's missing share; or a constant feature
 *   LOW       minor shifts of some features, or features out of the training range, only
 *   NONE      no finding
 */
import { InvalidInputError } from '../lib/errors';
import { lossName, scoreOutcomes, type Outcome, type ScoredTask } from './outcome-scoring';
import type { ReferenceSummary, DistributionSummary } from '../plugins/contract';
import { measureDrift } from '../lib/reference';
import { ksTwoSampleFromStatistic } from '../lib/stats/kolmogorov-smirnov';
import {
  effectiveRho,
  featureQuality,
  type FeatureQuality,
  lag1Autocorrelation,
  meanAboveBaseline,
  presentInOrder,
  subsampleEffectiveSize,
  twoProportionGreater,
} from './drift-statistics';
import { benjaminiHochberg, bonferroni } from '../lib/stats/multiple-testing';
import { binomialLowerTail } from '../lib/stats/window-tests';

export const DRIFT_SEVERITIES = ['NONE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type DriftSeverity = (typeof DRIFT_SEVERITIES)[number];

export function severityRank(severity: DriftSeverity): number {
  return DRIFT_SEVERITIES.indexOf(severity);
}

/** The thresholds of the rule above (policy.drift_detection, plus health.critical_win_rate). */
export interface DriftRule {
  ks_test_threshold: number;
  correction: 'benjamini-hochberg' | 'bonferroni';
  psi_threshold: number;
  min_ks_statistic: number;
  major_psi: number;
  high_feature_share: number;
  min_win_rate_drop: number;
  min_error_increase_pct: number;
  max_missing_increase: number;
  max_out_of_range_share: number;
  critical_win_rate: number;
}

/** How the rule counts; the defaults are the rule. */
export interface DriftOptions {
  /**
   * KS p-values at the effective sample sizes of autocorrelated rows (default true). false: every row
   * counts as an independent observation (the rule before; bench/drift-false-alarms compares them).
   */
  effectiveSampleSize?: boolean;
  /**
   * The data-quality tests of the features (default true). false: none, and a feature without recent
   * values is skipped (the rule before).
   */
  dataQuality?: boolean;
  /**
   * The validation figures are estimates from the version's validation rows (reference.outcomes.count):
   * two-sample performance tests (default true). false: each figure is taken as exact (the rule before).
   */
  validationSampleSize?: boolean;
}

export type DistributionKind = 'feature' | 'prediction' | 'outcome';

export interface DistributionDrift {
  kind: DistributionKind;
  name: string;
  /** Non-missing recent values compared. */
  count: number;
  /** KS statistic; 0 (and p-values 1, PSI 0) for a feature without recent values (count 0). */
  ksStatistic: number;
  pValue: number;
  adjustedPValue: number;
  psi: number;
  drifted: boolean;
  major: boolean;
  /** Lag-1 autocorrelation of the recent values in time order (null: fewer than 3, or all equal). */
  autocorrelation: number | null;
  /** The recent sample size the KS p-value counts (count itself for independent rows). */
  effectiveCount: number;
  /** The reference sample size the KS p-value counts (the stored sample's size for independent rows). */
  referenceEffectiveCount: number;
  /** The data-quality measures (features only; null for predictions and outcomes, or with dataQuality off). */
  missingShare: number | null;
  referenceMissingShare: number | null;
  missingPValue: number | null;
  missingAdjustedPValue: number | null;
  /** The missing share rose (significant, by at least max_missing_increase), or every recent value is missing. */
  missingRose: boolean | null;
  /** Every recent value equal while the reference varied. */
  constant: boolean | null;
  /** Share of the non-missing recent values outside the reference sample's [min, max]. */
  outOfRangeShare: number | null;
  /** outOfRangeShare > max_out_of_range_share. */
  outOfRange: boolean | null;
}

export type PerformanceMetric = 'win_rate' | 'squared_error' | 'log_loss';

export interface PerformanceDrift {
  metric: PerformanceMetric;
  /** The validation figure of the version. */
  reference: number;
  /** The same figure on the recent outcomes. */
  current: number;
  samples: number;
  /** The recent samples the test counts: for the loss, samples (1 − ρ)/(1 + ρ) of its lag-1 autocorrelation. */
  effectiveSamples: number;
  /** The validation rows the reference figure comes from (null: unknown, or taken as exact). */
  referenceSamples: number | null;
  pValue: number;
  adjustedPValue: number;
  drifted: boolean;
}

export interface DriftAssessment {
  severity: DriftSeverity;
  reasons: string[];
  distributions: DistributionDrift[];
  performance: PerformanceDrift[];
  featureCount: number;
  driftedFeatures: number;
  majorFeatures: number;
}

export interface PerformanceWindow {
  task: ScoredTask;
  /** The version's recent predictions with their realised values, oldest first. */
  outcomes: readonly Outcome[];
  /** Validation hit rate and mean loss (monitoring/outcome-scoring `validationBaseline`). */
  baseline: { hitRate: number | null; meanLoss: number | null };
}

/** A sequence model's recent forecasts with realised horizons. */
export interface ForecastLossWindow {
  task: 'forecast';
  /** Per forecast: its mean squared error over every horizon step and target (serving/prediction-outcomes forecastLossSql). */
  losses: ArrayLike<number>;
  /** The same figure on the validation windows (monitoring/outcome-scoring `forecastValidationLoss`). */
  validationLoss: number | null;
}

export interface DriftInput {
  reference: ReferenceSummary;
  /** Recent values of each reference feature, in the reference's order (NaN = missing). */
  features: readonly ArrayLike<number>[];
  predictions?: ArrayLike<number>;
  outcomes?: ArrayLike<number>;
  performance?: PerformanceWindow | ForecastLossWindow;
}

interface PendingTest {
  pValue: number;
  effectLargeEnough: boolean;
  record(adjustedPValue: number, drifted: boolean): void;
}

function hasValues(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) return true;
  return false;
}

const fixed = (value: number, digits = 3) => value.toFixed(digits);
const pText = (value: number) => (value < 1e-4 ? value.toExponential(1) : value.toFixed(4));

/** The KS p-value of `statistic` at effective sample sizes (rounded; at least 1). */
function effectiveKsPValue(statistic: number, referenceSize: number, size: number): number {
  const whole = (n: number) => Math.max(1, Math.round(n));
  return ksTwoSampleFromStatistic(statistic, whole(referenceSize), whole(size)).pValue;
}

const NO_QUALITY = {
  missingShare: null,
  referenceMissingShare: null,
  missingPValue: null,
  missingAdjustedPValue: null,
  missingRose: null,
  constant: null,
  outOfRangeShare: null,
  outOfRange: null,
} as const;

export function assessDrift(input: DriftInput, rule: DriftRule, options: DriftOptions = {}): DriftAssessment {
  const useEffectiveSize = options.effectiveSampleSize ?? true;
  const checkQuality = options.dataQuality ?? true;
  const validationRows =
    (options.validationSampleSize ?? true) ? (input.reference.outcomes?.count ?? input.reference.predictions?.count ?? null) : null;
  const { reference } = input;
  if (input.features.length !== reference.features.length) {
    throw new InvalidInputError(
      `features expects one column per reference feature (${reference.features.length}), but got ${input.features.length}`,
      {
        field: 'features',
      },
    );
  }
  const distributions: DistributionDrift[] = [];
  const performance: PerformanceDrift[] = [];
  const tests: PendingTest[] = [];
  const qualityTests: PendingTest[] = [];

  const addQuality = (entry: DistributionDrift, quality: FeatureQuality) => {
    Object.assign(entry, {
      missingShare: quality.missingShare,
      referenceMissingShare: quality.referenceMissingShare,
      missingPValue: quality.missingPValue,
      missingAdjustedPValue: quality.missingPValue,
      missingRose: quality.allMissing,
      constant: quality.constant,
      outOfRangeShare: quality.outOfRangeShare,
      outOfRange: quality.outOfRangeShare > rule.max_out_of_range_share,
    });
    qualityTests.push({
      pValue: quality.missingPValue,
      effectLargeEnough: quality.missingShare - quality.referenceMissingShare >= rule.max_missing_increase,
      record: (adjusted, rose) => {
        entry.missingAdjustedPValue = adjusted;
        entry.missingRose = quality.allMissing || rose;
      },
    });
  };

  const addDistribution = (kind: DistributionKind, summary: DistributionSummary | undefined, values: ArrayLike<number> | undefined) => {
    if (!summary || !values || summary.sample.length === 0) return;
    const quality = kind === 'feature' && checkQuality && values.length > 0 ? featureQuality(summary, values) : null;
    if (!hasValues(values)) {
      if (!quality) return;
      // Nothing arrived: no distribution to compare, and a finding of its own.
      const entry: DistributionDrift = {
        kind,
        name: summary.name,
        count: 0,
        ksStatistic: 0,
        pValue: 1,
        adjustedPValue: 1,
        psi: 0,
        drifted: false,
        major: false,
        autocorrelation: null,
        effectiveCount: 0,
        referenceEffectiveCount: summary.sample.length,
        ...NO_QUALITY,
      };
      distributions.push(entry);
      addQuality(entry, quality);
      return;
    }
    const measured = measureDrift(summary, values);
    const autocorrelation = lag1Autocorrelation(presentInOrder(values));
    let effectiveCount = measured.count;
    let referenceEffectiveCount = summary.sample.length;
    let pValue = measured.ks.pValue;
    const rho = effectiveRho(autocorrelation, measured.count);
    if (useEffectiveSize && rho > 0) {
      effectiveCount = (measured.count * (1 - rho)) / (1 + rho);
      const referenceRows = Math.round(summary.count * (1 - (Number.isFinite(summary.missingFraction) ? summary.missingFraction : 0)));
      referenceEffectiveCount = subsampleEffectiveSize(summary.sample.length, Math.max(referenceRows, summary.sample.length), rho);
      pValue = effectiveKsPValue(measured.ks.statistic, referenceEffectiveCount, effectiveCount);
    }
    const entry: DistributionDrift = {
      kind,
      name: summary.name,
      count: measured.count,
      ksStatistic: measured.ks.statistic,
      pValue,
      adjustedPValue: pValue,
      psi: measured.psi,
      drifted: false,
      major: false,
      autocorrelation,
      effectiveCount,
      referenceEffectiveCount,
      ...NO_QUALITY,
    };
    distributions.push(entry);
    if (quality) addQuality(entry, quality);
    tests.push({
      pValue: entry.pValue,
      effectLargeEnough: entry.ksStatistic >= rule.min_ks_statistic || entry.psi >= rule.psi_threshold,
      record: (adjusted, drifted) => {
        entry.adjustedPValue = adjusted;
        entry.drifted = drifted;
        entry.major = drifted && entry.psi >= rule.major_psi;
      },
    });
  };
  reference.features.forEach((summary, j) => addDistribution('feature', summary, input.features[j]));
  addDistribution('prediction', reference.predictions, input.predictions);
  addDistribution('outcome', reference.outcomes, input.outcomes);

  const addPerformance = (
    metric: PerformanceMetric,
    baseline: number,
    current: number,
    samples: number,
    effectiveSamples: number,
    pValue: number,
    effectLargeEnough: boolean,
  ) => {
    const entry: PerformanceDrift = {
      metric,
      reference: baseline,
      current,
      samples,
      effectiveSamples,
      referenceSamples: validationRows,
      pValue,
      adjustedPValue: pValue,
      drifted: false,
    };
    performance.push(entry);
    tests.push({
      pValue,
      effectLargeEnough,
      record: (adjusted, drifted) => {
        entry.adjustedPValue = adjusted;
        entry.drifted = drifted;
      },
    });
  };
  const addLossTest = (metric: PerformanceMetric, losses: ArrayLike<number>, baseline: number | null) => {
    if (baseline === null || !(baseline > 0) || losses.length < 2) return;
    const rho = useEffectiveSize ? effectiveRho(lag1Autocorrelation(losses), losses.length) : 0;
    const test = meanAboveBaseline(losses, baseline, rho, validationRows);
    const increasePct = (test.mean / baseline - 1) * 100;
    addPerformance(metric, baseline, test.mean, losses.length, test.effective, test.pValue, increasePct >= rule.min_error_increase_pct);
  };
  if (input.performance?.task === 'forecast') {
    addLossTest('squared_error', input.performance.losses, input.performance.validationLoss);
  } else if (input.performance && input.performance.outcomes.length >= 2) {
    const { task, outcomes, baseline } = input.performance;
    const scored = scoreOutcomes(task, outcomes);
    const moved = scored.directions.filter((pair) => pair.outcome !== 0);
    if (baseline.hitRate !== null && moved.length > 0) {
      const hits = moved.filter((pair) => Math.sign(pair.prediction) === Math.sign(pair.outcome)).length;
      const winRate = hits / moved.length;
      addPerformance(
        'win_rate',
        baseline.hitRate,
        winRate,
        moved.length,
        moved.length,
        validationRows
          ? twoProportionGreater(Math.round(baseline.hitRate * validationRows), validationRows, hits, moved.length)
          : binomialLowerTail(hits, moved.length, baseline.hitRate),
        baseline.hitRate - winRate >= rule.min_win_rate_drop,
      );
    }
    addLossTest(lossName(task), scored.losses, baseline.meanLoss);
  }

  for (const family of [tests, qualityTests]) {
    if (family.length === 0) continue;
    const pValues = family.map((test) => test.pValue);
    const adjusted = rule.correction === 'bonferroni' ? bonferroni(pValues) : benjaminiHochberg(pValues);
    family.forEach((test, i) => test.record(adjusted[i], adjusted[i] < rule.ks_test_threshold && test.effectLargeEnough));
  }
  return { ...classify(distributions, performance, rule), distributions, performance };
}

function classify(
  distributions: DistributionDrift[],
  performance: PerformanceDrift[],
  rule: DriftRule,
): Omit<DriftAssessment, 'distributions' | 'performance'> {
  const features = distributions.filter((entry) => entry.kind === 'feature');
  const drifted = features.filter((entry) => entry.drifted).sort((a, b) => b.psi - a.psi);
  const major = drifted.filter((entry) => entry.major);
  const prediction = distributions.find((entry) => entry.kind === 'prediction');
  const outcome = distributions.find((entry) => entry.kind === 'outcome');
  const failing = performance.filter((entry) => entry.drifted);
  const winRate = performance.find((entry) => entry.metric === 'win_rate');
  const absent = features.filter((entry) => entry.count === 0);
  const moreMissing = features.filter((entry) => entry.missingRose && entry.count > 0);
  const constant = features.filter((entry) => entry.constant);
  const outOfRange = features.filter((entry) => entry.outOfRange);
  const counts = { featureCount: features.length, driftedFeatures: drifted.length, majorFeatures: major.length };

  const reasons: string[] = [];
  for (const entry of failing) {
    const direction = entry.metric === 'win_rate' ? 'fell' : 'rose';
    // Four significant digits: a squared error of 0.0001 against 0.00002 must not read "0.0001 from 0.0000".
    reasons.push(
      `${entry.metric} ${direction} to ${entry.current.toPrecision(4)} over ${entry.samples} recent outcomes from ${entry.reference.toPrecision(4)} in validation (adjusted p = ${pText(entry.adjustedPValue)})`,
    );
  }
  const share = (value: number | null) => `${((value ?? 0) * 100).toFixed(1)}%`;
  if (absent.length > 0) {
    reasons.push(
      `${absent.length} of ${features.length} features missing in every recent row: ${absent
        .map((entry) => `${entry.name} (${share(entry.referenceMissingShare)} missing in training)`)
        .join(', ')}`,
    );
  }
  if (drifted.length > 0) {
    const listed = drifted.slice(0, 5).map((entry) => `${entry.name} (PSI ${fixed(entry.psi)}, KS ${fixed(entry.ksStatistic)})`);
    reasons.push(
      `${drifted.length} of ${features.length} features shifted, ${major.length} by PSI ≥ ${rule.major_psi}: ${listed.join(', ')}${drifted.length > 5 ? ', …' : ''}`,
    );
  }
  for (const entry of [prediction, outcome]) {
    if (entry?.drifted)
      reasons.push(
        `${entry.kind}s shifted (PSI ${fixed(entry.psi)}, KS ${fixed(entry.ksStatistic)}, adjusted p = ${pText(entry.adjustedPValue)})`,
      );
  }

  if (moreMissing.length > 0) {
    const listed = moreMissing.map(
      (entry) =>
        `${entry.name} (${share(entry.missingShare)} from ${share(entry.referenceMissingShare)}, adjusted p = ${pText(entry.missingAdjustedPValue ?? 1)})`,
    );
    reasons.push(`missing share rose on ${moreMissing.length} of ${features.length} features: ${listed.join(', ')}`);
  }
  if (constant.length > 0) {
    reasons.push(`constant over the window while varying in training: ${constant.map((entry) => entry.name).join(', ')}`);
  }
  if (outOfRange.length > 0) {
    const listed = outOfRange.map((entry) => `${entry.name} (${share(entry.outOfRangeShare)})`);
    reasons.push(
      `recent values outside the training range on more than ${share(rule.max_out_of_range_share)} of rows: ${listed.join(', ')}`,
    );
  }

  let severity: DriftSeverity = 'NONE';
  if (failing.length > 0 && winRate && winRate.current < rule.critical_win_rate) {
    severity = 'CRITICAL';
    reasons.unshift(`win rate ${fixed(winRate.current)} is below the critical ${rule.critical_win_rate}`);
  } else if (
    failing.length > 0 ||
    (major.length > 0 && major.length >= rule.high_feature_share * features.length) ||
    prediction?.major ||
    absent.length > 0
  ) {
    severity = 'HIGH';
  } else if (major.length > 0 || prediction?.drifted || outcome?.drifted || moreMissing.length > 0 || constant.length > 0) {
    severity = 'MEDIUM';
  } else if (drifted.length > 0 || outOfRange.length > 0) {
    severity = 'LOW';
  }
  return { severity, reasons, ...counts };
}
