/**
 * LightGBM model → TreeEnsemble IR. LightGBM sends a row left when x ≤ threshold (BRANCH_LEQ), and
 * per split by its missing type (LightGBM's Tree::NumericalDecision):
 *   NaN:  a NaN follows default_left;
 *   None: a NaN is read as 0, so it goes left exactly when 0 ≤ threshold;
 *   Zero: a NaN is read as 0, and any |x| ≤ 1e-35 (kZeroThreshold) follows default_left.
 * The ensemble node only knows "NaN follows the default", so for Zero the caller puts a small
 * preprocessing graph in front (zero-as-missing.ts) that turns |x| ≤ 1e-35 into NaN on exactly the
 * features whose splits use it. LightGBM decides the missing type per feature (its bin mapper), so all
 * splits on one feature share it; a file that mixes Zero with another type on one feature is refused.
 *
 * Leaves are taken as stored: LightGBM writes them with the learning rate applied and the initial
 * score folded into the first tree, so the margin is Σ leaves (base score 0).
 */
import { InvalidInputError } from '../../lib/errors';
import type { TreeArrays, TreeEnsemble } from '../onnx/tree-ensemble';
import type { LightGBMModel, LightGBMTree, MissingType } from './model-text';

export interface LightGBMEnsemble {
  ensemble: TreeEnsemble;
  /** Feature indexes whose splits use missing type Zero (ascending). */
  zeroAsMissingFeatures: number[];
}

/** Inner nodes keep their ids 0…numLeaves−2; leaf k becomes node numLeaves−1+k. */
function toTreeArrays(tree: LightGBMTree): TreeArrays {
  const inner = tree.numLeaves - 1;
  const nodeId = (child: number) => (child >= 0 ? child : inner + ~child);
  const size = inner + tree.numLeaves;
  const arrays: TreeArrays = {
    featureIndex: new Array<number>(size).fill(0),
    threshold: new Array<number>(size).fill(0),
    left: new Array<number>(size).fill(-1),
    right: new Array<number>(size).fill(-1),
    defaultLeft: new Array<boolean>(size).fill(false),
    leafValue: new Array<number>(size).fill(0),
  };
  for (let i = 0; i < inner; i++) {
    const { missingType, defaultLeft } = tree.split[i];
    arrays.featureIndex[i] = tree.splitFeature[i];
    arrays.threshold[i] = tree.threshold[i];
    arrays.left[i] = nodeId(tree.leftChild[i]);
    arrays.right[i] = nodeId(tree.rightChild[i]);
    arrays.defaultLeft[i] = missingType === 'None' ? 0 <= tree.threshold[i] : defaultLeft;
  }
  tree.leafValue.forEach((value, k) => (arrays.leafValue[inner + k] = value));
  return arrays;
}

function missingTypesByFeature(model: LightGBMModel): Map<number, Set<MissingType>> {
  const byFeature = new Map<number, Set<MissingType>>();
  for (const tree of model.trees) {
    tree.splitFeature.forEach((f, i) => {
      const types = byFeature.get(f) ?? new Set<MissingType>();
      types.add(tree.split[i].missingType);
      byFeature.set(f, types);
    });
  }
  return byFeature;
}

export function lightgbmToEnsemble(model: LightGBMModel): LightGBMEnsemble {
  const zeroAsMissingFeatures: number[] = [];
  for (const [feature, types] of missingTypesByFeature(model)) {
    if (!types.has('Zero')) continue;
    if (types.size > 1) {
      throw new InvalidInputError(
        `expects every split on one feature to share its missing type (LightGBM sets it per feature), but feature ${feature} ` +
          `(${model.featureNames[feature]}) mixes ${[...types].join(' and ')}`,
        { field: 'model.txt' },
      );
    }
    zeroAsMissingFeatures.push(feature);
  }
  const { objective } = model;
  return {
    ensemble: {
      featureCount: model.featureNames.length,
      mode: 'BRANCH_LEQ',
      baseScore: 0,
      postTransform: objective.task === 'binary' ? 'LOGISTIC' : 'NONE',
      ...(objective.task === 'binary' ? { logisticScale: objective.sigmoid } : {}),
      trees: model.trees.map(toTreeArrays),
    },
    zeroAsMissingFeatures: zeroAsMissingFeatures.sort((a, b) => a - b),
  };
}
