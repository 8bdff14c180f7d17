/** LightGBM text models → ONNX: parity with the real LightGBM on every shared fixture, and what is refused. */
import { InvalidInputError } from '../../../src/lib/errors';
import { lightgbmFamily } from '../../../src/plugins/lightgbm';
import { lightgbmArtifact } from '../../../src/plugins/lightgbm/artifact';
import { parseLightGBMModel } from '../../../src/plugins/lightgbm/model-text';
import { lightgbmToEnsemble } from '../../../src/plugins/lightgbm/to-ensemble';
import { ZERO_THRESHOLD } from '../../../src/plugins/lightgbm/zero-as-missing';
import { loadOnnxPredictor } from '../../../src/plugins/onnx/predictor';
import { buildTreeEnsembleModel } from '../../../src/plugins/onnx/tree-ensemble-model';
import { describeWithShared, readSharedJson, readSharedText } from '../../helpers/shared';
import { lightgbmRawScore } from './lightgbm-reference';

interface Expected {
  feature_names: string[];
  rows: Array<Array<number | null>>;
  margin: number[];
  prediction: number[];
}

const FIXTURES = ['regression', 'binary', 'regression_zero_as_missing'] as const;

const modelText = (name: string) => readSharedText('fixtures/lightgbm', `${name}.txt`);
const bytes = (text: string) => new TextEncoder().encode(text);
const expectedOf = (name: string) => readSharedJson<Expected>('fixtures/lightgbm', `${name}.expected.json`);
const toBatch = (rows: Array<Array<number | null>>) => Float32Array.from(rows.flat(), (v) => (v === null ? NaN : v));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

async function importAndPredict(text: string, featureNames: string[], rows: Float32Array, count: number) {
  const trained = await lightgbmFamily.importArtifact!({ 'model.txt': bytes(text) }, 'lightgbm-text', { featureNames });
  const predictor = await lightgbmFamily.load(trained.artifact);
  try {
    return { trained, outputs: await predictor.predict(rows, count) };
  } finally {
    await predictor.dispose();
  }
}

function refusal(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError, but nothing was thrown');
}

describeWithShared('LightGBM fixtures → ONNX parity', () => {
  it.each(FIXTURES)('%s: ONNX margins and predictions match LightGBM within 1e-5 on all 200 rows', async (name) => {
    const expected = expectedOf(name);
    const { trained, outputs } = await importAndPredict(
      modelText(name),
      expected.feature_names,
      toBatch(expected.rows),
      expected.rows.length,
    );
    const binary = name === 'binary';
    expect(trained.artifact.signature).toEqual({
      task: binary ? 'binary' : 'regression',
      inputWidth: 8,
      outputs: binary ? ['probability', 'margin'] : ['prediction'],
      allowsMissing: true,
    });
    expect(Object.keys(trained.artifact.files).sort()).toEqual(['model.onnx', 'model.txt']);
    const k = trained.artifact.signature.outputs.length;
    expected.rows.forEach((_, r) => {
      expect(Math.abs(outputs[r * k] - expected.prediction[r])).toBeLessThan(1e-5);
      if (binary) expect(Math.abs(outputs[r * k + 1] - expected.margin[r])).toBeLessThan(1e-5);
    });
    const importance = Object.values(trained.featureImportance!);
    expect(importance.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it.each(FIXTURES)('%s: the double-precision port of LightGBM’s decision rule reproduces the fixture margins', (name) => {
    const expected = expectedOf(name);
    const model = parseLightGBMModel(bytes(modelText(name)));
    expected.rows.forEach((row, r) => {
      expect(
        lightgbmRawScore(
          model,
          row.map((v) => (v === null ? NaN : v)),
        ),
      ).toBeCloseTo(expected.margin[r], 10);
    });
  });

  it('missing type Zero: values with |x| ≤ 1e-35 take the default branch, through the preprocessing graph', async () => {
    const expected = expectedOf('regression_zero_as_missing');
    const model = parseLightGBMModel(bytes(modelText('regression_zero_as_missing')));
    const { zeroAsMissingFeatures } = lightgbmToEnsemble(model);
    expect(zeroAsMissingFeatures).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Each fixture row with one feature at a time replaced by a value at or around LightGBM's zero threshold.
    const probes = [0, -0, ZERO_THRESHOLD, -ZERO_THRESHOLD, 1e-36, 2e-35, -2e-35, 1e-30];
    const rows: number[][] = [];
    expected.rows.slice(1, 26).forEach((row) =>
      probes.forEach((probe, p) => {
        const changed = row.map((v) => (v === null ? NaN : v));
        changed[p % changed.length] = probe;
        rows.push(changed);
      }),
    );
    const batch = Float32Array.from(rows.flat());
    const { outputs } = await importAndPredict(modelText('regression_zero_as_missing'), expected.feature_names, batch, rows.length);
    const reference = rows.map((row) => lightgbmRawScore(model, Float32Array.from(row)));
    rows.forEach((_, r) => expect(Math.abs(outputs[r] - reference[r])).toBeLessThan(1e-5));

    // Without the preprocessing the ensemble alone would send zeros by their threshold: it matters.
    const bare = await loadOnnxPredictor(buildTreeEnsembleModel(lightgbmToEnsemble(model).ensemble), {
      task: 'regression',
      inputWidth: 8,
      outputs: ['prediction'],
      allowsMissing: true,
    });
    const bareOutputs = await bare.predict(batch, rows.length);
    await bare.dispose();
    const differing = rows.filter((_, r) => Math.abs(bareOutputs[r] - reference[r]) > 1e-5).length;
    expect(differing).toBeGreaterThan(10);
  });

  it('binary: the probability is sigmoid(σ × margin) for LightGBM’s sigmoid parameter σ', async () => {
    const expected = expectedOf('binary');
    const text = modelText('binary').replace('objective=binary sigmoid:1', 'objective=binary sigmoid:2.5');
    const { outputs } = await importAndPredict(text, expected.feature_names, toBatch(expected.rows), expected.rows.length);
    expected.rows.forEach((_, r) => {
      expect(Math.abs(outputs[r * 2 + 1] - expected.margin[r])).toBeLessThan(1e-5);
      expect(Math.abs(outputs[r * 2] - sigmoid(2.5 * expected.margin[r]))).toBeLessThan(1e-5);
    });
  });

  it('accepts feature names stored in the model only when they match the declared ones', () => {
    const named = modelText('regression').replace(/^feature_names=.*$/m, 'feature_names=a b c d e f g h');
    expect(lightgbmArtifact(bytes(named), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']).artifact.featureNames).toHaveLength(8);
    const error = refusal(() => lightgbmArtifact(bytes(named), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'x']));
    expect(error.message).toMatch(/expects featureNames to match the names stored in the model \[a, b, c, d, e, f, g, h\]/);
    expect(error.details).toEqual({ field: 'featureNames' });
    expect(refusal(() => lightgbmArtifact(bytes(modelText('regression')), ['a', 'b'])).message).toMatch(
      /max_feature_idx \+ 1 = 8\), but got 2 names/,
    );
  });

  describe('refuses what the ONNX ensemble cannot express or a damaged file', () => {
    const names = Array.from({ length: 8 }, (_, i) => `f${i}`);
    const refuseText = (text: string) => refusal(() => lightgbmArtifact(bytes(text), names));

    it('linear trees', () => {
      const linear = modelText('regression').replace('is_linear=0', 'is_linear=1\nleaf_const=0.1 0.2');
      const error = refuseText(linear);
      expect(error.message).toMatch(
        /tree 0 is a linear tree \(is_linear=1, trained with linear_tree=true\); retrain with linear_tree=false/,
      );
      expect(error.details).toEqual({ field: 'model.txt' });
    });

    it('a tree block truncated in the middle', () => {
      const text = modelText('regression');
      const start = text.indexOf('Tree=5');
      const cut = text.indexOf('leaf_value=', start);
      const truncated = text.slice(0, cut) + text.slice(text.indexOf('\n\n', cut));
      expect(refuseText(truncated).message).toMatch(/expects 15 leaf_value entries in tree 5, but got 0 \(is the tree block truncated\?\)/);
      const shortArray = text.replace(/(Tree=7\n(?:.*\n)*?threshold=)(\S+ )/, '$1');
      expect(refuseText(shortArray).message).toMatch(/expects 14 threshold entries in tree 7 \(num_leaves − 1\), but got 13/);
    });

    it('a file cut before "end of trees", or with a tree block missing', () => {
      const text = modelText('binary');
      expect(refuseText(text.slice(0, text.indexOf('Tree=30'))).message).toMatch(
        /ends? its trees with "end of trees", but the file stops before it/,
      );
      const withoutTree = text.slice(0, text.indexOf('Tree=30')) + text.slice(text.indexOf('Tree=31'));
      expect(refuseText(withoutTree).message).toMatch(/expects tree 30 next, but got "Tree=31"/);
      const lastDropped = text.slice(0, text.indexOf('Tree=59')) + text.slice(text.indexOf('end of trees'));
      expect(refuseText(lastDropped).message).toMatch(/expects 60 trees \(one per tree_sizes entry\), but got 59 tree blocks/);
    });

    it('categorical splits', () => {
      const text = modelText('regression');
      expect(refuseText(text.replace('num_cat=0', 'num_cat=1')).message).toMatch(/tree 0 has 1 categorical splits \(num_cat\)/);
      const categoricalType = text.replace(/^decision_type=(\d+)/m, 'decision_type=9');
      expect(refuseText(categoricalType).message).toMatch(/tree 0 node 0 is a categorical split/);
    });

    it('multiclass models, unsupported objectives and files that are not LightGBM models', () => {
      const text = modelText('regression');
      expect(refuseText(text.replace('num_class=1', 'num_class=3')).message).toMatch(/single-output model, but got num_class 3/);
      expect(refuseText(text.replace('objective=regression', 'objective=poisson')).message).toMatch(/but got "poisson"/);
      expect(refuseText(text.replace('objective=regression', 'objective=regression sqrt')).message).toMatch(/without reg_sqrt/);
      expect(refuseText('{"learner": {}}').message).toMatch(/expects LightGBM's text model format \(a first line "tree"\)/);
      expect(refuseText(text.replace(/^split_feature=(\d+)/m, 'split_feature=8')).message).toMatch(/tree 0 node 0 splits on feature 8/);
    });

    it('a feature whose splits mix missing type Zero with another', () => {
      const text = modelText('regression_zero_as_missing');
      const [types] = /^decision_type=.*$/m.exec(text)!;
      const mixed = text.replace(
        types,
        types.replace(/=(\d+)/, (_, d) => `=${(Number(d) & 3) | 8}`),
      );
      expect(refuseText(mixed).message).toMatch(/feature \d+ \(Column_\d\) mixes (Zero and NaN|NaN and Zero)/);
    });
  });
});
