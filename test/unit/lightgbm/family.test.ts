/** The lightgbm family's training: LightGBM's parameters, leaf-wise growth on XGBoost's engine. */
import { InvalidInputError } from '../../../src/lib/errors';
import type { TrainedModel } from '../../../src/plugins/contract';
import { lightgbmFamily } from '../../../src/plugins/lightgbm';
import { engineParams, lightgbmHyperparameters, type LightGBMParams } from '../../../src/plugins/lightgbm/params';
import { syntheticSet, trainContext } from '../xgboost/synthetic';

const params = (overrides: Partial<LightGBMParams> = {}): LightGBMParams =>
  lightgbmHyperparameters.parse({ num_iterations: 20, early_stopping_round: 0, ...overrides });

interface JsonTree {
  left_children: number[];
  right_children: number[];
  sum_hessian: number[];
}

function treesOf(trained: TrainedModel): JsonTree[] {
  const json = JSON.parse(new TextDecoder().decode(trained.artifact.files['model.json']));
  return json.learner.gradient_booster.model.trees;
}

const leavesOf = (tree: JsonTree) => tree.left_children.flatMap((child, i) => (child === -1 ? [i] : []));

function depthOf(tree: JsonTree, node = 0): number {
  return tree.left_children[node] === -1
    ? 0
    : 1 + Math.max(depthOf(tree, tree.left_children[node]), depthOf(tree, tree.right_children[node]));
}

describe('lightgbm family: training', () => {
  const width = 6;
  const data = syntheticSet(2000, width, { seed: 21 });

  it('maps LightGBM’s parameter names onto the engine’s', () => {
    const mapped = engineParams(
      params({
        num_leaves: 12,
        learning_rate: 0.05,
        feature_fraction: 0.7,
        bagging_fraction: 0.8,
        bagging_freq: 1,
        lambda_l1: 0.5,
        lambda_l2: 2,
        min_data_in_leaf: 30,
        min_sum_hessian_in_leaf: 5,
        min_gain_to_split: 0.1,
        max_bin: 63,
        num_iterations: 40,
        early_stopping_round: 7,
      }),
    );
    expect(mapped.xgboost).toMatchObject({
      objective: 'reg:squarederror',
      max_depth: 0,
      eta: 0.05,
      colsample_bytree: 0.7,
      subsample: 0.8,
      alpha: 0.5,
      lambda: 2,
      min_child_weight: 30,
      gamma: 0.1,
      num_boost_round: 40,
      early_stopping_rounds: 7,
      tree_method: 'hist',
    });
    expect(mapped.growth).toEqual({ grow_policy: 'lossguide', max_leaves: 12, max_bin: 63 });
    // Binary: a row adds at most 0.25 to the hessian sum, so 30 rows need 7.5; bagging off without a frequency.
    const binary = engineParams(params({ objective: 'binary', min_data_in_leaf: 30, min_sum_hessian_in_leaf: 1, bagging_fraction: 0.5 }));
    expect(binary.xgboost).toMatchObject({ objective: 'binary:logistic', min_child_weight: 7.5, subsample: 1 });
  });

  it('grows trees leaf-wise: at most num_leaves leaves, deeper than a depth-wise tree of that many leaves could be', async () => {
    const model = await lightgbmFamily.train(data, params({ num_leaves: 8, min_data_in_leaf: 5 }), trainContext());
    const trees = treesOf(model);
    expect(trees).toHaveLength(20);
    expect(Math.max(...trees.map((tree) => leavesOf(tree).length))).toBe(8);
    // A balanced tree with 8 leaves has depth 3; best-first growth goes deeper where the gain is.
    expect(Math.max(...trees.map((tree) => depthOf(tree)))).toBeGreaterThan(3);
    expect(model.artifact.format).toBe('xgboost-json');
    expect(model.metrics.r2).toBeGreaterThan(0.5);
  });

  it('keeps at least min_data_in_leaf rows in every leaf (regression: one unit of hessian per row)', async () => {
    const model = await lightgbmFamily.train(data, params({ num_leaves: 64, min_data_in_leaf: 40 }), trainContext());
    const smallest = Math.min(...treesOf(model).flatMap((tree) => leavesOf(tree).map((leaf) => tree.sum_hessian[leaf])));
    expect(smallest).toBeGreaterThanOrEqual(40);
    const loose = await lightgbmFamily.train(data, params({ num_leaves: 64, min_data_in_leaf: 1 }), trainContext());
    expect(Math.min(...treesOf(loose).flatMap((tree) => leavesOf(tree).map((leaf) => tree.sum_hessian[leaf])))).toBeLessThan(40);
  });

  it('stops early on the time-ordered validation tail', async () => {
    const ctx = trainContext();
    const model = await lightgbmFamily.train(data, params({ num_iterations: 400, learning_rate: 0.3, early_stopping_round: 5 }), ctx);
    expect(treesOf(model).length).toBeLessThan(400);
    expect(ctx.logs.some((line) => line.startsWith('early stopping after round'))).toBe(true);
  });

  it('trains binary models and scores them with logloss, auc and accuracy', async () => {
    const binary = syntheticSet(2000, width, { seed: 22, task: 'binary' });
    const model = await lightgbmFamily.train(binary, params({ objective: 'binary', num_leaves: 15 }), trainContext());
    expect(model.artifact.signature).toMatchObject({ task: 'binary', outputs: ['probability', 'margin'] });
    expect(model.metrics.auc).toBeGreaterThan(0.85);
  });

  it('continues a version trained here with update, and refuses to continue an imported one', async () => {
    const first = await lightgbmFamily.train(data, params({ num_leaves: 8 }), trainContext());
    const next = await lightgbmFamily.update!(first.artifact, data, params({ update_iterations: 3 }), trainContext());
    expect(treesOf(next)).toHaveLength(treesOf(first).length + 3);
    const imported = { ...first.artifact, format: 'lightgbm-text' };
    await expect(lightgbmFamily.update!(imported, data, params(), trainContext())).rejects.toThrow(
      /expects a previous version trained here \(format xgboost-json\) to continue, but got lightgbm-text/,
    );
  });

  it('refuses parameters LightGBM would take but this engine cannot honour, naming them', () => {
    expect(() => lightgbmFamily.hyperparameters.parse({ bagging_freq: 5 })).toThrow();
    const refused = lightgbmFamily.train(data, { ...params(), bagging_freq: 5 }, trainContext());
    return expect(refused).rejects.toEqual(expect.objectContaining({ details: { field: 'hyperparameters.bagging_freq' } }));
  });

  it('refuses a training set of another kind', async () => {
    await expect(lightgbmFamily.train({ kind: 'policy', transitions: [] }, params(), trainContext())).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });
});
