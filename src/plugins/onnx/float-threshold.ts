/**
 * ONNX TreeEnsemble thresholds are float32 and compared against float32 inputs, while the IR holds
 * doubles (LightGBM writes double thresholds). Rounding to nearest would flip rows that fall between
 * the double and its float: for `x <= t` the float threshold must be the largest float ≤ t, for
 * `x < t` the smallest float ≥ t. Then every float32 x branches as the double comparison would.
 */
import type { BranchMode } from './tree-ensemble';

const f32 = new Float32Array(1);
const bits = new Int32Array(f32.buffer);

/** The next float32 after the float32 `value` towards +∞ (up) or −∞ (down). */
function stepFloat32(value: number, direction: 1 | -1): number {
  if (Number.isNaN(value) || value === direction * Infinity) return value;
  if (value === 0) return direction * 2 ** -149;
  f32[0] = value;
  // For positive floats the bit pattern grows with the value; for negative ones it shrinks.
  bits[0] += value > 0 === direction > 0 ? 1 : -1;
  return f32[0];
}

/** The float32 threshold that makes `float32(x) mode threshold` agree with the double comparison. */
export function float32Threshold(threshold: number, mode: BranchMode): number {
  const nearest = Math.fround(threshold);
  if (mode === 'BRANCH_LEQ' && nearest > threshold) return stepFloat32(nearest, -1);
  if (mode === 'BRANCH_LT' && nearest < threshold) return stepFloat32(nearest, 1);
  return nearest;
}
