/**
 * The preprocessing graph for LightGBM's missing type Zero: on the listed features a value with
 * |x| ≤ kZeroThreshold becomes NaN, so that the tree ensemble sends it along the split's default
 * branch, as LightGBM does. NaN stays NaN (LightGBM reads it as 0, which is such a value); other
 * features pass through unchanged.
 *
 *   features ─ Abs ─ LessOrEqual(kZeroThreshold) ─ And(feature mask) ─ Where(·, NaN, features)
 */
import { boolConstant, floatConstant, type GraphPart, node } from '../onnx/graph';

/** LightGBM's kZeroThreshold (a float: 1e-35f), compared against |x|. */
export const ZERO_THRESHOLD = Math.fround(1e-35);

const ZERO_AS_MISSING_OUTPUT = 'features_zero_as_missing';

export function zeroAsMissingGraph(input: string, featureCount: number, features: readonly number[]): GraphPart {
  const mask = Array.from({ length: featureCount }, (_, f) => features.includes(f));
  return {
    nodes: [
      node({ opType: 'Abs', inputs: [input], outputs: ['zam_abs'] }),
      node({ opType: 'LessOrEqual', inputs: ['zam_abs', 'zam_zero_threshold'], outputs: ['zam_near_zero'] }),
      node({ opType: 'And', inputs: ['zam_near_zero', 'zam_feature_mask'], outputs: ['zam_to_missing'] }),
      node({ opType: 'Where', inputs: ['zam_to_missing', 'zam_nan', input], outputs: [ZERO_AS_MISSING_OUTPUT] }),
    ],
    initializers: [
      floatConstant('zam_zero_threshold', [ZERO_THRESHOLD], []),
      floatConstant('zam_nan', [NaN], []),
      boolConstant('zam_feature_mask', mask),
    ],
    output: ZERO_AS_MISSING_OUTPUT,
  };
}
