/**
 * The held-out rows of a training, which the version was validated on and did not train on: for a
 * tabular one the latest `reference.outcomes.count` rows of its training set, for a sequence one its
 * validation windows. Retraining's learning event and the gate before SHADOW score other versions on
 * these same rows.
 */
import { gatherWindows, sequenceSplits, windowCount, windowTargets } from '../plugins/base/sequence/windows';
import type { Predictor, SequenceTrainingSet, TabularTrainingSet, TrainedModel } from '../plugins/contract';

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

/** The validation windows of a sequence training (they forecast only validation rows, which it did not train on). */
export interface HeldOutWindows {
  windows: number;
  /** windows × inputLength × input channels, time-major: what a sequence predictor scores. */
  inputs: Float32Array;
  /** windows × horizon × targets: the realised rows. */
  actuals: Float32Array;
}

export function heldOutWindows(set: SequenceTrainingSet): HeldOutWindows {
  const { validation } = sequenceSplits(set);
  const starts = Array.from({ length: windowCount(validation) }, (_, i) => validation[0] + i);
  const index = (names: string[]) => names.map((name) => set.channels.indexOf(name));
  return {
    windows: starts.length,
    inputs: gatherWindows(set, starts, index(set.inputChannels)),
    actuals: windowTargets(set, validation, index(set.targets)),
  };
}

/** Per window, the mean squared error of `predictor`'s forecast over every horizon step and target. */
export async function forecastLossesHeldOut(predictor: Predictor, held: HeldOutWindows): Promise<Float64Array> {
  const forecast = await predictor.predict(held.inputs, held.windows);
  const cells = held.actuals.length / held.windows;
  return Float64Array.from({ length: held.windows }, (_, w) => {
    let squared = 0;
    for (let i = w * cells; i < (w + 1) * cells; i++) squared += (forecast[i] - held.actuals[i]) ** 2;
    return squared / cells;
  });
}
