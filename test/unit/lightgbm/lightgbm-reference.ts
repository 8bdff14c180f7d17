/**
 * LightGBM's own prediction rule, evaluated in double precision straight from the parsed text model:
 * a port of Tree::NumericalDecision (LightGBM 4.x, include/LightGBM/tree.h). Tests check it against
 * the fixtures made by the real LightGBM, then use it as the reference on rows the fixtures lack
 * (values at and around zero for missing type Zero).
 */
import type { LightGBMModel, LightGBMTree } from '../../../src/plugins/lightgbm/model-text';

const K_ZERO_THRESHOLD = Math.fround(1e-35);

function leafOf(tree: LightGBMTree, row: ArrayLike<number>): number {
  if (tree.numLeaves === 1) return 0;
  let node = 0;
  while (node >= 0) {
    let x = row[tree.splitFeature[node]];
    const { missingType, defaultLeft } = tree.split[node];
    if (Number.isNaN(x) && missingType !== 'NaN') x = 0;
    const isZero = x >= -K_ZERO_THRESHOLD && x <= K_ZERO_THRESHOLD;
    if ((missingType === 'Zero' && isZero) || (missingType === 'NaN' && Number.isNaN(x))) {
      node = defaultLeft ? tree.leftChild[node] : tree.rightChild[node];
    } else {
      node = x <= tree.threshold[node] ? tree.leftChild[node] : tree.rightChild[node];
    }
  }
  return ~node;
}

export function lightgbmRawScore(model: LightGBMModel, row: ArrayLike<number>): number {
  return model.trees.reduce((sum, tree) => sum + tree.leafValue[leafOf(tree, row)], 0);
}
