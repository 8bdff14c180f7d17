/**
 * Reference summaries: what a model version keeps of its training distributions (per feature, its
 * predictions, its outcomes) so that a drift check never needs the training data again. PSI bins and
 * proportions come from all non-missing values; KS runs against a bounded, seeded sample.
 */
import seedrandom from 'seedrandom';
import { mean, sample, sampleStandardDeviation } from 'simple-statistics';
import type { DistributionSummary, ReferenceSummary, TabularTrainingSet } from '../plugins/contract';
import { InvalidInputError } from './errors';
import { type KsResult, ksTwoSample } from './stats/kolmogorov-smirnov';
import { binProportions, linearQuantileSorted, psiFromProportions, quantileEdges } from './stats/quantile-bins';

/** The quantile levels every summary stores, in order. */
const SUMMARY_QUANTILES: readonly number[] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];

export const DEFAULT_SAMPLE_SIZE = 2000;

const PSI_BINS = 10;

export interface SummaryOptions {
  /** At most this many non-missing values are kept for KS, drawn without replacement (default 2,000). */
  sampleSize?: number;
  /** Seeds the sample draw; the same seed, name and values give the same summary (default 0). */
  seed?: number;
}

/** The non-missing values of `values`; NaN is missing, ±Infinity is refused. */
function presentValues(name: string, values: ArrayLike<number>): number[] {
  const present: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    if (!Number.isFinite(v)) {
      throw new InvalidInputError(`${name} expects finite numbers or NaN (missing), but got ${v} at index ${i}`, {
        field: name,
      });
    }
    present.push(v);
  }
  return present;
}

function validSampleSize(sampleSize: number): number {
  if (!Number.isInteger(sampleSize) || sampleSize < 1) {
    throw new InvalidInputError(`sampleSize expects a positive integer, but got ${sampleSize}`, { field: 'sampleSize' });
  }
  return sampleSize;
}

/**
 * Summarizes one distribution. `count` is the number of values given, missing (NaN) included;
 * `missingFraction` is the NaN share; every other field describes the non-missing values only, with
 * `std` the sample standard deviation (n − 1; 0 for a single value). The sample is sorted ascending.
 * When every value is missing, only `count` and `missingFraction` (= 1) carry information: mean and std
 * are 0 and the arrays are empty.
 */
export function summarizeDistribution(name: string, values: ArrayLike<number>, options: SummaryOptions = {}): DistributionSummary {
  if (values.length === 0) {
    throw new InvalidInputError(`${name} expects at least one value to summarize, but got none`, { field: name });
  }
  const sampleSize = validSampleSize(options.sampleSize ?? DEFAULT_SAMPLE_SIZE);
  const present = presentValues(name, values);
  const missingFraction = (values.length - present.length) / values.length;
  if (present.length === 0) {
    return {
      name,
      count: values.length,
      missingFraction,
      mean: 0,
      std: 0,
      edges: [],
      proportions: [],
      quantiles: [],
      sample: [],
    };
  }
  const sorted = Float64Array.from(present).sort();
  const edges = quantileEdges(sorted, PSI_BINS);
  const kept = present.length <= sampleSize ? present : sample(present, sampleSize, seedrandom(`${options.seed ?? 0}:${name}`));
  return {
    name,
    count: values.length,
    missingFraction,
    mean: mean(present),
    std: present.length > 1 ? sampleStandardDeviation(present) : 0,
    edges,
    proportions: binProportions(sorted, edges),
    quantiles: SUMMARY_QUANTILES.map((p) => linearQuantileSorted(sorted, p)),
    sample: Array.from(Float64Array.from(kept).sort()),
  };
}

/** Column `column` of a row-major rows × width matrix. */
function columnOf(features: ArrayLike<number>, rows: number, width: number, column: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) out[r] = features[r * width + column];
  return out;
}

/**
 * Summarizes every feature column of a tabular training set and, when given, the model's predictions
 * and the outcomes on its validation rows (summarized under the names `prediction` and `outcome`).
 */
export function summarizeReference(
  data: Pick<TabularTrainingSet, 'featureNames' | 'features' | 'rows'>,
  validation: { predictions?: ArrayLike<number>; outcomes?: ArrayLike<number> } = {},
  options: SummaryOptions = {},
): ReferenceSummary {
  const width = data.featureNames.length;
  if (data.features.length !== data.rows * width) {
    throw new InvalidInputError(
      `features expects rows × featureNames.length = ${data.rows} × ${width} = ${data.rows * width} values, but got ${data.features.length}`,
      { field: 'features' },
    );
  }
  const summary: ReferenceSummary = {
    rows: data.rows,
    features: data.featureNames.map((name, j) => summarizeDistribution(name, columnOf(data.features, data.rows, width, j), options)),
  };
  if (validation.predictions) summary.predictions = summarizeDistribution('prediction', validation.predictions, options);
  if (validation.outcomes) summary.outcomes = summarizeDistribution('outcome', validation.outcomes, options);
  return summary;
}

export interface DriftMeasures {
  name: string;
  /** KS of the current non-missing values against the stored sample. */
  ks: KsResult;
  /** PSI of the current non-missing values under the stored edges and proportions. */
  psi: number;
  /** How many non-missing current values were compared. */
  count: number;
  /** The NaN share of the current values, to set beside the summary's `missingFraction`. */
  missingFraction: number;
}

/**
 * Measures how far `current` values have moved from a stored summary, without the training data: PSI
 * from the summary's edges and proportions (the same number `psi` gives on the full reference), KS
 * against its sample. NaN counts as missing; a summary or window without non-missing values is refused.
 */
export function measureDrift(summary: DistributionSummary, current: ArrayLike<number>): DriftMeasures {
  if (summary.sample.length === 0) {
    throw new InvalidInputError(`summary expects non-missing reference values for ${summary.name}, but every reference value was missing`, {
      field: 'summary',
    });
  }
  const present = presentValues(summary.name, current);
  if (present.length === 0) {
    throw new InvalidInputError(`current expects at least one non-missing value of ${summary.name}, but got ${current.length} missing`, {
      field: 'current',
    });
  }
  return {
    name: summary.name,
    ks: ksTwoSample(summary.sample, present),
    psi: psiFromProportions(summary.proportions, binProportions(present, summary.edges)),
    count: present.length,
    missingFraction: (current.length - present.length) / current.length,
  };
}
