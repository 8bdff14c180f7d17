import { InvalidInputError } from '../../../src/lib/errors';
import { computeLabels, forwardDirections, forwardReturns } from '../../../src/market/labels';

const bars = [100, 110, 99, 99, 120].map((close) => ({ close }));

describe('labels', () => {
  it('forward return at horizon h is close[t+h] / close[t] − 1, NaN where t + h is past the end', () => {
    expect(Array.from(forwardReturns(bars, 1))).toEqual([0.1, 99 / 110 - 1, 0, 120 / 99 - 1, NaN].map((x) => Math.fround(x)));
    expect(Array.from(forwardReturns(bars, 3))).toEqual([Math.fround(-0.01), Math.fround(120 / 110 - 1), NaN, NaN, NaN]);
    expect(Array.from(forwardReturns(bars, 5)).every(Number.isNaN)).toBe(true);
  });

  it('direction is 1 for a rise, 0 for a fall or a flat close, NaN past the end', () => {
    expect(Array.from(forwardDirections(bars, 1))).toEqual([1, 0, 0, 1, NaN]);
    expect(Array.from(computeLabels(bars, { kind: 'direction', horizon: 2 }))).toEqual([0, 0, 1, NaN, NaN]);
    expect(Array.from(computeLabels(bars, { kind: 'forward_return', horizon: 4 }))).toEqual([Math.fround(0.2), NaN, NaN, NaN, NaN]);
  });

  it.each([0, -1, 1.5, NaN])('refuses horizon %p', (horizon) => {
    expect(() => forwardReturns(bars, horizon)).toThrow(InvalidInputError);
    expect(() => forwardReturns(bars, horizon)).toThrow(/expects horizon to be an integer ≥ 1/);
  });

  it('refuses an unknown label kind', () => {
    expect(() => computeLabels(bars, { kind: 'sharpe' as 'direction', horizon: 1 })).toThrow(
      "expects a label kind of forward_return, direction, but got 'sharpe'",
    );
  });
});
