import seedrandom from 'seedrandom';
import { accuracy, auc, binaryMetrics, directionalAccuracy, logloss, mae, r2, regressionMetrics, rmse } from '../../../src/lib/metrics';
import { Booster, DMatrix } from '../../../src/plugins/base/xgboost-engine/native';

/**
 * XGBoost's own evaluation of fixed outputs: a booster with no trees predicts the base margin, so its
 * metrics score exactly the margins we hand it.
 */
function xgboostEvaluation(objective: string, metrics: string[], margins: Float32Array, labels: Float32Array) {
  const matrix = DMatrix.fromDense(new Float32Array(labels.length), labels.length, 1, labels);
  const booster = Booster.create([matrix]);
  try {
    matrix.setFloatInfo('base_margin', margins);
    booster.setParam('objective', objective);
    for (const metric of metrics) booster.setParam('eval_metric', metric);
    const line = booster.evalOneIter(0, [{ name: 'data', matrix }]);
    return Object.fromEntries(metrics.map((m) => [m, Number(new RegExp(`data-${m}:(\\S+)`).exec(line)![1])]));
  } finally {
    booster.free();
    matrix.free();
  }
}

describe('validation metrics', () => {
  const random = seedrandom('metrics');
  const n = 2000;
  const labels = Float32Array.from({ length: n }, () => random() * 2 - 1);
  const predictions = Float32Array.from(labels, (y) => y + (random() - 0.5) * 0.8);

  it('rmse and mae equal XGBoost’s', () => {
    const expected = xgboostEvaluation('reg:squarederror', ['rmse', 'mae'], predictions, labels);
    expect(rmse(predictions, labels)).toBeCloseTo(expected.rmse, 7);
    expect(mae(predictions, labels)).toBeCloseTo(expected.mae, 7);
  });

  it('logloss and auc equal XGBoost’s, ties included', () => {
    const margins = Float32Array.from({ length: n }, () => Math.round((random() * 6 - 3) * 4) / 4); // many ties
    const outcomes = Float32Array.from(margins, (m) => (random() < 1 / (1 + Math.exp(-m)) ? 1 : 0));
    const probabilities = Float32Array.from(margins, (m) => 1 / (1 + Math.exp(-m)));
    const expected = xgboostEvaluation('binary:logistic', ['logloss', 'auc', 'error'], margins, outcomes);
    expect(logloss(probabilities, outcomes)).toBeCloseTo(expected.logloss, 6);
    expect(auc(probabilities, outcomes)).toBeCloseTo(expected.auc, 6);
    expect(accuracy(probabilities, outcomes)).toBeCloseTo(1 - expected.error, 6);
  });

  it('r2 and directional accuracy on hand-checked values', () => {
    expect(r2([1, 2, 3, 4], [1, 2, 3, 4])).toBe(1);
    // SS_res = 0.25 × 4 = 1, SS_tot = 5 → 0.8
    expect(r2([1.5, 1.5, 3.5, 3.5], [1, 2, 3, 4])).toBeCloseTo(0.8, 12);
    expect(directionalAccuracy([0.1, -0.2, 0.3, 0.4], [1, 1, 2, -1])).toBe(0.5);
    // an outcome of exactly 0 has no direction and is not counted
    expect(directionalAccuracy([0.1, -0.2, 5], [1, -1, 0])).toBe(1);
  });

  it('leaves out metrics that are undefined on the rows rather than reporting NaN', () => {
    expect(regressionMetrics([1, 2, 3], [2, 2, 2])).toEqual({ rmse: Math.sqrt(2 / 3), mae: 2 / 3, directional_accuracy: 1 });
    expect(Object.keys(regressionMetrics([0.1, -0.1], [0, 0]))).toEqual(['rmse', 'mae']);
    expect(Object.keys(binaryMetrics([0.2, 0.9], [1, 1]))).toEqual(['logloss', 'accuracy']);
  });

  it('refuses unpaired or empty inputs', () => {
    expect(() => rmse([1, 2], [1])).toThrow('expects as many predictions as outcomes, but got 2 and 1');
    expect(() => mae([], [])).toThrow('expects at least one row');
  });
});
