/**
 * runTraining keeps its threads between jobs: trainings back to back, a refused one between them,
 * and one aborted by its caller each leave the next training working.
 */
import { runTraining, TrainingAbortedError, type TrainingRequest } from '../../../src/learning/training-runner';
import type { TabularTrainingSet } from '../../../src/plugins/contract';

function tabularSet(rows: number): TabularTrainingSet {
  const width = 3;
  const features = new Float32Array(rows * width).map((_, i) => ((i * 7919) % 101) / 101);
  const target = new Float32Array(rows).map((_, r) => 2 * features[r * width] - features[r * width + 1]);
  return { kind: 'tabular', featureNames: ['a', 'b', 'c'], features, target, rows };
}

function request(overrides: Partial<TrainingRequest> = {}): TrainingRequest {
  return { familyId: 'xgboost', plugins: [], data: tabularSet(400), params: { num_boost_round: 20 }, seed: 1, threads: 1, ...overrides };
}

const callbacks = () => ({ signal: new AbortController().signal, onProgress: () => undefined });

it('trains again and again, and a refused or aborted training does not spoil the next', async () => {
  const first = await runTraining(request(), callbacks());
  expect(first.artifact.files['model.onnx'].byteLength).toBeGreaterThan(0);

  await expect(runTraining(request({ params: { no_such_parameter: 1 } }), callbacks())).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });

  const aborted = new AbortController();
  const abortedRun = runTraining(request({ data: tabularSet(20_000), params: { num_boost_round: 2_000, early_stopping_rounds: 0 } }), {
    signal: aborted.signal,
    onProgress: () => aborted.abort(new Error('stop')),
  });
  await expect(abortedRun).rejects.toBeInstanceOf(TrainingAbortedError);

  const second = await runTraining(request(), callbacks());
  const third = await runTraining(request(), callbacks());
  // Same data, same seed: the kept thread trains exactly as a fresh one did.
  expect(Buffer.from(second.artifact.files['model.onnx']).equals(Buffer.from(first.artifact.files['model.onnx']))).toBe(true);
  expect(Buffer.from(third.artifact.files['model.onnx']).equals(Buffer.from(first.artifact.files['model.onnx']))).toBe(true);
});
