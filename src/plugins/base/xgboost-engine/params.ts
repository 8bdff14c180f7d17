/**
 * XGBoost hyperparameters (XGBoost's own names), their defaults, and how they reach the library.
 */
import { z } from 'zod';
import { treeTrainingParams } from '../hyperparameters';
import type { SearchSpace } from '../../contract';
import { SUPPORTED_OBJECTIVES, type XGBoostObjective } from './model-json';

export const xgboostHyperparameters = z.strictObject({
  objective: z.enum(SUPPORTED_OBJECTIVES).default('reg:squarederror').describe('Loss to minimise'),
  max_depth: z.number().int().min(1).max(20).default(6).describe('Maximum depth of a tree'),
  eta: z.number().gt(0).max(1).default(0.1).describe('Learning rate: shrinks each new tree'),
  subsample: z.number().gt(0).max(1).default(1).describe('Share of rows sampled for each tree'),
  colsample_bytree: z.number().gt(0).max(1).default(1).describe('Share of features sampled for each tree'),
  lambda: z.number().min(0).default(1).describe('L2 regularisation of leaf weights'),
  alpha: z.number().min(0).default(0).describe('L1 regularisation of leaf weights'),
  min_child_weight: z.number().min(0).default(1).describe('Minimum hessian sum in a leaf'),
  gamma: z.number().min(0).default(0).describe('Minimum loss reduction to make a split'),
  huber_slope: z
    .number()
    .gt(0)
    .default(1)
    .describe('δ of reg:pseudohubererror: errors beyond it count linearly; set it to the scale of the target'),
  num_boost_round: z.number().int().min(1).max(10_000).default(200).describe('Boosting rounds (trees) to train'),
  early_stopping_rounds: z
    .number()
    .int()
    .min(0)
    .default(20)
    .describe('Stop when the validation metric has not improved for this many rounds; 0 turns early stopping off'),
  tree_method: z.literal('hist').default('hist').describe('Split finding: histogram-based (the only one offered)'),
  nthread: z.number().int().min(0).max(256).default(0).describe("Threads XGBoost uses; 0 takes the job's thread budget"),
  ...treeTrainingParams,
  update_rounds: z.number().int().min(1).max(10_000).default(10).describe('Boosting rounds `update` adds on new rows'),
});

export type XGBoostParams = z.infer<typeof xgboostHyperparameters>;

export const xgboostSearchSpace: SearchSpace<XGBoostParams> = {
  max_depth: { type: 'int', min: 2, max: 10 },
  eta: { type: 'float', min: 0.01, max: 0.3, log: true },
  subsample: { type: 'float', min: 0.5, max: 1 },
  colsample_bytree: { type: 'float', min: 0.5, max: 1 },
  lambda: { type: 'float', min: 1e-3, max: 10, log: true },
  alpha: { type: 'float', min: 1e-3, max: 10, log: true },
  min_child_weight: { type: 'float', min: 0.5, max: 20, log: true },
  gamma: { type: 'float', min: 0, max: 5 },
};

/** The metric early stopping watches (lower is better for each). */
export const EVAL_METRIC: Record<XGBoostObjective, string> = {
  'reg:squarederror': 'rmse',
  'reg:pseudohubererror': 'mphe',
  'binary:logistic': 'logloss',
};

/** The booster parameters as XGBoosterSetParam takes them. */
export function boosterParams(
  params: XGBoostParams,
  objective: XGBoostObjective,
  context: { threads: number; seed: number },
): Record<string, string | number> {
  return {
    objective,
    eval_metric: EVAL_METRIC[objective],
    max_depth: params.max_depth,
    eta: params.eta,
    subsample: params.subsample,
    colsample_bytree: params.colsample_bytree,
    lambda: params.lambda,
    alpha: params.alpha,
    min_child_weight: params.min_child_weight,
    gamma: params.gamma,
    tree_method: params.tree_method,
    nthread: params.nthread || context.threads,
    seed: params.seed ?? context.seed,
    verbosity: 1,
    ...(objective === 'reg:pseudohubererror' ? { huber_slope: params.huber_slope } : {}),
  };
}
