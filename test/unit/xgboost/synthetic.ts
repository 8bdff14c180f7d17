import seedrandom from 'seedrandom';
import type { TabularTrainingSet, TrainContext } from '../../../src/plugins/contract';

/**
 * A seeded, time-ordered tabular set: y depends non-linearly on the first three features, about 5% of
 * feature values are missing (NaN). For 'binary' the target is 1 when the noisy score is positive.
 */
export function syntheticSet(
  rows: number,
  width: number,
  options: { seed?: number; task?: 'regression' | 'binary'; missing?: number } = {},
): TabularTrainingSet {
  const random = seedrandom(`synthetic:${options.seed ?? 1}`);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const features = new Float32Array(rows * width);
  const target = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < width; j++) features[r * width + j] = normal();
    const x = features.subarray(r * width, (r + 1) * width);
    const score = 1.5 * x[0] - x[1] * x[1] + (x[2] > 0.3 ? 1 : -0.5) + 0.3 * normal();
    target[r] = options.task === 'binary' ? (score > 0 ? 1 : 0) : score;
    for (let j = 0; j < width; j++) if (random() < (options.missing ?? 0.05)) x[j] = NaN;
  }
  return { kind: 'tabular', featureNames: Array.from({ length: width }, (_, j) => `f${j}`), features, target, rows };
}

export interface RecordingContext extends TrainContext {
  progressCalls: Array<{ fraction: number; message?: string }>;
  logs: string[];
}

export function trainContext(signal: AbortSignal = new AbortController().signal): RecordingContext {
  const progressCalls: RecordingContext['progressCalls'] = [];
  const logs: string[] = [];
  return {
    signal,
    progress: (fraction, message) => progressCalls.push({ fraction, message }),
    log: (message) => logs.push(message),
    seed: 7,
    threads: 1,
    progressCalls,
    logs,
  };
}
