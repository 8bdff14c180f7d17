/**
 * The base every tabular family builds on. It owns what the leaf families share: validating the
 * training set, holding out a time-ordered validation tail (never shuffled: the model is judged on
 * rows later than any it learned from), scoring that tail through the artifact's own predictor, the
 * validation metrics and the reference summary. A leaf supplies only `fit` (call its library) and
 * `load` (its predictor):
 *
 *   trainTabular(data, { task, validationFraction, allowsMissing, seed }, { fit, load })
 *     1. validateTabularSet  — refuses a malformed set with an InvalidInputError naming the field
 *     2. splitValidationTail — the last ⌊rows × validationFraction⌋ rows (at least one when > 0)
 *     3. leaf.fit(split)     — may use split.validation for early stopping
 *     4. leaf.load(artifact) — scores the validation rows; outputs[0] is the prediction judged
 *     5. metrics (lib/metrics) and reference summary (lib/reference): features on the training rows,
 *        predictions and outcomes on the validation rows
 */
import { InvalidInputError } from '../../lib/errors';
import { taskMetrics } from '../../lib/metrics';
import { summarizeReference } from '../../lib/reference';
import type { ModelArtifact, Predictor, TabularTrainingSet, TrainedModel, TrainingSet } from '../contract';

export type TabularTask = 'regression' | 'binary';

export interface TabularRows {
  /** rows × width, row-major; NaN = missing where the family allows it. */
  features: Float32Array;
  target: Float32Array;
  rows: number;
}

export interface TabularSplit {
  featureNames: string[];
  train: TabularRows;
  /** The time-ordered tail; `rows` is 0 when validationFraction is 0. */
  validation: TabularRows;
}

export interface TabularOptions {
  task: TabularTask;
  /** Share of the latest rows held out, in [0, 0.5]. */
  validationFraction: number;
  allowsMissing: boolean;
  /** Seeds the reference summary's samples. */
  seed: number;
  /** Fewest training rows left after the tail is held out (default 10). */
  minTrainRows?: number;
}

export interface TabularFit {
  artifact: ModelArtifact;
  featureImportance?: Record<string, number>;
}

export interface TabularLeaf {
  fit(split: TabularSplit): Promise<TabularFit>;
  load(artifact: ModelArtifact): Promise<Predictor>;
}

const DEFAULT_MIN_TRAIN_ROWS = 10;

function refuse(field: string, message: string): never {
  throw new InvalidInputError(message, { field });
}

/** Checks shape and values of a training set; returns it as a tabular set. */
export function validateTabularSet(data: TrainingSet, task: TabularTask, allowsMissing: boolean): TabularTrainingSet {
  if (data.kind !== 'tabular') refuse('data', `expects a tabular training set, but got a ${data.kind} one`);
  const { featureNames, features, target, rows } = data;
  const width = featureNames.length;
  if (width === 0) refuse('featureNames', 'expects at least one feature name, but got none');
  const duplicate = featureNames.find((name, i) => featureNames.indexOf(name) !== i);
  if (duplicate !== undefined) refuse('featureNames', `expects unique feature names, but "${duplicate}" appears twice`);
  if (!Number.isInteger(rows) || rows < 1) refuse('rows', `expects a positive whole number of rows, but got ${rows}`);
  if (features.length !== rows * width) {
    refuse('features', `expects rows × featureNames.length = ${rows} × ${width} = ${rows * width} values, but got ${features.length}`);
  }
  if (target.length !== rows) refuse('target', `expects one target per row (${rows}), but got ${target.length}`);
  for (let i = 0; i < features.length; i++) {
    const v = features[i];
    if (Number.isFinite(v) || (allowsMissing && Number.isNaN(v))) continue;
    const where = `row ${Math.floor(i / width)}, feature "${featureNames[i % width]}"`;
    refuse('features', `expects finite feature values${allowsMissing ? ' or NaN (missing)' : ''}, but got ${v} at ${where}`);
  }
  for (let r = 0; r < rows; r++) {
    const y = target[r];
    if (!Number.isFinite(y)) refuse('target', `expects finite targets, but got ${y} at row ${r}`);
    if (task === 'binary' && y !== 0 && y !== 1) refuse('target', `expects binary targets 0 or 1, but got ${y} at row ${r}`);
  }
  return data;
}

/** Holds out the latest rows as the validation tail; the order of rows is kept. */
export function splitValidationTail(
  data: TabularTrainingSet,
  validationFraction: number,
  minTrainRows = DEFAULT_MIN_TRAIN_ROWS,
): TabularSplit {
  if (!(validationFraction >= 0 && validationFraction <= 0.5)) {
    refuse('validation_fraction', `expects a validation fraction in [0, 0.5], but got ${validationFraction}`);
  }
  const width = data.featureNames.length;
  const validationRows = validationFraction > 0 ? Math.max(1, Math.floor(data.rows * validationFraction)) : 0;
  const trainRows = data.rows - validationRows;
  if (trainRows < minTrainRows) {
    refuse(
      'rows',
      `expects at least ${minTrainRows} training rows after holding out the ${validationRows}-row validation tail, ` +
        `but got ${data.rows} rows in total`,
    );
  }
  const rowsOf = (from: number, to: number): TabularRows => ({
    features: data.features.subarray(from * width, to * width),
    target: data.target.subarray(from, to),
    rows: to - from,
  });
  return { featureNames: data.featureNames, train: rowsOf(0, trainRows), validation: rowsOf(trainRows, data.rows) };
}

/** outputs[0] of `predictor` for every row of `rows`. */
async function firstOutput(predictor: Predictor, rows: TabularRows): Promise<Float32Array> {
  const all = await predictor.predict(rows.features, rows.rows);
  const k = predictor.signature.outputs.length;
  return k === 1 ? all : Float32Array.from({ length: rows.rows }, (_, r) => all[r * k]);
}

export async function trainTabular(data: TrainingSet, options: TabularOptions, leaf: TabularLeaf): Promise<TrainedModel> {
  const set = validateTabularSet(data, options.task, options.allowsMissing);
  const split = splitValidationTail(set, options.validationFraction, options.minTrainRows);
  const { artifact, featureImportance } = await leaf.fit(split);
  const summaryOptions = { seed: options.seed };
  const trainFeatures = { featureNames: split.featureNames, features: split.train.features, rows: split.train.rows };
  if (split.validation.rows === 0) {
    return { artifact, metrics: {}, featureImportance, reference: summarizeReference(trainFeatures, {}, summaryOptions) };
  }
  const predictor = await leaf.load(artifact);
  try {
    const predictions = await firstOutput(predictor, split.validation);
    return {
      artifact,
      metrics: taskMetrics(options.task, predictions, split.validation.target),
      featureImportance,
      reference: summarizeReference(
        trainFeatures,
        { predictions, outcomes: split.validation.target },
        summaryOptions,
      ),
    };
  } finally {
    await predictor.dispose();
  }
}
