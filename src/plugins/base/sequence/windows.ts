/**
 * Windows of a sequence training set, by their start rows. A window starting at row s shows the model
 * rows [s, s + L) and asks for rows [s + L, s + L + H); it belongs to the split its forecast rows
 * fall in, so its inputs may reach back into the split before (the standard ETT protocol: the first
 * validation window forecasts the first validation row from the last L training rows).
 */
import { InvalidInputError } from '../../../lib/errors';
import type { SequenceTrainingSet } from '../../contract';

/** Window starts [first, end) of one split. */
export type StartRange = [first: number, end: number];

export interface SequenceSplits {
  train: StartRange;
  validation: StartRange;
  test: StartRange;
}

export function windowCount(range: StartRange): number {
  return Math.max(0, range[1] - range[0]);
}

/** Starts of the windows whose forecast rows lie in [from, to). */
function startsForecasting(from: number, to: number, inputLength: number, horizon: number): StartRange {
  const first = Math.max(0, from - inputLength);
  return [first, Math.max(first, to - inputLength - horizon + 1)];
}

export function sequenceSplits(set: SequenceTrainingSet): SequenceSplits {
  const { inputLength: L, horizon: H } = set;
  return {
    train: startsForecasting(0, set.trainEnd, L, H),
    validation: startsForecasting(set.trainEnd, set.validationEnd, L, H),
    test: startsForecasting(set.validationEnd, set.steps, L, H),
  };
}

/**
 * The boundaries of a series of `steps` rows split in time order: the last ⌊steps × testFraction⌋ rows
 * test, the ⌊steps × validationFraction⌋ before them validation, the rest training.
 */
export function splitBoundaries(
  steps: number,
  validationFraction: number,
  testFraction: number,
): { trainEnd: number; validationEnd: number } {
  const test = Math.floor(steps * testFraction);
  const validation = Math.floor(steps * validationFraction);
  return { trainEnd: steps - test - validation, validationEnd: steps - test };
}

const refuse = (field: string, message: string): never => {
  throw new InvalidInputError(message, { field });
};

/** Refuses a set that cannot train: bad shapes, unknown channels, non-finite values, a split without a window. */
export function checkSequenceSet(set: SequenceTrainingSet): SequenceSplits {
  const width = set.channels.length;
  if (set.kind !== 'sequence') refuse('data', `expects a sequence training set, but got a ${(set as { kind: string }).kind} one`);
  if (set.values.length !== set.steps * width) {
    refuse('data', `expects ${set.steps} steps × ${width} channels = ${set.steps * width} values, but got ${set.values.length}`);
  }
  if (set.inputChannels.length === 0) refuse('featureColumns', 'expects at least one input channel, but got none');
  for (const name of [...set.inputChannels, ...set.targets]) {
    if (!set.channels.includes(name)) refuse('featureColumns', `expects channel "${name}" among the series' ${set.channels.join(', ')}`);
  }
  if (set.targets.length === 0) refuse('targetColumns', 'expects at least one target channel, but got none');
  for (const name of set.targets) {
    if (!set.inputChannels.includes(name)) {
      refuse(
        'targetColumns',
        `expects each target to be an input channel too (the model reads its past), but "${name}" is not among featureColumns`,
      );
    }
  }
  for (let i = 0; i < set.values.length; i++) {
    if (!Number.isFinite(set.values[i])) {
      refuse(
        'data',
        `expects finite values, but channel "${set.channels[i % width]}" at step ${Math.floor(i / width)} is ${set.values[i]}`,
      );
    }
  }
  const splits = sequenceSplits(set);
  const fits = set.steps - set.inputLength - set.horizon + 1;
  if (fits < 1) {
    refuse(
      'hyperparameters.horizon',
      `expects at least input_length + horizon = ${set.inputLength + set.horizon} rows for one window, but the series has ${set.steps}; ` +
        `shorten input_length or horizon (at most ${Math.max(0, set.steps - set.inputLength)} with this input_length)`,
    );
  }
  if (windowCount(splits.train) < 1) {
    refuse(
      'hyperparameters.horizon',
      `expects the training rows (${set.trainEnd}) to hold at least one window of input_length + horizon = ${set.inputLength + set.horizon} rows; ` +
        'shorten input_length or horizon, or lower validation_fraction and test_fraction',
    );
  }
  if (set.validationEnd > set.trainEnd && windowCount(splits.validation) < 1) {
    refuse(
      'hyperparameters.validation_fraction',
      `expects the validation rows to end at least one window, but ${set.validationEnd - set.trainEnd} rows cannot`,
    );
  }
  return splits;
}

/** The columns `channels` of every step of the series, as their own steps × channels.length matrix. */
export function selectChannels(set: SequenceTrainingSet, channels: number[]): Float32Array {
  const width = set.channels.length;
  const out = new Float32Array(set.steps * channels.length);
  for (let t = 0, k = 0; t < set.steps; t++) for (const c of channels) out[k++] = set.values[t * width + c];
  return out;
}

/** Copies the windows starting at `starts` (their input rows, the given channels) into one [N, L, C] array. */
export function gatherWindows(set: SequenceTrainingSet, starts: ArrayLike<number>, channels: number[]): Float32Array {
  const width = set.channels.length;
  const out = new Float32Array(starts.length * set.inputLength * channels.length);
  let k = 0;
  for (let w = 0; w < starts.length; w++) {
    for (let t = starts[w], end = starts[w] + set.inputLength; t < end; t++) {
      for (const c of channels) out[k++] = set.values[t * width + c];
    }
  }
  return out;
}

/** The realised rows of the windows starting in `range`, [N, H, K] over the `targets` columns. */
export function windowTargets(set: SequenceTrainingSet, range: StartRange, targets: number[]): Float32Array {
  const width = set.channels.length;
  const out = new Float32Array(windowCount(range) * set.horizon * targets.length);
  let k = 0;
  for (let s = range[0]; s < range[1]; s++) {
    for (let t = s + set.inputLength, end = t + set.horizon; t < end; t++) {
      for (const c of targets) out[k++] = set.values[t * width + c];
    }
  }
  return out;
}
