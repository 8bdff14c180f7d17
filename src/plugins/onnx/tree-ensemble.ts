/**
 * A library-neutral description of a boosted tree ensemble, the meeting point between a family's
 * native model format (XGBoost JSON, LightGBM text) and the ONNX graph built from it.
 *
 * Every tree is a set of parallel arrays indexed by node id. A node is a leaf where `left[i] === -1`.
 * A row goes left when `x[featureIndex] < threshold` (BRANCH_LT, XGBoost) or `<= threshold`
 * (BRANCH_LEQ, LightGBM), and follows `defaultLeft[i]` when the value is NaN.
 */
export type BranchMode = 'BRANCH_LT' | 'BRANCH_LEQ';

export interface TreeArrays {
  featureIndex: number[];
  threshold: number[];
  left: number[];
  right: number[];
  defaultLeft: boolean[];
  /** The value a leaf adds to the margin; ignored on inner nodes. */
  leafValue: number[];
}

export interface TreeEnsemble {
  featureCount: number;
  mode: BranchMode;
  /** Added once to the sum of leaves: the margin is baseScore + Σ leaves. */
  baseScore: number;
  /** Applied to the margin to give the prediction. */
  postTransform: 'NONE' | 'LOGISTIC';
  /** LOGISTIC only: the probability is sigmoid(logisticScale × margin), LightGBM's `sigmoid`; default 1. */
  logisticScale?: number;
  trees: TreeArrays[];
}
