/**
 * Reads XGBoost's JSON model format (as XGBoosterSaveModelToBuffer writes it with {"format":"json"},
 * 1.x and 2.x) into the few facts the family needs: objective, base score, feature count and names,
 * and the trees. Only single-output gbtree models with numerical splits are accepted; anything else is
 * refused with an InvalidInputError that names what was found. Each tree must be a binary tree of at
 * most MAX_TREE_DEPTH levels (onnx/tree-ensemble-structure.ts: children in range, every node reached
 * once from the root, as many nodes as tree_param.num_nodes says), checked before anything is built
 * from it or handed to a native library.
 */
import { z } from 'zod';
import { excerpt, InvalidInputError, quote } from '../../../lib/errors';
import { checkTreeStructure } from '../../onnx/tree-ensemble-structure';

export const SUPPORTED_OBJECTIVES = ['reg:squarederror', 'reg:pseudohubererror', 'binary:logistic'] as const;
export type XGBoostObjective = (typeof SUPPORTED_OBJECTIVES)[number];

const numberArray = z.array(z.number());

const treeSchema = z.object({
  left_children: numberArray,
  right_children: numberArray,
  split_indices: numberArray,
  /** The threshold on a split node, the leaf value (learning rate applied) on a leaf. */
  split_conditions: numberArray,
  default_left: z.array(z.union([z.number(), z.boolean()])),
  loss_changes: numberArray,
  split_type: numberArray.optional(),
  categories_nodes: numberArray.optional(),
  tree_param: z.object({ num_nodes: z.string() }).optional(),
});

export type XGBoostTree = z.infer<typeof treeSchema>;

const modelSchema = z.object({
  learner: z.object({
    feature_names: z.array(z.string()).optional(),
    learner_model_param: z.object({
      /** "5E-1" in 1.x, "[5E-1]" in 2.x (one per target). */
      base_score: z.string(),
      num_feature: z.string(),
      num_class: z.string().optional(),
      num_target: z.string().optional(),
    }),
    objective: z.object({ name: z.string() }),
    gradient_booster: z.object({
      name: z.string(),
      model: z
        .object({
          tree_info: numberArray.optional(),
          trees: z.array(treeSchema),
        })
        .optional(),
    }),
  }),
});

export interface XGBoostModel {
  objective: XGBoostObjective;
  /** As stored: the intercept in the objective's output space (a probability for binary:logistic). */
  baseScore: number;
  numFeature: number;
  /** Names stored in the model, when it was trained with them. */
  featureNames?: string[];
  trees: XGBoostTree[];
}

function refuse(message: string): never {
  throw new InvalidInputError(message, { field: 'model.json' });
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    return refuse(`expects model.json to be XGBoost's JSON model format, but it is not JSON: ${(error as Error).message}`);
  }
}

function parseBaseScore(text: string): number {
  const values = text
    .replace(/^\[|\]$/g, '')
    .split(',')
    .map(Number);
  if (values.length !== 1 || !Number.isFinite(values[0])) {
    refuse(`expects one finite base_score, but got ${quote(text)}`);
  }
  return values[0];
}

function checkTree(tree: XGBoostTree, index: number, numFeature: number): void {
  const isCategorical = (tree.split_type ?? []).some((t) => t !== 0) || (tree.categories_nodes ?? []).length > 0;
  if (isCategorical) {
    refuse(`expects numerical splits only, but tree ${index} has categorical splits (enable_categorical); retrain with numeric features`);
  }
  const n = tree.left_children.length;
  const lengths = [tree.right_children, tree.split_indices, tree.split_conditions, tree.default_left].map((a) => a.length);
  if (n === 0 || lengths.some((l) => l !== n)) {
    refuse(`expects tree ${index} to have arrays of one length, but got ${[n, ...lengths].join(', ')}`);
  }
  if (tree.tree_param && Number(tree.tree_param.num_nodes) !== n) {
    refuse(`expects tree ${index} to have tree_param.num_nodes (${excerpt(tree.tree_param.num_nodes)}) nodes, but its arrays hold ${n}`);
  }
  checkTreeStructure({ left: tree.left_children, right: tree.right_children }, { tree: `tree ${index}`, field: 'model.json' });
  for (let i = 0; i < n; i++) {
    if (tree.left_children[i] === -1) continue;
    const feature = tree.split_indices[i];
    if (!Number.isInteger(feature) || feature < 0 || feature >= numFeature) {
      refuse(`expects split features in [0, ${numFeature}), but tree ${index} node ${i} splits on feature ${feature}`);
    }
  }
}

export function parseXGBoostModel(bytes: Uint8Array): XGBoostModel {
  const parsed = modelSchema.safeParse(parseJson(bytes));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    refuse(`expects XGBoost's JSON model format, but ${issue.path.join('.') || 'the document'}: ${issue.message}`);
  }
  const learner = parsed.data.learner;
  const param = learner.learner_model_param;
  const objective = learner.objective.name;
  if (!(SUPPORTED_OBJECTIVES as readonly string[]).includes(objective)) {
    refuse(`expects objective ${SUPPORTED_OBJECTIVES.join(', ')}, but got ${quote(objective)}`);
  }
  if (Number(param.num_class ?? 0) > 1 || Number(param.num_target ?? 1) > 1) {
    refuse(
      `expects a single-output model, but got num_class ${excerpt(param.num_class ?? 0)} and num_target ${excerpt(param.num_target ?? 1)} (multi-output)`,
    );
  }
  const booster = learner.gradient_booster;
  if (booster.name !== 'gbtree' || !booster.model) {
    refuse(`expects booster gbtree, but got ${quote(booster.name)}`);
  }
  const baseScore = parseBaseScore(param.base_score);
  if (objective === 'binary:logistic' && !(baseScore > 0 && baseScore < 1)) {
    refuse(`expects a binary:logistic base_score in (0, 1), but got ${baseScore}`);
  }
  const numFeature = Number(param.num_feature);
  if (!Number.isInteger(numFeature) || numFeature < 1) refuse(`expects num_feature ≥ 1, but got ${quote(param.num_feature)}`);
  booster.model.trees.forEach((tree, i) => checkTree(tree, i, numFeature));
  return {
    objective: objective as XGBoostObjective,
    baseScore,
    numFeature,
    featureNames: learner.feature_names && learner.feature_names.length > 0 ? learner.feature_names : undefined,
    trees: booster.model.trees,
  };
}

/** Total gain (loss reduction) of the splits on each feature, normalised to sum to 1. */
export function gainImportance(model: XGBoostModel, featureNames: string[]): Record<string, number> {
  const gain = new Array<number>(featureNames.length).fill(0);
  for (const tree of model.trees) {
    for (let i = 0; i < tree.left_children.length; i++) {
      if (tree.left_children[i] !== -1) gain[tree.split_indices[i]] += tree.loss_changes[i];
    }
  }
  const total = gain.reduce((a, b) => a + b, 0);
  return Object.fromEntries(featureNames.map((name, i) => [name, total > 0 ? gain[i] / total : 0]));
}
