/**
 * LightGBM's hyperparameters (its own names and defaults) and how they reach XGBoost's engine, which
 * trains the same model class here: leaf-wise (best-first) growth on histograms, i.e. tree_method
 * hist with grow_policy lossguide, max_leaves = num_leaves and no depth limit unless one is asked for.
 *
 * Where the engines differ, the mapping keeps LightGBM's guarantee rather than pretend:
 * - min_data_in_leaf (a row count) has no XGBoost counterpart; min_child_weight bounds the hessian sum
 *   instead. Each row adds at most 1 (squared error) or 0.25 (logistic) to it, so requiring a hessian
 *   sum of min_data_in_leaf × that bound guarantees at least min_data_in_leaf rows per leaf — exactly
 *   LightGBM's rule for regression, a stricter one for binary.
 * - XGBoost resamples rows every round, so bagging_freq is 0 (off) or 1 (every iteration).
 */
import { z } from 'zod';
import { treeTrainingParams } from '../base/hyperparameters';
import type { SearchSpace } from '../contract';
import type { XGBoostObjective } from '../base/xgboost-engine/model-json';
import type { XGBoostParams } from '../base/xgboost-engine/params';

export const lightgbmHyperparameters = z.strictObject({
  objective: z.enum(['regression', 'binary']).default('regression').describe('regression (squared error) or binary (log loss)'),
  num_iterations: z.number().int().min(1).max(10_000).default(100).describe('Boosting iterations (trees) to train'),
  learning_rate: z.number().gt(0).max(1).default(0.1).describe('Shrinks each new tree'),
  num_leaves: z.number().int().min(2).max(131_072).default(31).describe('Maximum leaves per tree (trees grow leaf-wise, best split first)'),
  max_depth: z.number().int().min(-1).max(64).default(-1).describe('Depth limit; -1 or 0 for none'),
  min_data_in_leaf: z.number().int().min(0).default(20).describe('Fewest rows in a leaf'),
  min_sum_hessian_in_leaf: z.number().min(0).default(1e-3).describe('Smallest hessian sum in a leaf'),
  feature_fraction: z.number().gt(0).max(1).default(1).describe('Share of features sampled for each tree'),
  bagging_fraction: z.number().gt(0).max(1).default(1).describe('Share of rows sampled when bagging is on'),
  bagging_freq: z
    .number()
    .int()
    .min(0)
    .max(1)
    .default(0)
    .describe(
      '0 turns bagging off; 1 resamples rows every iteration (the engine resamples every round, so larger periods are not offered)',
    ),
  lambda_l1: z.number().min(0).default(0).describe('L1 regularisation of leaf values'),
  lambda_l2: z.number().min(0).default(0).describe('L2 regularisation of leaf values'),
  min_gain_to_split: z.number().min(0).default(0).describe('Smallest gain that makes a split'),
  max_bin: z.number().int().min(2).max(65_535).default(255).describe('Histogram bins per feature'),
  early_stopping_round: z
    .number()
    .int()
    .min(0)
    .default(20)
    .describe('Stop when the validation metric has not improved for this many iterations; 0 turns early stopping off'),
  num_threads: z.number().int().min(0).max(256).default(0).describe("Threads; 0 takes the job's thread budget"),
  ...treeTrainingParams,
  update_iterations: z.number().int().min(1).max(10_000).default(10).describe('Iterations `update` adds on new rows'),
});

export type LightGBMParams = z.infer<typeof lightgbmHyperparameters>;

export const lightgbmSearchSpace: SearchSpace<LightGBMParams> = {
  num_leaves: { type: 'int', min: 4, max: 256, log: true },
  learning_rate: { type: 'float', min: 0.01, max: 0.3, log: true },
  min_data_in_leaf: { type: 'int', min: 5, max: 200, log: true },
  feature_fraction: { type: 'float', min: 0.5, max: 1 },
  bagging_fraction: { type: 'float', min: 0.5, max: 1 },
  lambda_l1: { type: 'float', min: 1e-3, max: 10, log: true },
  lambda_l2: { type: 'float', min: 1e-3, max: 10, log: true },
};

const XGBOOST_OBJECTIVE: Record<LightGBMParams['objective'], XGBoostObjective> = {
  regression: 'reg:squarederror',
  binary: 'binary:logistic',
};

/** The most one row adds to a leaf's hessian sum under each objective. */
const MAX_ROW_HESSIAN: Record<LightGBMParams['objective'], number> = { regression: 1, binary: 0.25 };

/** The engine's parameters for a LightGBM parameter set: XGBoost's names, then the growth-mode ones. */
export function engineParams(params: LightGBMParams): { xgboost: XGBoostParams; growth: Record<string, string | number> } {
  return {
    xgboost: {
      objective: XGBOOST_OBJECTIVE[params.objective],
      max_depth: Math.max(0, params.max_depth),
      eta: params.learning_rate,
      subsample: params.bagging_freq > 0 ? params.bagging_fraction : 1,
      colsample_bytree: params.feature_fraction,
      lambda: params.lambda_l2,
      alpha: params.lambda_l1,
      min_child_weight: Math.max(params.min_sum_hessian_in_leaf, params.min_data_in_leaf * MAX_ROW_HESSIAN[params.objective]),
      gamma: params.min_gain_to_split,
      huber_slope: 1,
      num_boost_round: params.num_iterations,
      early_stopping_rounds: params.early_stopping_round,
      tree_method: 'hist',
      nthread: params.num_threads,
      seed: params.seed,
      validation_fraction: params.validation_fraction,
      refit_on_all_rows: params.refit_on_all_rows,
      update_rounds: params.update_iterations,
    },
    growth: { grow_policy: 'lossguide', max_leaves: params.num_leaves, max_bin: params.max_bin },
  };
}
