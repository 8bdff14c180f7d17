import { loadOnnxPredictor } from '../../../src/plugins/onnx/predictor';
import { buildTreeEnsembleModel, ensembleOutputNames } from '../../../src/plugins/onnx/tree-ensemble-model';
import { parseXGBoostModel } from '../../../src/plugins/base/xgboost-engine/model-json';
import { xgboostToEnsemble } from '../../../src/plugins/base/xgboost-engine/to-ensemble';
import { describeWithShared, readSharedText, readSharedJson } from '../../helpers/shared';

interface Expected {
  feature_names: string[];
  rows: Array<Array<number | null>>;
  margin: number[];
  prediction: number[];
}

describeWithShared('XGBoost fixtures → ONNX parity', () => {
  it.each(['regression', 'binary'])('%s: ONNX margins and predictions match XGBoost 1.7.4 within 1e-5', async (name) => {
    const model = parseXGBoostModel(new TextEncoder().encode(readSharedText('fixtures/xgboost', `${name}.json`)));
    const expected = readSharedJson<Expected>('fixtures/xgboost', `${name}.expected.json`);
    const ensemble = xgboostToEnsemble(model);
    const outputs = ensembleOutputNames(ensemble);
    const predictor = await loadOnnxPredictor(buildTreeEnsembleModel(ensemble), {
      task: name === 'binary' ? 'binary' : 'regression',
      inputWidth: model.numFeature,
      outputs,
      allowsMissing: true,
    });
    try {
      const width = expected.feature_names.length;
      const batch = Float32Array.from(expected.rows.flat(), (v) => (v === null ? NaN : v));
      const result = await predictor.predict(batch, expected.rows.length);
      const k = outputs.length;
      expected.rows.forEach((_, r) => {
        expect(result[r * k]).toBeCloseTo(expected.prediction[r], 5);
        if (name === 'binary') expect(result[r * k + 1]).toBeCloseTo(expected.margin[r], 5);
        else expect(result[r * k]).toBeCloseTo(expected.margin[r], 5);
      });
      expect(model.featureNames).toEqual(expected.feature_names);
      expect(width).toBe(model.numFeature);
    } finally {
      await predictor.dispose();
    }
  });
});
