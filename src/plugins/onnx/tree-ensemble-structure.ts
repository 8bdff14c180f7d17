/**
 * The structural check every tree passes before it is built into an ONNX graph, handed to ONNX
 * Runtime or registered: a tree (child arrays where node i is a leaf when left[i] === -1, as in the
 * TreeEnsemble IR and XGBoost's JSON; or any TreeGraph) must be a binary tree from its root — every
 * child id an integer in range, every node reached from the root exactly once (so no cycle and no
 * shared child), no node left unreached — and at most MAX_TREE_DEPTH levels deep. The walk is
 * iterative, so no input can overflow the stack.
 *
 * Why the depth bound: ONNX Runtime builds a TreeEnsemble by recursing from each root, one native
 * stack frame per level (about 800 bytes). A 20,000-level chain overflows the 8 MB main-thread stack
 * and kills the process with SIGSEGV (measured: onnxruntime-node 1.30 crashes between 10,000 and
 * 11,000 levels on the main thread, between 5,000 and 7,000 in a worker thread, whose stack is 4 MB).
 * Real boosted trees are shallow (XGBoost's max_depth is at most 20 here; LightGBM's leaf-wise trees
 * reach a few dozen levels), so MAX_TREE_DEPTH leaves them all room and the runtime five times margin.
 */
import { InvalidInputError } from '../../lib/errors';
import type { TreeEnsemble } from './tree-ensemble';

export const MAX_TREE_DEPTH = 1_000;

/** A tree as child arrays; `right` is read only where `left` is not -1. */
export interface TreeChildren {
  left: ArrayLike<number>;
  right: ArrayLike<number>;
}

export interface TreeStructure {
  leaves: number;
  /** Levels below the root of the deepest leaf (a single leaf has depth 0). */
  depth: number;
}

/** How the checked tree is named in refusals. */
export interface TreeNaming {
  /** The tree, e.g. "tree 3". */
  tree: string;
  /** The input field the tree came from, e.g. "model.json". */
  field: string;
  /** A node in the source format's words; default "node {id}". */
  node?: (id: number) => string;
}

/**
 * Nodes 0…size−1 of one or more trees: `children(node)` gives a split's two child ids (any numbers;
 * they are checked) or null for a leaf.
 */
export interface TreeGraph {
  size: number;
  children(node: number): readonly [number, number] | null;
}

/**
 * Walks every tree of `graph` from its root in `roots` (iteratively) and refuses it unless each child
 * id is a node, each node is reached exactly once from the roots (no cycle, no shared child, no node
 * left out) and no split is deeper than MAX_TREE_DEPTH. Returns the leaf count and deepest depth.
 */
export function checkForest(graph: TreeGraph, roots: readonly number[], naming: TreeNaming): TreeStructure {
  const nodeName = naming.node ?? ((id: number) => `node ${id}`);
  const refuse = (problem: string): never => {
    throw new InvalidInputError(
      `expects ${naming.tree} to be a binary tree from its root, at most ${MAX_TREE_DEPTH} levels deep, but ${problem}`,
      {
        field: naming.field,
      },
    );
  };
  const n = graph.size;
  if (n === 0 || roots.length === 0) refuse('it has no nodes');
  const seen = new Uint8Array(n);
  const parent = new Int32Array(n).fill(-1);
  const depthOf = new Int32Array(n);
  const stack: number[] = [];
  let visited = 0;
  let leaves = 0;
  let depth = 0;
  const reach = (node: number, from: number) => {
    if (!Number.isInteger(node) || node < 0 || node >= n) {
      refuse(from < 0 ? `its root is ${node}, outside [0, ${n})` : `${nodeName(from)} has the child id ${node}, outside [0, ${n})`);
    }
    if (seen[node]) {
      if (from < 0) refuse(`${nodeName(node)} is the root of two trees`);
      refuse(
        node === from || isAncestor(parent, node, from)
          ? `${nodeName(from)} has its ancestor ${nodeName(node)} as a child (a cycle)`
          : `${nodeName(node)} is the child of both ${nodeName(parent[node])} and ${nodeName(from)}`,
      );
    }
    seen[node] = 1;
    parent[node] = from;
    depthOf[node] = from < 0 ? 0 : depthOf[from] + 1;
    visited++;
    stack.push(node);
  };
  for (const root of roots) {
    reach(root, -1);
    while (stack.length > 0) {
      const node = stack.pop()!;
      const children = graph.children(node);
      if (children === null) {
        leaves++;
        if (depthOf[node] > depth) depth = depthOf[node];
        continue;
      }
      if (depthOf[node] >= MAX_TREE_DEPTH)
        refuse(`${nodeName(node)} is at depth ${depthOf[node]} and has children (a tree deeper than ${MAX_TREE_DEPTH} levels)`);
      reach(children[0], node);
      reach(children[1], node);
    }
  }
  if (visited < n) refuse(`${nodeName(seen.indexOf(0))} cannot be reached from the root (${n - visited} of ${n} nodes are unreachable)`);
  return { leaves, depth };
}

/** Checks one tree in child arrays rooted at node 0 (see the top of this file): checkForest on it. */
export function checkTreeStructure(tree: TreeChildren, naming: TreeNaming): TreeStructure {
  if (tree.right.length !== tree.left.length) {
    throw new InvalidInputError(
      `expects ${naming.tree} to have as many left as right children, but got ${tree.left.length} and ${tree.right.length}`,
      {
        field: naming.field,
      },
    );
  }
  return checkForest(
    { size: tree.left.length, children: (i) => (tree.left[i] === -1 ? null : [tree.left[i], tree.right[i]]) },
    [0],
    naming,
  );
}

/** Whether `candidate` is on the path from a root to `node` (parent links of the nodes seen so far). */
function isAncestor(parent: Int32Array, candidate: number, node: number): boolean {
  for (let at = parent[node]; at !== -1; at = parent[at]) if (at === candidate) return true;
  return false;
}

/** The largest finite float32: the ONNX ensemble sums its leaves in float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Checks a whole ensemble before it becomes an ONNX graph: at least one tree, parallel arrays of one
 * length, each tree's structure (checkTreeStructure), split features in [0, featureCount), finite
 * thresholds and leaf values, and a margin that cannot overflow float32 (|baseScore| + Σ of each
 * tree's largest |leaf| ≤ float32's largest value), so that every row scores to a finite number.
 * Refusals are BAD_USER_INPUT on `field` naming the tree and node.
 */
export function checkEnsemble(ensemble: TreeEnsemble, field: string): void {
  const refuse = (message: string): never => {
    throw new InvalidInputError(message, { field });
  };
  if (ensemble.trees.length === 0) refuse('expects at least one tree, but the ensemble has none');
  let margin = Math.abs(ensemble.baseScore);
  ensemble.trees.forEach((tree, t) => {
    const n = tree.left.length;
    for (const [name, values] of Object.entries(tree)) {
      if ((values as unknown[]).length !== n)
        refuse(`expects tree ${t} to have ${n} entries in ${name}, but got ${(values as unknown[]).length}`);
    }
    checkTreeStructure(tree, { tree: `tree ${t}`, field });
    let largestLeaf = 0;
    for (let i = 0; i < n; i++) {
      if (tree.left[i] === -1) {
        const value = tree.leafValue[i];
        if (!Number.isFinite(value)) refuse(`expects tree ${t} node ${i} to have a finite leaf value, but got ${value}`);
        largestLeaf = Math.max(largestLeaf, Math.abs(value));
        continue;
      }
      const feature = tree.featureIndex[i];
      if (!Number.isInteger(feature) || feature < 0 || feature >= ensemble.featureCount) {
        refuse(`expects tree ${t} node ${i} to split on a feature in [0, ${ensemble.featureCount}), but got ${feature}`);
      }
      if (Number.isNaN(tree.threshold[i])) refuse(`expects tree ${t} node ${i} to have a threshold, but got NaN`);
    }
    margin += largestLeaf;
  });
  if (!(margin <= FLOAT32_MAX) || !Number.isFinite(ensemble.baseScore)) {
    refuse(
      `expects leaf values whose sum over the trees stays within float32 (at most ${FLOAT32_MAX}), but the largest margin is ${margin}`,
    );
  }
}
