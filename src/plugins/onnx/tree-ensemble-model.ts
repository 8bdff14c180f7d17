/**
 * Builds the ONNX graph of a TreeEnsemble (the IR in tree-ensemble.ts): one ai.onnx.ml
 * TreeEnsembleRegressor giving the margin, and for a LOGISTIC ensemble a Sigmoid giving the
 * probability. Input: `features`, float [N, featureCount], NaN = missing.
 *
 * Outputs, in the order a Predictor reports them (ModelSignature.outputs):
 *   regression (postTransform NONE): `prediction` [N, 1]
 *   binary (postTransform LOGISTIC):  `probability` [N, 1], `margin` [N, 1]; probability =
 *     sigmoid(logisticScale × margin), the scale a Mul in front of the Sigmoid when it is not 1
 */
import type { onnx } from 'onnx-proto';
import { float32Threshold } from './float-threshold';
import { assembleModel, floatConstant, floatTensorInfo, type GraphPart, ML_DOMAIN, node } from './graph';
import type { TreeEnsemble } from './tree-ensemble';
import { checkEnsemble } from './tree-ensemble-structure';

export const FEATURES_INPUT = 'features';

/** The attributes of ai.onnx.ml TreeEnsembleRegressor that are integers (the node builder writes the rest as floats or strings). */
export const TREE_ENSEMBLE_INT_ATTRIBUTES = [
  'nodes_treeids',
  'nodes_nodeids',
  'nodes_featureids',
  'nodes_truenodeids',
  'nodes_falsenodeids',
  'nodes_missing_value_tracks_true',
  'target_treeids',
  'target_nodeids',
  'target_ids',
  'n_targets',
];

export function ensembleOutputNames(ensemble: Pick<TreeEnsemble, 'postTransform'>): string[] {
  return ensemble.postTransform === 'LOGISTIC' ? ['probability', 'margin'] : ['prediction'];
}

/**
 * The TreeEnsembleRegressor node reading `input` and writing the margin (base score + Σ leaves) to
 * `output`. A row goes to the "true" branch (the IR's left child) when `x mode threshold` holds, and
 * follows defaultLeft when x is NaN.
 */
function treeEnsembleNode(ensemble: TreeEnsemble, input: string, output: string, field = 'model'): onnx.INodeProto {
  checkEnsemble(ensemble, field);
  const a = {
    nodes_treeids: [] as number[],
    nodes_nodeids: [] as number[],
    nodes_featureids: [] as number[],
    nodes_modes: [] as string[],
    nodes_values: [] as number[],
    nodes_truenodeids: [] as number[],
    nodes_falsenodeids: [] as number[],
    nodes_missing_value_tracks_true: [] as number[],
    target_treeids: [] as number[],
    target_nodeids: [] as number[],
    target_ids: [] as number[],
    target_weights: [] as number[],
  };
  ensemble.trees.forEach((tree, t) => {
    for (let i = 0; i < tree.left.length; i++) {
      const leaf = tree.left[i] === -1;
      a.nodes_treeids.push(t);
      a.nodes_nodeids.push(i);
      a.nodes_featureids.push(leaf ? 0 : tree.featureIndex[i]);
      a.nodes_modes.push(leaf ? 'LEAF' : ensemble.mode);
      a.nodes_values.push(leaf ? 0 : float32Threshold(tree.threshold[i], ensemble.mode));
      a.nodes_truenodeids.push(leaf ? 0 : tree.left[i]);
      a.nodes_falsenodeids.push(leaf ? 0 : tree.right[i]);
      a.nodes_missing_value_tracks_true.push(!leaf && tree.defaultLeft[i] ? 1 : 0);
      if (leaf) {
        a.target_treeids.push(t);
        a.target_nodeids.push(i);
        a.target_ids.push(0);
        a.target_weights.push(tree.leafValue[i]);
      }
    }
  });
  return node({
    opType: 'TreeEnsembleRegressor',
    domain: ML_DOMAIN,
    inputs: [input],
    outputs: [output],
    attributes: {
      ...a,
      n_targets: 1,
      aggregate_function: 'SUM',
      post_transform: 'NONE',
      base_values: [ensemble.baseScore],
    },
    ints: TREE_ENSEMBLE_INT_ATTRIBUTES,
  });
}

/**
 * The complete model. `preprocess`, when given, reads `features` and produces the tensor the ensemble
 * reads (same width), e.g. nodes that map some values to NaN per feature. The ensemble is checked
 * first (tree-ensemble-structure.ts); a refusal names `field` (the file the trees came from).
 */
export function buildTreeEnsembleModel(
  ensemble: TreeEnsemble,
  options: { preprocess?: GraphPart; metadata?: Record<string, string>; docString?: string; field?: string } = {},
): Uint8Array {
  const { preprocess } = options;
  const ensembleInput = preprocess?.output ?? FEATURES_INPUT;
  const nodes = [...(preprocess?.nodes ?? [])];
  const outputs = ensembleOutputNames(ensemble);
  const initializers = [...(preprocess?.initializers ?? [])];
  if (ensemble.postTransform === 'LOGISTIC') {
    nodes.push(treeEnsembleNode(ensemble, ensembleInput, 'margin', options.field));
    const scale = ensemble.logisticScale ?? 1;
    if (scale === 1) {
      nodes.push(node({ opType: 'Sigmoid', inputs: ['margin'], outputs: ['probability'] }));
    } else {
      initializers.push(floatConstant('logistic_scale', [scale], []));
      nodes.push(node({ opType: 'Mul', inputs: ['margin', 'logistic_scale'], outputs: ['scaled_margin'] }));
      nodes.push(node({ opType: 'Sigmoid', inputs: ['scaled_margin'], outputs: ['probability'] }));
    }
  } else {
    nodes.push(treeEnsembleNode(ensemble, ensembleInput, 'prediction', options.field));
  }
  return assembleModel({
    inputs: [floatTensorInfo(FEATURES_INPUT, ['N', ensemble.featureCount])],
    outputs: outputs.map((name) => floatTensorInfo(name, ['N', 1])),
    nodes,
    initializers,
    metadata: options.metadata,
    docString: options.docString,
  });
}
