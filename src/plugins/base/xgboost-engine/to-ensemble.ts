/**
 * XGBoost JSON model → TreeEnsemble IR. XGBoost sends a row left when x < split_condition (BRANCH_LT)
 * and along default_left when x is missing; a leaf's value is its split_condition. The margin is the
 * base score in margin space plus the leaves, so for binary:logistic the stored base score (a
 * probability) becomes its logit.
 */
import type { TreeArrays, TreeEnsemble } from '../../onnx/tree-ensemble';
import type { XGBoostModel, XGBoostTree } from './model-json';

function toTreeArrays(tree: XGBoostTree): TreeArrays {
  const leaf = (i: number) => tree.left_children[i] === -1;
  return {
    featureIndex: tree.split_indices.map((f, i) => (leaf(i) ? 0 : f)),
    threshold: tree.split_conditions.map((c, i) => (leaf(i) ? 0 : c)),
    left: tree.left_children.slice(),
    right: tree.right_children.slice(),
    defaultLeft: tree.default_left.map((d) => d === true || d === 1),
    leafValue: tree.split_conditions.map((c, i) => (leaf(i) ? c : 0)),
  };
}

export function xgboostToEnsemble(model: XGBoostModel): TreeEnsemble {
  const logistic = model.objective === 'binary:logistic';
  return {
    featureCount: model.numFeature,
    mode: 'BRANCH_LT',
    baseScore: logistic ? Math.log(model.baseScore / (1 - model.baseScore)) : model.baseScore,
    postTransform: logistic ? 'LOGISTIC' : 'NONE',
    trees: model.trees.map(toTreeArrays),
  };
}
