import fc from 'fast-check';
import { float32Threshold } from '../../../src/plugins/onnx/float-threshold';

/** The float32 values next to Math.fround(t): where rounding to nearest would branch differently. */
function neighbours(t: number): number[] {
  const f = new Float32Array([Math.fround(t)]);
  const bits = new Int32Array(f.buffer);
  const out: number[] = [];
  for (const step of [-2, -1, 0, 1, 2]) {
    const b = new Int32Array([bits[0] + step]);
    out.push(new Float32Array(b.buffer)[0]);
  }
  return out.filter(Number.isFinite);
}

describe('float32Threshold', () => {
  const doubles = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 });

  it('makes float32 x <= threshold agree with the double comparison (BRANCH_LEQ)', () => {
    fc.assert(
      fc.property(doubles, (t) => {
        const f = float32Threshold(t, 'BRANCH_LEQ');
        return Math.fround(f) === f && neighbours(t).every((x) => x <= f === x <= t);
      }),
      { numRuns: 5000 },
    );
  });

  it('makes float32 x < threshold agree with the double comparison (BRANCH_LT)', () => {
    fc.assert(
      fc.property(doubles, (t) => {
        const f = float32Threshold(t, 'BRANCH_LT');
        return Math.fround(f) === f && neighbours(t).every((x) => x < f === x < t);
      }),
      { numRuns: 5000 },
    );
  });

  it('keeps thresholds that are already float32, and steps across zero and infinity correctly', () => {
    expect(float32Threshold(0.5, 'BRANCH_LEQ')).toBe(0.5);
    expect(float32Threshold(Math.fround(0.1), 'BRANCH_LT')).toBe(Math.fround(0.1));
    // 0.1 as a double lies below its nearest float32, so `<=` must use the float below it
    expect(float32Threshold(0.1, 'BRANCH_LEQ')).toBeLessThan(Math.fround(0.1));
    expect(float32Threshold(0.1, 'BRANCH_LT')).toBe(Math.fround(0.1));
    expect(float32Threshold(1e-50, 'BRANCH_LT')).toBe(2 ** -149);
    expect(float32Threshold(-1e-50, 'BRANCH_LEQ')).toBe(-(2 ** -149));
    expect(float32Threshold(1e300, 'BRANCH_LEQ')).toBe(3.4028234663852886e38);
  });
});
