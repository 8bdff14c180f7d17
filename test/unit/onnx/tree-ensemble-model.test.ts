import seedrandom from 'seedrandom';
import { boolConstant, floatConstant, node } from '../../../src/plugins/onnx/graph';
import { loadOnnxPredictor } from '../../../src/plugins/onnx/predictor';
import type { BranchMode, TreeArrays, TreeEnsemble } from '../../../src/plugins/onnx/tree-ensemble';
import { buildTreeEnsembleModel, ensembleOutputNames } from '../../../src/plugins/onnx/tree-ensemble-model';
import { MAX_TREE_DEPTH } from '../../../src/plugins/onnx/tree-ensemble-structure';
import { InvalidInputError } from '../../../src/lib/errors';

/** The IR's meaning, evaluated in double precision: margin = baseScore + Σ leaves. */
function referenceMargin(ensemble: TreeEnsemble, row: ArrayLike<number>): number {
  let margin = ensemble.baseScore;
  for (const tree of ensemble.trees) {
    let i = 0;
    while (tree.left[i] !== -1) {
      const x = row[tree.featureIndex[i]];
      const goLeft = Number.isNaN(x) ? tree.defaultLeft[i] : ensemble.mode === 'BRANCH_LT' ? x < tree.threshold[i] : x <= tree.threshold[i];
      i = goLeft ? tree.left[i] : tree.right[i];
    }
    margin += tree.leafValue[i];
  }
  return margin;
}

/** A complete binary tree of `depth` with double thresholds that float32 cannot represent. */
function randomTree(random: () => number, depth: number, width: number): TreeArrays {
  const tree: TreeArrays = { featureIndex: [], threshold: [], left: [], right: [], defaultLeft: [], leafValue: [] };
  const inner = 2 ** depth - 1;
  for (let i = 0; i < 2 * inner + 1; i++) {
    const leaf = i >= inner;
    tree.featureIndex.push(leaf ? 0 : Math.floor(random() * width));
    tree.threshold.push(leaf ? 0 : (random() * 2 - 1) * (1 + 1e-9 * random()));
    tree.left.push(leaf ? -1 : 2 * i + 1);
    tree.right.push(leaf ? -1 : 2 * i + 2);
    tree.defaultLeft.push(random() < 0.5);
    tree.leafValue.push(leaf ? Math.round((random() * 2 - 1) * 1000) / 1000 + 0.0005 : 0);
  }
  return tree;
}

function randomEnsemble(mode: BranchMode, postTransform: TreeEnsemble['postTransform'], width = 5): TreeEnsemble {
  const random = seedrandom(`ensemble:${mode}`);
  return {
    featureCount: width,
    mode,
    baseScore: 0.25,
    postTransform,
    trees: Array.from({ length: 30 }, () => randomTree(random, 4, width)),
  };
}

/** Rows that sit on, just below and just above the thresholds (as float32), plus NaN and random values. */
function probingRows(ensemble: TreeEnsemble, rows: number): Float32Array {
  const random = seedrandom('rows');
  const width = ensemble.featureCount;
  const thresholds = ensemble.trees.flatMap((t) => t.threshold.filter((_, i) => t.left[i] !== -1));
  const out = new Float32Array(rows * width);
  const bits = new Int32Array(1);
  const asFloat = new Float32Array(bits.buffer);
  for (let k = 0; k < out.length; k++) {
    const pick = random();
    if (pick < 0.1) out[k] = NaN;
    else if (pick < 0.4) out[k] = random() * 2.2 - 1.1;
    else {
      asFloat[0] = thresholds[Math.floor(random() * thresholds.length)];
      bits[0] += Math.floor(random() * 3) - 1;
      out[k] = asFloat[0];
    }
  }
  return out;
}

describe('buildTreeEnsembleModel', () => {
  it.each(['BRANCH_LT', 'BRANCH_LEQ'] as const)(
    '%s: ONNX Runtime gives the double-precision IR margins for rows at the thresholds',
    async (mode) => {
      const ensemble = randomEnsemble(mode, 'NONE');
      const predictor = await loadOnnxPredictor(buildTreeEnsembleModel(ensemble), {
        task: 'regression',
        inputWidth: ensemble.featureCount,
        outputs: ensembleOutputNames(ensemble),
        allowsMissing: true,
      });
      try {
        const rows = 3000;
        const batch = probingRows(ensemble, rows);
        const out = await predictor.predict(batch, rows);
        let worst = 0;
        for (let r = 0; r < rows; r++) {
          const row = batch.subarray(r * ensemble.featureCount, (r + 1) * ensemble.featureCount);
          worst = Math.max(worst, Math.abs(out[r] - referenceMargin(ensemble, row)));
        }
        expect(worst).toBeLessThanOrEqual(1e-5);
      } finally {
        await predictor.dispose();
      }
    },
  );

  it('LOGISTIC: outputs probability = σ(margin) and margin, in that order', async () => {
    const ensemble = randomEnsemble('BRANCH_LT', 'LOGISTIC');
    expect(ensembleOutputNames(ensemble)).toEqual(['probability', 'margin']);
    const predictor = await loadOnnxPredictor(buildTreeEnsembleModel(ensemble), {
      task: 'binary',
      inputWidth: ensemble.featureCount,
      outputs: ['probability', 'margin'],
      allowsMissing: true,
    });
    try {
      const batch = probingRows(ensemble, 200);
      const out = await predictor.predict(batch, 200);
      for (let r = 0; r < 200; r++) {
        const margin = referenceMargin(ensemble, batch.subarray(r * 5, r * 5 + 5));
        expect(out[2 * r + 1]).toBeCloseTo(margin, 5);
        expect(out[2 * r]).toBeCloseTo(1 / (1 + Math.exp(-margin)), 6);
      }
    } finally {
      await predictor.dispose();
    }
  });

  it('runs a preprocessing graph in front of the ensemble (0 → missing on feature 1)', async () => {
    const ensemble = randomEnsemble('BRANCH_LEQ', 'NONE');
    const width = ensemble.featureCount;
    const mask = Array.from({ length: width }, (_, j) => j === 1);
    const model = buildTreeEnsembleModel(ensemble, {
      preprocess: {
        nodes: [
          node({ opType: 'Equal', inputs: ['features', 'zeros'], outputs: ['is_zero'] }),
          node({ opType: 'And', inputs: ['is_zero', 'zero_is_missing'], outputs: ['to_missing'] }),
          node({ opType: 'Where', inputs: ['to_missing', 'nan', 'features'], outputs: ['prepared'] }),
        ],
        initializers: [
          floatConstant('zeros', new Array(width).fill(0)),
          boolConstant('zero_is_missing', mask),
          floatConstant('nan', [NaN], []),
        ],
        output: 'prepared',
      },
    });
    const predictor = await loadOnnxPredictor(model, {
      task: 'regression',
      inputWidth: width,
      outputs: ['prediction'],
      allowsMissing: true,
    });
    try {
      const rows = 500;
      const batch = probingRows(ensemble, rows);
      for (let r = 0; r < rows; r += 2) batch[r * width + 1] = 0;
      for (let r = 1; r < rows; r += 4) batch[r * width + 2] = 0;
      const out = await predictor.predict(batch, rows);
      for (let r = 0; r < rows; r++) {
        const row = Array.from(batch.subarray(r * width, (r + 1) * width), (v, j) => (mask[j] && v === 0 ? NaN : v));
        expect(out[r]).toBeCloseTo(referenceMargin(ensemble, row), 5);
      }
    } finally {
      await predictor.dispose();
    }
  });

  it('refuses an ensemble whose trees point outside themselves or at unknown features', () => {
    const ensemble = randomEnsemble('BRANCH_LT', 'NONE');
    const badChild = structuredClone(ensemble);
    badChild.trees[3].right[0] = 99;
    expect(() => buildTreeEnsembleModel(badChild)).toThrow(
      new InvalidInputError(
        `expects tree 3 to be a binary tree from its root, at most ${MAX_TREE_DEPTH} levels deep, but node 0 has the child id 99, outside [0, 31)`,
      ),
    );
    const badFeature = structuredClone(ensemble);
    badFeature.trees[1].featureIndex[2] = 5;
    expect(() => buildTreeEnsembleModel(badFeature)).toThrow('expects tree 1 node 2 to split on a feature in [0, 5), but got 5');
    expect(() => buildTreeEnsembleModel({ ...ensemble, trees: [] })).toThrow('expects at least one tree');
  });
});
