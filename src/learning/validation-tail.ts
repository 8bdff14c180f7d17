/**
 * The held-out rows of a tabular training: the latest `reference.outcomes.count` rows of its training
 * set, which the version was validated on and did not train on. Retraining's learning event and the
 * gate before SHADOW score other versions on these same rows.
 */
import type { Predictor, TabularTrainingSet, TrainedModel } from '../plugins/contract';

/** Rows at the end of the training set that `trained` held out (0 when it held out none). */
export function heldOutRows(trained: TrainedModel): number {
  return trained.reference?.outcomes?.count ?? 0;
}

/** `predictor`'s first output on the last `rows` rows of `set`. */
export async function predictHeldOut(predictor: Predictor, set: TabularTrainingSet, rows: number): Promise<Float32Array> {
  const width = set.featureNames.length;
  const from = set.rows - rows;
  const outputs = await predictor.predict(set.features.subarray(from * width, set.rows * width), rows);
  const stride = predictor.signature.outputs.length;
  return Float32Array.from({ length: rows }, (_, r) => outputs[r * stride]);
}

/** The realised values of the last `rows` rows of `set`. */
export function heldOutTargets(set: TabularTrainingSet, rows: number): Float32Array {
  return set.target.subarray(set.rows - rows);
}
