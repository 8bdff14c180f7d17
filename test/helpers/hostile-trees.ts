/**
 * Tree models an attacker (or a broken exporter) might import: XGBoost JSON documents built from
 * child arrays, a chain tree of any depth, and the same trees with children that point outside the
 * tree, back at an ancestor, or leave a node unreachable.
 */

export interface ChildArrays {
  left: number[];
  right: number[];
}

/**
 * A chain `depth` splits deep: split 2k sends x < 2k left to leaf 2k+1 and the rest right to split
 * 2k+2; the last node is a leaf. Leaves are worth their node id / 1e6 (so any row scores finitely).
 */
export function chainTree(depth: number): ChildArrays {
  const n = 2 * depth + 1;
  const left: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < n; i++) {
    const split = i % 2 === 0 && i < n - 1;
    left.push(split ? i + 1 : -1);
    right.push(split ? i + 2 : -1);
  }
  return { left, right };
}

/** An XGBoost JSON model (reg:squarederror, one feature "x") holding `trees`. */
export function xgboostJson(trees: ChildArrays[]): string {
  return JSON.stringify({
    learner: {
      feature_names: ['x'],
      learner_model_param: { base_score: '5E-1', num_feature: '1' },
      objective: { name: 'reg:squarederror' },
      gradient_booster: {
        name: 'gbtree',
        model: {
          trees: trees.map(({ left, right }) => ({
            left_children: left,
            right_children: right,
            split_indices: left.map(() => 0),
            split_conditions: left.map((child, i) => (child === -1 ? i / 1e6 : i)),
            default_left: left.map(() => 0),
            loss_changes: left.map((child) => (child === -1 ? 0 : 1)),
            tree_param: { num_nodes: String(left.length) },
          })),
        },
      },
    },
  });
}
