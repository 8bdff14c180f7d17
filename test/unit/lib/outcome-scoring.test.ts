import { InvalidInputError } from '../../../src/lib/errors';
import { lossName, scoreOutcomes, validationBaseline } from '../../../src/monitoring/outcome-scoring';

describe('scoreOutcomes', () => {
  it('scores a regression model by squared error and trades its sign', () => {
    const scored = scoreOutcomes('regression', [
      { prediction: 0.02, actual: 0.01 },
      { prediction: -0.01, actual: 0.03 },
      { prediction: 0, actual: 0.02 },
    ]);
    expect(scored.directions).toEqual([
      { prediction: 0.02, outcome: 0.01 },
      { prediction: -0.01, outcome: 0.03 },
      { prediction: 0, outcome: 0.02 },
    ]);
    expect(Array.from(scored.targets)).toEqual([0.01, 0.03, 0.02]);
    expect(scored.losses[0]).toBeCloseTo(0.0001, 15);
    expect(scored.losses[1]).toBeCloseTo(0.0016, 15);
    expect(scored.losses[2]).toBeCloseTo(0.0004, 15);
    expect(scored.tradeReturns).toEqual([0.01, -0.03, 0]);
    expect(lossName('regression')).toBe('squared_error');
  });

  it('reads a binary model’s 0/1 outcomes as labels: log loss, direction p − 0.5, no trade returns', () => {
    const scored = scoreOutcomes('binary', [
      { prediction: 0.8, actual: 1 },
      { prediction: 0.3, actual: 1 },
      { prediction: 0.6, actual: 0 },
    ]);
    expect(scored.directions.map((pair) => [pair.prediction, pair.outcome])).toEqual([
      [expect.closeTo(0.3, 12), 0.5],
      [expect.closeTo(-0.2, 12), 0.5],
      [expect.closeTo(0.1, 12), -0.5],
    ]);
    expect(scored.losses[0]).toBeCloseTo(-Math.log(0.8), 12);
    expect(scored.losses[1]).toBeCloseTo(-Math.log(0.3), 12);
    expect(scored.losses[2]).toBeCloseTo(-Math.log(0.4), 12);
    expect(scored.tradeReturns).toBeNull();
    // still a won or lost call each: long a rise, short a rise, long a fall
    expect(Array.from(scored.directionReturns)).toEqual([0.5, -0.5, -0.5]);
    expect(lossName('binary')).toBe('log_loss');
  });

  it('reads a binary model’s other outcomes as realised returns whose sign is the label', () => {
    const scored = scoreOutcomes('binary', [
      { prediction: 0.7, actual: 0.02 },
      { prediction: 0.4, actual: 0.01 },
      { prediction: 0.2, actual: -0.03 },
    ]);
    expect(Array.from(scored.targets)).toEqual([1, 1, 0]);
    expect(scored.losses[2]).toBeCloseTo(-Math.log(0.8), 12);
    expect(scored.tradeReturns).toEqual([0.02, -0.01, 0.03]);
  });

  it('has no trade returns when a realised value is below −1 (not a simple return)', () => {
    expect(scoreOutcomes('regression', [{ prediction: 1, actual: -3 }]).tradeReturns).toBeNull();
  });

  it('refuses non-finite values and binary outputs outside [0, 1], naming the pair', () => {
    expect(() => scoreOutcomes('regression', [{ prediction: NaN, actual: 0 }])).toThrow(InvalidInputError);
    expect(() =>
      scoreOutcomes('binary', [
        { prediction: 0.5, actual: 1 },
        { prediction: 1.5, actual: 1 },
      ]),
    ).toThrow('outcomes expects probabilities in [0, 1] from a binary model, but got 1.5 at index 1');
  });
});

describe('validationBaseline', () => {
  it('takes the directional accuracy and rmse² of a regression version', () => {
    expect(validationBaseline('regression', { rmse: 0.02, directional_accuracy: 0.58 })).toEqual({
      hitRate: 0.58,
      meanLoss: expect.closeTo(0.0004, 15),
    });
  });
  it('takes the accuracy and log loss of a binary version', () => {
    expect(validationBaseline('binary', { logloss: 0.66, accuracy: 0.6 })).toEqual({ hitRate: 0.6, meanLoss: 0.66 });
  });
  it('is null where the metric is missing', () => {
    expect(validationBaseline('regression', {})).toEqual({ hitRate: null, meanLoss: null });
  });
});
