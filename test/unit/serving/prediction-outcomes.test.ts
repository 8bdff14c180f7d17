/**
 * joinOutcomes: the predictions ⨝ outcomes join (serving/prediction-outcomes.ts). The queries built on it
 * run in test/integration/learning/drift.test.ts, health.test.ts and shadow-testing.test.ts, and in
 * test/integration/trading/trades.test.ts (the predictions listing).
 */
import { joinOutcomes } from '../../../src/serving/prediction-outcomes';

describe('joinOutcomes', () => {
  it("joins a prediction p to its request's outcome on the prediction's model", () => {
    expect(joinOutcomes()).toBe('JOIN request_outcomes o ON o.registered_model_id = p.registered_model_id AND o.request_id = p.request_id');
  });

  it('keeps the predictions without an outcome as a LEFT JOIN', () => {
    expect(joinOutcomes({ left: true })).toBe(
      'LEFT JOIN request_outcomes o ON o.registered_model_id = p.registered_model_id AND o.request_id = p.request_id',
    );
  });

  it('names another predictions alias, and a model id the query has as a parameter', () => {
    expect(joinOutcomes({ prediction: 's', model: '$1' })).toBe(
      'JOIN request_outcomes o ON o.registered_model_id = $1 AND o.request_id = s.request_id',
    );
  });
});
