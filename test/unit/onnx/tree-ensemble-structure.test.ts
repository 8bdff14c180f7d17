/**
 * Trees are checked before anything is built from them or handed to ONNX Runtime: children in range,
 * every node reached once from the root (no cycle, no shared child, none unreachable), leaf counts as
 * declared, and at most MAX_TREE_DEPTH levels (a deeper tree would crash ONNX Runtime's recursive
 * build with SIGSEGV; the separate-process test in test/integration/api/hostile-input.test.ts shows
 * the server refusing a 20,000-level tree and staying up). Every refusal is BAD_USER_INPUT naming the
 * field, the tree and the node.
 */
import { onnx } from 'onnx-proto';
import { InvalidInputError } from '../../../src/lib/errors';
import { loadOnnxPredictor } from '../../../src/plugins/onnx/predictor';
import { buildTreeEnsembleModel, TREE_ENSEMBLE_INT_ATTRIBUTES } from '../../../src/plugins/onnx/tree-ensemble-model';
import { importOnnxArtifact } from '../../../src/plugins/onnx/import';
import { assembleModel, floatTensorInfo, ML_DOMAIN, node } from '../../../src/plugins/onnx/graph';
import { checkTreeStructure, MAX_TREE_DEPTH } from '../../../src/plugins/onnx/tree-ensemble-structure';
import { parseLightGBMModel } from '../../../src/plugins/lightgbm/model-text';
import { parseXGBoostModel } from '../../../src/plugins/base/xgboost-engine/model-json';
import { xgboostFamily } from '../../../src/plugins/xgboost';
import { chainTree, xgboostJson, type ChildArrays } from '../../helpers/hostile-trees';

function refusal(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError, but nothing was thrown');
}

async function asyncRefusal(run: () => Promise<unknown>): Promise<InvalidInputError> {
  const error = await run().then(
    () => new Error('expected an InvalidInputError, but the call succeeded'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(InvalidInputError);
  return error as InvalidInputError;
}

const naming = { tree: 'tree 0', field: 'model.json' };
const expects = `expects tree 0 to be a binary tree from its root, at most ${MAX_TREE_DEPTH} levels deep, but`;
const bytes = (text: string) => new TextEncoder().encode(text);

describe('checkTreeStructure', () => {
  it('takes a tree MAX_TREE_DEPTH levels deep and reports its leaves and depth', () => {
    expect(checkTreeStructure(chainTree(MAX_TREE_DEPTH), naming)).toEqual({ leaves: MAX_TREE_DEPTH + 1, depth: MAX_TREE_DEPTH });
    expect(checkTreeStructure({ left: [-1], right: [-1] }, naming)).toEqual({ leaves: 1, depth: 0 });
  });

  it.each<[string, ChildArrays, string]>([
    [
      'a chain one level deeper than the bound',
      chainTree(MAX_TREE_DEPTH + 1),
      `node ${2 * MAX_TREE_DEPTH} is at depth ${MAX_TREE_DEPTH} and has children (a tree deeper than ${MAX_TREE_DEPTH} levels)`,
    ],
    ['a child outside the tree', { left: [1, -1, -1], right: [99, -1, -1] }, 'node 0 has the child id 99, outside [0, 3)'],
    ['a negative child other than the leaf mark', { left: [1, -1, -1], right: [-7, -1, -1] }, 'node 0 has the child id -7, outside [0, 3)'],
    ['a child that is its own parent', { left: [0, -1], right: [1, -1] }, 'node 0 has its ancestor node 0 as a child (a cycle)'],
    ['a cycle back to the root', { left: [1, 2, -1, -1], right: [3, 0, -1, -1] }, 'node 1 has its ancestor node 0 as a child (a cycle)'],
    ['a child shared by two nodes', { left: [1, 3, 3, -1, -1], right: [2, 4, 4, -1, -1] }, 'node 3 is the child of both node 2 and node 1'],
    [
      'a node no path reaches',
      { left: [1, -1, -1, -1], right: [2, -1, -1, -1] },
      'node 3 cannot be reached from the root (1 of 4 nodes are unreachable)',
    ],
    ['no nodes', { left: [], right: [] }, 'it has no nodes'],
  ])('refuses %s, naming the node', (_what, tree, problem) => {
    const error = refusal(() => checkTreeStructure(tree, naming));
    expect(error.message).toBe(`${expects} ${problem}`);
    expect(error.details).toEqual({ field: 'model.json' });
  });
});

describe('XGBoost JSON import', () => {
  it('refuses a chain tree 20,000 levels deep before building or loading anything', () => {
    const error = refusal(() => parseXGBoostModel(bytes(xgboostJson([{ left: [-1], right: [-1] }, chainTree(20_000)]))));
    expect(error.message).toBe(
      `expects tree 1 to be a binary tree from its root, at most ${MAX_TREE_DEPTH} levels deep, but node ${2 * MAX_TREE_DEPTH} is at depth ${MAX_TREE_DEPTH} and has children (a tree deeper than ${MAX_TREE_DEPTH} levels)`,
    );
    expect(error.details).toEqual({ field: 'model.json' });
  });

  it('refuses cyclic and out-of-range children, and a node count that disagrees with tree_param.num_nodes', () => {
    expect(refusal(() => parseXGBoostModel(bytes(xgboostJson([{ left: [1, 2, -1, -1], right: [3, 0, -1, -1] }])))).message).toContain(
      'node 1 has its ancestor node 0 as a child (a cycle)',
    );
    expect(refusal(() => parseXGBoostModel(bytes(xgboostJson([{ left: [1, -1, -1], right: [5, -1, -1] }])))).message).toContain(
      'node 0 has the child id 5, outside [0, 3)',
    );
    const model = JSON.parse(xgboostJson([{ left: [1, -1, -1], right: [2, -1, -1] }]));
    model.learner.gradient_booster.model.trees[0].tree_param.num_nodes = '7';
    expect(refusal(() => parseXGBoostModel(bytes(JSON.stringify(model)))).message).toBe(
      'expects tree 0 to have tree_param.num_nodes (7) nodes, but its arrays hold 3',
    );
  });

  it('serves a tree of a few hundred levels', async () => {
    const trained = await xgboostFamily.importArtifact!({ 'model.json': bytes(xgboostJson([chainTree(300)])) }, 'xgboost-json', {
      featureNames: ['x'],
    });
    const predictor = await xgboostFamily.load(trained.artifact);
    try {
      // x = 5 goes right past splits 0, 2, 4 (x ≥ 0, 2, 4) and left at split 6 (x < 6) to leaf 7.
      expect((await predictor.predict(new Float32Array([5]), 1))[0]).toBeCloseTo(0.5 + 7e-6, 6);
    } finally {
      await predictor.dispose();
    }
  });
});

/** A LightGBM text model with one feature and the given trees (left_child/right_child in LightGBM's numbering). */
function lightgbmText(trees: { left: number[]; right: number[] }[]): string {
  const blocks = trees.map(({ left, right }, t) => {
    const inner = left.length;
    return [
      `Tree=${t}`,
      `num_leaves=${inner + 1}`,
      'num_cat=0',
      `split_feature=${left.map(() => 0).join(' ')}`,
      `split_gain=${left.map(() => 1).join(' ')}`,
      `threshold=${left.map((_, i) => i).join(' ')}`,
      `decision_type=${left.map(() => 8).join(' ')}`,
      `left_child=${left.join(' ')}`,
      `right_child=${right.join(' ')}`,
      `leaf_value=${Array.from({ length: inner + 1 }, (_, k) => k / 100).join(' ')}`,
      'is_linear=0',
      'shrinkage=1',
      '',
    ].join('\n');
  });
  return [
    'tree',
    'version=v4',
    'num_class=1',
    'num_tree_per_iteration=1',
    'max_feature_idx=0',
    'objective=regression',
    'feature_names=x',
    '',
    ...blocks,
    'end of trees',
    '',
  ].join('\n');
}

describe('LightGBM text import', () => {
  it('takes a well-formed tree', () => {
    expect(parseLightGBMModel(bytes(lightgbmText([{ left: [1, -1], right: [-2, -3] }]))).trees[0].numLeaves).toBe(3);
  });

  it('refuses two inner nodes that point at each other away from the root (each still the child of exactly one node)', () => {
    const error = refusal(() => parseLightGBMModel(bytes(lightgbmText([{ left: [-1, 2, 1], right: [-2, -3, -4] }]))));
    expect(error.message).toBe(
      `expects tree 0 to be a binary tree from its root, at most ${MAX_TREE_DEPTH} levels deep, but node 1 cannot be reached from the root (4 of 7 nodes are unreachable)`,
    );
    expect(error.details).toEqual({ field: 'model.txt' });
  });

  it('refuses a child id out of range and a chain deeper than the bound', () => {
    expect(refusal(() => parseLightGBMModel(bytes(lightgbmText([{ left: [1, -1], right: [-9, -3] }])))).message).toBe(
      'expects tree 0 to have right_child ids in [-3, 2), but node 0 has -9',
    );
    const depth = MAX_TREE_DEPTH + 1;
    const left = Array.from({ length: depth }, (_, i) => -(i + 1));
    const right = Array.from({ length: depth }, (_, i) => (i + 1 < depth ? i + 1 : -(depth + 1)));
    expect(refusal(() => parseLightGBMModel(bytes(lightgbmText([{ left, right }])))).message).toContain(
      `node ${MAX_TREE_DEPTH} is at depth ${MAX_TREE_DEPTH} and has children`,
    );
  });
});

/** An ONNX model with one TreeEnsembleRegressor holding `tree` (tree id 0, node ids = indexes). */
function onnxTreeModel({ left, right }: ChildArrays): Uint8Array {
  const leaf = (i: number) => left[i] === -1;
  const ids = left.map((_, i) => i);
  const leaves = ids.filter(leaf);
  return assembleModel({
    inputs: [floatTensorInfo('features', ['N', 1])],
    outputs: [floatTensorInfo('prediction', ['N', 1])],
    nodes: [
      node({
        opType: 'TreeEnsembleRegressor',
        domain: ML_DOMAIN,
        name: 'trees',
        inputs: ['features'],
        outputs: ['prediction'],
        attributes: {
          nodes_treeids: ids.map(() => 0),
          nodes_nodeids: ids,
          nodes_featureids: ids.map(() => 0),
          nodes_modes: ids.map((i) => (leaf(i) ? 'LEAF' : 'BRANCH_LT')),
          nodes_values: ids.map((i) => (leaf(i) ? 0 : i)),
          nodes_truenodeids: ids.map((i) => (leaf(i) ? 0 : left[i])),
          nodes_falsenodeids: ids.map((i) => (leaf(i) ? 0 : right[i])),
          nodes_missing_value_tracks_true: ids.map(() => 0),
          target_treeids: leaves.map(() => 0),
          target_nodeids: leaves,
          target_ids: leaves.map(() => 0),
          target_weights: leaves.map((i) => i / 1e6),
          n_targets: 1,
          aggregate_function: 'SUM',
          post_transform: 'NONE',
        },
        ints: TREE_ENSEMBLE_INT_ATTRIBUTES,
      }),
    ],
    initializers: [],
  });
}

describe('ONNX import of a tree ensemble', () => {
  const importOnnx = (model: Uint8Array) => importOnnxArtifact({ 'model.onnx': model }, { featureNames: ['x'] });

  it('refuses a TreeEnsembleRegressor 20,000 levels deep before ONNX Runtime loads it', async () => {
    const error = await asyncRefusal(() => importOnnx(onnxTreeModel(chainTree(20_000))));
    expect(error.message).toBe(
      `expects every tree of the TreeEnsembleRegressor node "trees" to be a binary tree from its root, at most ${MAX_TREE_DEPTH} levels deep, but tree 0 node ${2 * MAX_TREE_DEPTH} is at depth ${MAX_TREE_DEPTH} and has children (a tree deeper than ${MAX_TREE_DEPTH} levels)`,
    );
    expect(error.details).toEqual({ field: 'file' });
  });

  it('refuses a cycle and a child that is not a node of its tree', async () => {
    expect((await asyncRefusal(() => importOnnx(onnxTreeModel({ left: [1, 2, -1, -1], right: [3, 0, -1, -1] })))).message).toContain(
      'tree 0 node 1 has its ancestor tree 0 node 0 as a child (a cycle)',
    );
    expect((await asyncRefusal(() => importOnnx(onnxTreeModel({ left: [1, -1, -1], right: [8, -1, -1] })))).message).toContain(
      'tree 0 node 0 has the child 8, which is not a node of tree 0',
    );
  });

  it('imports and runs a well-formed one', async () => {
    const trained = await importOnnx(onnxTreeModel(chainTree(50)));
    expect(trained.artifact.signature.outputs).toEqual(['prediction']);
  });
});

describe('the margin bound', () => {
  const stump = (leaf: number) => ({
    featureIndex: [0, 0, 0],
    threshold: [0, 0, 0],
    left: [1, -1, -1],
    right: [2, -1, -1],
    defaultLeft: [false, false, false],
    leafValue: [0, leaf, -leaf],
  });

  it('refuses leaves whose sum over the trees could overflow float32', () => {
    const ensemble = {
      featureCount: 1,
      mode: 'BRANCH_LT' as const,
      baseScore: 0,
      postTransform: 'NONE' as const,
      trees: [stump(3e38), stump(3e38)],
    };
    const error = refusal(() => buildTreeEnsembleModel(ensemble, { field: 'model.json' }));
    expect(error.message).toBe(
      'expects leaf values whose sum over the trees stays within float32 (at most 3.4028234663852886e+38), but the largest margin is 6e+38',
    );
    expect(error.details).toEqual({ field: 'model.json' });
  });

  it('a predictor reports an output that overflows anyway (a foreign ONNX model) as not scored (NaN), never ±Infinity', async () => {
    // Two trees in one TreeEnsembleRegressor, each adding 3e38 to every row: the float32 sum is +Inf.
    const model = onnxTreeModel({ left: [-1], right: [-1] });
    const decoded = onnx.ModelProto.decode(model);
    const attributes = decoded.graph!.node![0].attribute!;
    const set = (name: string, values: number[]) => {
      const attribute = attributes.find((a) => a.name === name)!;
      if (attribute.ints?.length) attribute.ints = values;
      else attribute.floats = values;
    };
    for (const [name, values] of Object.entries({
      nodes_treeids: [0, 1],
      nodes_nodeids: [0, 0],
      nodes_featureids: [0, 0],
      nodes_values: [0, 0],
      nodes_truenodeids: [0, 0],
      nodes_falsenodeids: [0, 0],
      nodes_missing_value_tracks_true: [0, 0],
      target_treeids: [0, 1],
      target_nodeids: [0, 0],
      target_ids: [0, 0],
      target_weights: [3e38, 3e38],
    }))
      set(name, values);
    attributes.find((a) => a.name === 'nodes_modes')!.strings = [bytes('LEAF'), bytes('LEAF')];
    const predictor = await loadOnnxPredictor(onnx.ModelProto.encode(decoded).finish(), {
      task: 'regression',
      inputWidth: 1,
      outputs: ['prediction'],
      allowsMissing: true,
    });
    try {
      expect(Array.from(await predictor.predict(new Float32Array([1, 2]), 2))).toEqual([NaN, NaN]);
    } finally {
      await predictor.dispose();
    }
  });
});
