/**
 * The tree ensembles inside an ONNX graph given for import, checked before ONNX Runtime sees it:
 * ONNX Runtime builds each tree by recursing from its root, so a deep or cyclic tree kills the process
 * (tree-ensemble-structure.ts). Every ai.onnx.ml TreeEnsembleRegressor, TreeEnsembleClassifier and
 * TreeEnsemble node, in the main graph and in any subgraph, must hold trees that pass checkForest.
 *
 * How the operators encode trees:
 * - TreeEnsembleRegressor / TreeEnsembleClassifier: parallel per-node attributes; a node is named by
 *   (nodes_treeids, nodes_nodeids), its children by nodes_truenodeids / nodes_falsenodeids within its
 *   tree, nodes_modes "LEAF" marks a leaf; a tree's root is its first node, a new tree starting
 *   wherever nodes_treeids changes (as ONNX Runtime reads them).
 * - TreeEnsemble (ai.onnx.ml opset 5): split nodes 0…S−1 and leaves 0…L−1; tree_roots name the root
 *   splits, nodes_truenodeids / nodes_falsenodeids a split or, where nodes_trueleafs /
 *   nodes_falseleafs is 1, a leaf.
 */
import { onnx } from 'onnx-proto';
import { InvalidInputError } from '../../lib/errors';
import { checkForest } from './tree-ensemble-structure';

const ML_DOMAIN = 'ai.onnx.ml';
const LEGACY_OPS = new Set(['TreeEnsembleRegressor', 'TreeEnsembleClassifier']);
const FIELD = 'file';

function ints(node: onnx.INodeProto, name: string): number[] {
  const attribute = node.attribute?.find((a) => a.name === name);
  return (attribute?.ints ?? []).map(Number);
}

function strings(node: onnx.INodeProto, name: string): string[] {
  const attribute = node.attribute?.find((a) => a.name === name);
  return (attribute?.strings ?? []).map((bytes) => Buffer.from(bytes).toString('utf8'));
}

function describe(node: onnx.INodeProto): string {
  return `the ${node.opType} node ${JSON.stringify((node.name ?? '').slice(0, 80))}`;
}

function refuse(node: onnx.INodeProto, problem: string): never {
  throw new InvalidInputError(`expects ${describe(node)} to hold well-formed trees, but ${problem}`, { field: FIELD });
}

function checkLegacyEnsemble(node: onnx.INodeProto): void {
  const treeIds = ints(node, 'nodes_treeids');
  const nodeIds = ints(node, 'nodes_nodeids');
  const trueIds = ints(node, 'nodes_truenodeids');
  const falseIds = ints(node, 'nodes_falsenodeids');
  const modes = strings(node, 'nodes_modes');
  const n = treeIds.length;
  if ([nodeIds, trueIds, falseIds, modes].some((values) => values.length !== n)) {
    refuse(
      node,
      `its nodes_* attributes differ in length (${[n, nodeIds.length, trueIds.length, falseIds.length, modes.length].join(', ')})`,
    );
  }
  const index = new Map<string, number>();
  const roots: number[] = [];
  for (let i = 0; i < n; i++) {
    const key = `${treeIds[i]}:${nodeIds[i]}`;
    if (index.has(key)) refuse(node, `tree ${treeIds[i]} declares node ${nodeIds[i]} twice`);
    index.set(key, i);
    if (i === 0 || treeIds[i] !== treeIds[i - 1]) roots.push(i);
  }
  const childOf = (i: number, id: number) => {
    const child = index.get(`${treeIds[i]}:${id}`);
    if (child === undefined)
      refuse(node, `tree ${treeIds[i]} node ${nodeIds[i]} has the child ${id}, which is not a node of tree ${treeIds[i]}`);
    return child;
  };
  checkForest({ size: n, children: (i) => (modes[i] === 'LEAF' ? null : [childOf(i, trueIds[i]), childOf(i, falseIds[i])]) }, roots, {
    tree: `every tree of ${describe(node)}`,
    field: FIELD,
    node: (i) => `tree ${treeIds[i]} node ${nodeIds[i]}`,
  });
}

function checkTreeEnsemble(node: onnx.INodeProto): void {
  const roots = ints(node, 'tree_roots');
  const trueIds = ints(node, 'nodes_truenodeids');
  const falseIds = ints(node, 'nodes_falsenodeids');
  const trueLeaf = ints(node, 'nodes_trueleafs');
  const falseLeaf = ints(node, 'nodes_falseleafs');
  const leaves = ints(node, 'leaf_targetids').length;
  const splits = trueIds.length;
  if ([falseIds, trueLeaf, falseLeaf].some((values) => values.length !== splits)) {
    refuse(node, `its nodes_* attributes differ in length (${[splits, falseIds.length, trueLeaf.length, falseLeaf.length].join(', ')})`);
  }
  // Splits keep their ids; leaf k becomes node splits + k. An id out of range stays out of range.
  const id = (target: number, isLeaf: number) =>
    isLeaf ? (target >= 0 && target < leaves ? splits + target : -1) : target < splits ? target : -1;
  checkForest(
    { size: splits + leaves, children: (i) => (i >= splits ? null : [id(trueIds[i], trueLeaf[i]), id(falseIds[i], falseLeaf[i])]) },
    roots,
    { tree: `every tree of ${describe(node)}`, field: FIELD, node: (i) => (i >= splits ? `leaf ${i - splits}` : `split ${i}`) },
  );
}

/** Refuses `model` (decoded) when one of its tree ensembles, in any graph or subgraph, is not a set of well-formed trees. */
export function checkOnnxTreeEnsembles(model: onnx.IModelProto): void {
  const graphs: onnx.IGraphProto[] = model.graph ? [model.graph] : [];
  while (graphs.length > 0) {
    const graph = graphs.pop()!;
    for (const node of graph.node ?? []) {
      if ((node.domain ?? '') === ML_DOMAIN && LEGACY_OPS.has(node.opType ?? '')) checkLegacyEnsemble(node);
      if ((node.domain ?? '') === ML_DOMAIN && node.opType === 'TreeEnsemble') checkTreeEnsemble(node);
      for (const attribute of node.attribute ?? []) {
        if (attribute.g) graphs.push(attribute.g);
        graphs.push(...(attribute.graphs ?? []));
      }
    }
  }
}
