/**
 * Reads LightGBM's text model format (model.txt, as `save_model` writes it, versions v2–v4) into the
 * facts the family needs: objective, feature names and the trees. Only what the ONNX tree ensemble can
 * express exactly is accepted — single-output gbdt models with numerical splits and constant leaves;
 * anything else (categorical splits, linear trees, multiclass, random-forest averaging, a truncated
 * file) is refused with an InvalidInputError that names what was found.
 *
 * Categorical splits are refused rather than expanded: a LightGBM categorical split tests membership
 * in a bitset of categories, which has no BRANCH_LEQ equivalent in a single ensemble mode.
 */
import { excerpt, InvalidInputError, quote } from '../../lib/errors';
import { checkTreeStructure } from '../onnx/tree-ensemble-structure';

/** How a split treats a missing value (bits 2–3 of decision_type). */
export type MissingType = 'None' | 'Zero' | 'NaN';

const MISSING_TYPES: readonly MissingType[] = ['None', 'Zero', 'NaN'];
const CATEGORICAL_MASK = 1;
const DEFAULT_LEFT_MASK = 2;

export interface LightGBMSplit {
  defaultLeft: boolean;
  missingType: MissingType;
}

export interface LightGBMTree {
  numLeaves: number;
  /** Per inner node (numLeaves − 1 of them). */
  splitFeature: number[];
  splitGain: number[];
  threshold: number[];
  split: LightGBMSplit[];
  /** A child ≥ 0 is an inner node; a negative one is the leaf ~child. */
  leftChild: number[];
  rightChild: number[];
  /** Per leaf, as stored (learning rate already applied). */
  leafValue: number[];
}

/** Objectives whose prediction is the raw score. */
const IDENTITY_OBJECTIVES = ['regression', 'regression_l1', 'huber', 'fair', 'quantile', 'mape'] as const;
/** Objectives whose prediction is sigmoid(σ × raw score). */
const SIGMOID_OBJECTIVES = ['binary', 'cross_entropy'] as const;

export type LightGBMObjective =
  | { task: 'regression'; name: string }
  /** probability = 1 / (1 + exp(−sigmoid × raw score)) */
  | { task: 'binary'; name: string; sigmoid: number };

export interface LightGBMModel {
  objective: LightGBMObjective;
  /** max_feature_idx + 1 names, as stored (Column_0 … when the model was trained without names). */
  featureNames: string[];
  trees: LightGBMTree[];
}

const FIELD = 'model.txt';

function refuse(message: string): never {
  throw new InvalidInputError(message, { field: FIELD });
}

/** `key=value` lines into a map; lines without '=' are kept as flags (e.g. average_output). */
function keyValues(lines: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of lines) {
    const eq = line.indexOf('=');
    if (eq < 0) map.set(line.trim(), '');
    else map.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return map;
}

function numbers(text: string, what: string): number[] {
  if (text.trim() === '') return [];
  return text
    .trim()
    .split(/\s+/)
    .map((token) => {
      const value = Number(token);
      if (!Number.isFinite(value)) refuse(`expects finite numbers in ${what}, but got ${quote(token)}`);
      return value;
    });
}

function integer(text: string | undefined, what: string): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isInteger(value))
    refuse(`expects an integer ${what}, but got ${text === undefined ? 'nothing' : quote(text)}`);
  return value;
}

function parseObjective(line: string | undefined): LightGBMObjective {
  if (line === undefined || line.trim() === '') {
    refuse(
      'expects an objective line (a model trained with a custom objective has none, and its output transform is unknown), but got none',
    );
  }
  const [name, ...options] = line.trim().split(/\s+/);
  const option = (key: string) => options.find((o) => o === key || o.startsWith(`${key}:`));
  if ((IDENTITY_OBJECTIVES as readonly string[]).includes(name)) {
    if (option('sqrt'))
      refuse(`expects objective ${name} without reg_sqrt, but the model's predictions are squared back from a sqrt-scaled target`);
    return { task: 'regression', name };
  }
  if ((SIGMOID_OBJECTIVES as readonly string[]).includes(name)) {
    const sigmoidOption = option('sigmoid');
    const sigmoid = sigmoidOption ? Number(sigmoidOption.slice('sigmoid:'.length)) : 1;
    if (!(Number.isFinite(sigmoid) && sigmoid > 0)) refuse(`expects a positive sigmoid parameter, but got ${quote(String(sigmoidOption))}`);
    return { task: 'binary', name, sigmoid };
  }
  return refuse(
    `expects objective ${[...IDENTITY_OBJECTIVES, ...SIGMOID_OBJECTIVES].join(', ')} (regression or binary), but got ${quote(line.trim())}`,
  );
}

function parseSplit(decisionType: number, where: string): LightGBMSplit {
  if (decisionType & CATEGORICAL_MASK) {
    refuse(
      `expects numerical splits only, but ${where} is a categorical split; retrain with the feature encoded as numbers (categorical splits are not supported)`,
    );
  }
  const missing = (decisionType >> 2) & 3;
  if (missing >= MISSING_TYPES.length || decisionType >> 4 !== 0)
    refuse(`expects a decision_type with missing type None, Zero or NaN, but ${where} has ${decisionType}`);
  return { defaultLeft: (decisionType & DEFAULT_LEFT_MASK) !== 0, missingType: MISSING_TYPES[missing] };
}

/**
 * A tree whose left_child/right_child ids are in range ([-num_leaves, num_leaves − 1), a negative id
 * c naming leaf ~c) and form a binary tree from the root (checkTreeStructure: every node and leaf
 * reached exactly once, no cycle, at most MAX_TREE_DEPTH levels), so that it has num_leaves leaves.
 */
function checkStructure(tree: LightGBMTree, t: number): void {
  const inner = tree.numLeaves - 1;
  const left = new Array<number>(inner + tree.numLeaves).fill(-1);
  const right = new Array<number>(inner + tree.numLeaves).fill(-1);
  for (let i = 0; i < inner; i++) {
    for (const [side, child, ids] of [
      ['left_child', tree.leftChild[i], left],
      ['right_child', tree.rightChild[i], right],
    ] as const) {
      if (!Number.isInteger(child) || child >= inner || child < -tree.numLeaves) {
        refuse(`expects tree ${t} to have ${side} ids in [-${tree.numLeaves}, ${inner}), but node ${i} has ${child}`);
      }
      ids[i] = child >= 0 ? child : inner + ~child;
    }
  }
  const { leaves } = checkTreeStructure(
    { left, right },
    { tree: `tree ${t}`, field: FIELD, node: (id) => (id < inner ? `node ${id}` : `leaf ${id - inner}`) },
  );
  if (leaves !== tree.numLeaves)
    refuse(`expects tree ${t} to have num_leaves=${tree.numLeaves} leaves, but ${leaves} are reached from its root`);
}

function parseTree(lines: string[], t: number, featureCount: number): LightGBMTree {
  const kv = keyValues(lines);
  const numLeaves = integer(kv.get('num_leaves'), `num_leaves in tree ${t}`);
  if (numLeaves < 1) refuse(`expects num_leaves ≥ 1 in tree ${t}, but got ${numLeaves}`);
  if (Number(kv.get('num_cat') ?? 0) > 0) {
    refuse(
      `expects numerical splits only, but tree ${t} has ${excerpt(kv.get('num_cat'))} categorical splits (num_cat); retrain with the features encoded as numbers`,
    );
  }
  if ((kv.get('is_linear') ?? '0').trim() !== '0') {
    refuse(
      `expects constant leaves, but tree ${t} is a linear tree (is_linear=1, trained with linear_tree=true); retrain with linear_tree=false`,
    );
  }
  const leafValue = numbers(kv.get('leaf_value') ?? '', `leaf_value of tree ${t}`);
  if (leafValue.length !== numLeaves) {
    refuse(`expects ${numLeaves} leaf_value entries in tree ${t}, but got ${leafValue.length} (is the tree block truncated?)`);
  }
  if (numLeaves === 1) {
    return { numLeaves, splitFeature: [], splitGain: [], threshold: [], split: [], leftChild: [], rightChild: [], leafValue };
  }
  const inner = numLeaves - 1;
  const arrays: Record<string, number[]> = {};
  for (const key of ['split_feature', 'split_gain', 'threshold', 'decision_type', 'left_child', 'right_child']) {
    const text = kv.get(key);
    if (text === undefined) refuse(`expects a ${key} line in tree ${t}, but the tree block has none (is it truncated?)`);
    arrays[key] = numbers(text, `${key} of tree ${t}`);
    if (arrays[key].length !== inner) {
      refuse(`expects ${inner} ${key} entries in tree ${t} (num_leaves − 1), but got ${arrays[key].length} (is the tree block truncated?)`);
    }
  }
  arrays.split_feature.forEach((f, i) => {
    if (!Number.isInteger(f) || f < 0 || f >= featureCount) {
      refuse(`expects split features in [0, ${featureCount}), but tree ${t} node ${i} splits on feature ${f}`);
    }
  });
  const tree: LightGBMTree = {
    numLeaves,
    splitFeature: arrays.split_feature,
    splitGain: arrays.split_gain,
    threshold: arrays.threshold,
    split: arrays.decision_type.map((d, i) => parseSplit(d, `tree ${t} node ${i}`)),
    leftChild: arrays.left_child,
    rightChild: arrays.right_child,
    leafValue,
  };
  checkStructure(tree, t);
  return tree;
}

const TREE_HEADER = /^Tree=(\d+)$/;
const END_OF_TREES = 'end of trees';

export function parseLightGBMModel(bytes: Uint8Array): LightGBMModel {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() !== 'tree') {
    refuse(`expects LightGBM's text model format (a first line "tree"), but got ${quote(lines[0] ?? '', 40)}`);
  }
  const end = lines.findIndex((line) => line.trim() === END_OF_TREES);
  if (end < 0) refuse(`expects the model to end its trees with "${END_OF_TREES}", but the file stops before it (truncated?)`);
  const firstTree = lines.findIndex((line) => TREE_HEADER.test(line.trim()));
  const headerEnd = firstTree >= 0 && firstTree < end ? firstTree : end;
  const header = keyValues(lines.slice(1, headerEnd).filter((line) => line.trim() !== ''));

  if (header.has('average_output')) {
    refuse(
      'expects a boosted model (gbdt, dart, goss), but got a random forest (average_output), whose trees are averaged rather than summed',
    );
  }
  const numClass = integer(header.get('num_class') ?? '1', 'num_class');
  const perIteration = integer(header.get('num_tree_per_iteration') ?? '1', 'num_tree_per_iteration');
  if (numClass !== 1 || perIteration !== 1) {
    refuse(`expects a single-output model, but got num_class ${numClass} and num_tree_per_iteration ${perIteration} (multiclass)`);
  }
  const objective = parseObjective(header.get('objective'));
  const featureCount = integer(header.get('max_feature_idx'), 'max_feature_idx') + 1;
  if (featureCount < 1) refuse(`expects max_feature_idx ≥ 0, but got ${featureCount - 1}`);
  const featureNames = (header.get('feature_names') ?? '').trim().split(/\s+/).filter(Boolean);
  if (featureNames.length !== featureCount) {
    refuse(`expects ${featureCount} feature_names (max_feature_idx + 1), but got ${featureNames.length}`);
  }

  const blocks: string[][] = [];
  for (let i = headerEnd; i < end; i++) {
    const line = lines[i].trim();
    const match = TREE_HEADER.exec(line);
    if (match) {
      if (Number(match[1]) !== blocks.length)
        refuse(`expects tree ${blocks.length} next, but got ${quote(line)} (a missing or reordered tree block)`);
      blocks.push([]);
    } else if (line !== '') {
      blocks[blocks.length - 1].push(line);
    }
  }
  if (blocks.length === 0) refuse('expects at least one tree, but the model has none');
  const declared = header.get('tree_sizes');
  if (declared !== undefined && declared.trim().split(/\s+/).length !== blocks.length) {
    refuse(
      `expects ${declared.trim().split(/\s+/).length} trees (one per tree_sizes entry), but got ${blocks.length} tree blocks (truncated?)`,
    );
  }
  return { objective, featureNames, trees: blocks.map((block, t) => parseTree(block, t, featureCount)) };
}

/** LightGBM's names for a model trained without feature names. */
export function isDefaultFeatureNames(names: readonly string[]): boolean {
  return names.every((name, i) => name === `Column_${i}`);
}

/** Total split gain on each feature, normalised to sum to 1. */
export function gainImportance(model: LightGBMModel, featureNames: string[]): Record<string, number> {
  const gain = new Array<number>(featureNames.length).fill(0);
  for (const tree of model.trees) tree.splitFeature.forEach((f, i) => (gain[f] += tree.splitGain[i]));
  const total = gain.reduce((a, b) => a + b, 0);
  return Object.fromEntries(featureNames.map((name, i) => [name, total > 0 ? gain[i] / total : 0]));
}
