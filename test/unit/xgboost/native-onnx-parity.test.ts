import { xgboostFamily } from '../../../src/plugins/xgboost';
import { Booster, DMatrix } from '../../../src/plugins/base/xgboost-engine/native';
import { xgboostHyperparameters } from '../../../src/plugins/base/xgboost-engine/params';
import { syntheticSet, trainContext } from './synthetic';

const TOLERANCE = 1e-5;

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Native predictions and margins of model.json on `features`. */
function nativeOutputs(modelJson: Uint8Array, features: Float32Array, rows: number, width: number) {
  const matrix = DMatrix.fromDense(features, rows, width);
  const booster = Booster.fromModel(modelJson);
  try {
    return { prediction: booster.predict(matrix), margin: booster.predict(matrix, { margin: true }) };
  } finally {
    booster.free();
    matrix.free();
  }
}

describe('a model trained here: native XGBoost and its ONNX agree', () => {
  it.each([
    ['reg:squarederror', 'regression'],
    ['reg:pseudohubererror', 'regression'],
    ['binary:logistic', 'binary'],
  ] as const)('%s', async (objective, task) => {
    const width = 6;
    const data = syntheticSet(3000, width, { seed: 3, task });
    const params = xgboostHyperparameters.parse({ objective, num_boost_round: 40, max_depth: 5, early_stopping_rounds: 0 });
    const trained = await xgboostFamily.train(data, params, trainContext());
    expect(trained.artifact.signature).toEqual({
      task,
      inputWidth: width,
      outputs: task === 'binary' ? ['probability', 'margin'] : ['prediction'],
      allowsMissing: true,
    });

    const scored = syntheticSet(2000, width, { seed: 4, task, missing: 0.1 });
    const native = nativeOutputs(trained.artifact.files['model.json'], scored.features, scored.rows, width);
    const predictor = await xgboostFamily.load(trained.artifact);
    try {
      const onnx = await predictor.predict(scored.features, scored.rows);
      const k = trained.artifact.signature.outputs.length;
      const column = (o: number) => Float32Array.from({ length: scored.rows }, (_, r) => onnx[r * k + o]);
      expect(maxAbsDifference(column(0), native.prediction)).toBeLessThanOrEqual(TOLERANCE);
      if (task === 'binary') expect(maxAbsDifference(column(1), native.margin)).toBeLessThanOrEqual(TOLERANCE);
      else expect(maxAbsDifference(column(0), native.margin)).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      await predictor.dispose();
    }
  });
});
