import { InvalidInputError } from '../../../src/lib/errors';
import type { ModelSignature } from '../../../src/plugins/contract';
import { encodeRow } from '../../../src/serving/serving.service';

const names = ['a', 'b', 'c'];
const signature = (allowsMissing: boolean): ModelSignature => ({
  task: 'regression',
  inputWidth: 3,
  outputs: ['prediction'],
  allowsMissing,
});

function encode(values: (number | null)[], allowsMissing = true): Float32Array {
  const row = new Float32Array(3);
  encodeRow(values, signature(allowsMissing), names, row, 0, 'features');
  return row;
}

describe('encodeRow', () => {
  it('writes float32 values and NaN for missing where the model allows it', () => {
    expect(Array.from(encode([1.5, null, -2]))).toEqual([1.5, NaN, -2]);
  });

  it('refuses a missing value where the model does not allow one, naming the feature', () => {
    expect(() => encode([1, null, 2], false)).toThrow(
      new InvalidInputError('features: feature "b" is missing, but this model does not accept missing values'),
    );
    expect(() => encode([NaN, 1, 2], false)).toThrow('feature "a" is missing');
  });

  it('refuses ±Inf and values beyond the float32 range', () => {
    expect(() => encode([Infinity, 0, 0])).toThrow('feature "a" expects a finite float32, but got Infinity');
    expect(() => encode([0, -Infinity, 0])).toThrow('feature "b" expects a finite float32');
    expect(() => encode([0, 0, -4e38])).toThrow('feature "c" expects a finite float32, but got -4e+38');
    expect(Array.from(encode([0, 0, 3.4e38]))[2]).toBeCloseTo(3.4e38, -32);
  });

  it('refuses a row of the wrong width, listing the expected features', () => {
    expect(() => encode([1, 2])).toThrow('features: expects 3 features (a, b, c), but got 2');
  });
});
