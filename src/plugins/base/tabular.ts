/**
 * The base every tabular family builds on. It owns what the leaf families share: validating the
 * training set, holding out a time-ordered validation tail (never shuffled: the model is judged on
 * rows later than any it learned from), scoring that tail through the artifact's own predictor, the
 * validation metrics and the reference summary. A leaf supplies only `fit` (call its library) and
 * `load` (its predictor):
 *
 *   trainTabular(data, { task, validationFraction, allowsMissing, seed, progress, refitOnAllRows }, { fit, load })
 *     1. validateTabularSet  — refuses a malformed set with an InvalidInputError naming the field
 *     2. splitValidationTail — the last ⌊rows × validationFraction⌋ rows (at least one when > 0)
 *     3. leaf.fit(split)     — may use split.validation for early stopping
 *     4. leaf.load(artifact) — scores the validation rows; outputs[0] is the prediction judged
 *     5. metrics (lib/metrics) and reference summary (lib/reference): features on the training rows,
 *        predictions and outcomes on the validation rows
 *     6. with refitOnAllRows: leaf.fit again on every row, validation tail included, with the capacity
 *        the first fit chose (e.g. the rounds early stopping kept). The latest rows are the ones that
 *        matter most after a regime change, and the held-out fit never learned them; the refit does.
 *        Its metrics stay the held-out fit's: an honest estimate, as no rows are left to judge it on
 *        (`learnedHeldOutRows`: the gate before SHADOW leaves such a candidate to the shadow tester).
 */
import { InvalidInputError } from '../../lib/errors';
import { taskMetrics } from '../../lib/metrics';
import { summarizeReference } from '../../lib/reference';
import type { ModelArtifact, Predictor, TabularTrainingSet, TrainContext, TrainedModel, TrainingSet } from '../contract';

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
  /** The training's progress (TrainContext.progress); shared between the passes when refitting. */
  progress(fraction: number, message?: string): void;
  /** Step 6 above. */
  refitOnAllRows?: boolean;
}

export interface TabularFit {
  artifact: ModelArtifact;
  featureImportance?: Record<string, number>;
  /** The capacity the fit chose on the validation tail, to refit with (e.g. boosting rounds added). */
  rounds?: number;
}

/** The options of a boosted-tree family's training from its shared parameters (base/hyperparameters treeTrainingParams). */
export function tabularOptions(
  task: TabularTask,
  params: { validation_fraction: number; refit_on_all_rows: boolean },
  ctx: Pick<TrainContext, 'seed' | 'progress'>,
): TabularOptions {
  return {
    task,
    validationFraction: params.validation_fraction,
    allowsMissing: true,
    seed: ctx.seed,
    progress: ctx.progress,
    refitOnAllRows: params.refit_on_all_rows,
  };
}

/** One pass of a leaf's fit. */
export interface FitPass {
  /** Set on the refit: the capacity the first pass chose. */
  rounds?: number;
  /** This pass's share of the training's progress. */
  progress(fraction: number, message?: string): void;
}

export interface TabularLeaf {
  fit(split: TabularSplit, pass: FitPass): Promise<TabularFit>;
  load(artifact: ModelArtifact): Promise<Predictor>;
}

const DEFAULT_MIN_TRAIN_ROWS = 10;

function refuse(field: string, message: string): never {
  throw new InvalidInputError(message, { field });
}

/** Checks shape and values of a training set; returns it as a tabular set. */
function validateTabularSet(data: TrainingSet, task: TabularTask, allowsMissing: boolean): TabularTrainingSet {
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
function splitValidationTail(data: TabularTrainingSet, validationFraction: number, minTrainRows = DEFAULT_MIN_TRAIN_ROWS): TabularSplit {
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
  const refit = options.refitOnAllRows === true && split.validation.rows > 0;
  const held = await leaf.fit(split, {
    progress: refit ? (fraction, message) => options.progress(fraction / 2, message) : options.progress,
  });
  const summaryOptions = { seed: options.seed };
  if (split.validation.rows === 0) {
    const trainFeatures = { featureNames: split.featureNames, features: split.train.features, rows: split.train.rows };
    return {
      artifact: held.artifact,
      metrics: {},
      featureImportance: held.featureImportance,
      reference: summarizeReference(trainFeatures, {}, summaryOptions),
    };
  }
  const predictor = await leaf.load(held.artifact);
  let predictions: Float32Array;
  try {
    predictions = await firstOutput(predictor, split.validation);
  } finally {
    await predictor.dispose();
  }
  const final = refit
    ? await leaf.fit(
        {
          featureNames: split.featureNames,
          train: { features: set.features, target: set.target, rows: set.rows },
          validation: { features: new Float32Array(0), target: new Float32Array(0), rows: 0 },
        },
        {
          rounds: held.rounds,
          progress: (fraction, message) => options.progress(0.5 + fraction / 2, `refit on all ${set.rows} rows: ${message ?? ''}`),
        },
      )
    : held;
  const trained = refit ? set : split.train;
  return {
    artifact: final.artifact,
    metrics: taskMetrics(options.task, predictions, split.validation.target),
    featureImportance: final.featureImportance,
    ...(refit ? { learnedHeldOutRows: true } : {}),
    reference: summarizeReference(
      { featureNames: split.featureNames, features: trained.features, rows: trained.rows },
      { predictions, outcomes: split.validation.target },
      summaryOptions,
    ),
  };
}
