import { InvalidInputError } from '../../../src/lib/errors';
import { combineForecasts, probabilityUp } from '../../../src/trading/trade-signal';

describe('combineForecasts', () => {
  it('turns a regression forecast into Φ(μ/σ) (hand values from the normal table)', () => {
    // Φ(1) = 0.841344746, Φ(−0.5) = 0.308537539
    expect(probabilityUp({ horizon: 1, task: 'regression', expectedReturn: 0.01, errorScale: 0.01 })).toBeCloseTo(0.841344746, 8);
    expect(probabilityUp({ horizon: 5, task: 'regression', expectedReturn: -0.01, errorScale: 0.02 })).toBeCloseTo(0.308537539, 8);
  });

  it('averages the horizons: agreement gives a confident LONG, disagreement pulls towards 0.5', () => {
    const agree = combineForecasts([
      { horizon: 1, task: 'regression', expectedReturn: 0.01, errorScale: 0.01 },
      { horizon: 5, task: 'binary', probabilityUp: 0.75 },
    ]);
    expect(agree.direction).toBe('LONG');
    expect(agree.probabilityUp).toBeCloseTo((0.841344746 + 0.75) / 2, 8);
    expect(agree.confidence).toBeCloseTo(agree.probabilityUp, 15);
    expect(agree.horizons.map((h) => h.horizon)).toEqual([1, 5]);

    const disagree = combineForecasts([
      { horizon: 1, task: 'regression', expectedReturn: 0.01, errorScale: 0.01 },
      { horizon: 5, task: 'regression', expectedReturn: -0.01, errorScale: 0.02 },
    ]);
    expect(disagree.probabilityUp).toBeCloseTo((0.841344746 + 0.308537539) / 2, 8);
    expect(disagree.confidence).toBeLessThan(agree.confidence);
  });

  it('calls SHORT below 0.5 (confidence 1 − p) and FLAT at exactly 0.5', () => {
    const short = combineForecasts([{ horizon: 1, task: 'binary', probabilityUp: 0.2 }]);
    expect(short).toMatchObject({ direction: 'SHORT', probabilityUp: 0.2, confidence: 0.8 });
    expect(combineForecasts([{ horizon: 1, task: 'regression', expectedReturn: 0, errorScale: 0.01 }])).toMatchObject({
      direction: 'FLAT',
      confidence: 0.5,
    });
  });

  it('refuses no forecasts, a probability outside [0, 1] and a non-positive error scale', () => {
    expect(() => combineForecasts([])).toThrow(new InvalidInputError('expects at least one horizon forecast, but got none'));
    expect(() => combineForecasts([{ horizon: 1, task: 'binary', probabilityUp: 1.2 }])).toThrow(
      'expects forecasts[0].probabilityUp in [0, 1], but got 1.2',
    );
    expect(() =>
      combineForecasts([
        { horizon: 1, task: 'binary', probabilityUp: 0.6 },
        { horizon: 2, task: 'regression', expectedReturn: 0.1, errorScale: 0 },
      ]),
    ).toThrow('expects forecasts[1].errorScale to be a finite number > 0, but got 0');
  });
});
