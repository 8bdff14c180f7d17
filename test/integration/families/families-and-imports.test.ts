/**
 * The families behind the contract over real HTTP: `families` lists all six with their schemas; a
 * real LightGBM model and a model exported to ONNX by another framework are registered, served,
 * shadowed and promoted like a version trained here; bad files are refused with nothing written.
 */
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  FamiliesDocument,
  ImportModelDocument,
  PredictBatchDocument,
  PredictDocument,
  PromoteModelDocument,
  TrainModelDocument,
} from '../../generated/graphql';
import { assembleModel, floatConstant, floatTensorInfo, node } from '../../../src/plugins/onnx/graph';
import { startTestApp, type TestApp } from '../../helpers/app';
import { syntheticRows, waitForJob } from '../../helpers/fixtures';
import { dataOf, errorOf } from '../../helpers/graphql';
import { describeWithShared, readSharedJson, readSharedText } from '../../helpers/shared';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

const base64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64');

async function count(table: string): Promise<number> {
  const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`);
  return row.n;
}

/** A linear regressor as another framework exports it: input "input" [batch, 4], output "variable" [batch, 1]. */
const WEIGHTS = [0.8, -0.5, 0.05, 0];
const BIAS = 0.01;
function foreignRegressor(width = 4): Uint8Array {
  return assembleModel({
    inputs: [floatTensorInfo('input', ['batch', width])],
    outputs: [floatTensorInfo('variable', ['batch', 1])],
    nodes: [
      node({ opType: 'MatMul', inputs: ['input', 'coefficients'], outputs: ['product'] }),
      node({ opType: 'Add', inputs: ['product', 'intercept'], outputs: ['variable'] }),
    ],
    initializers: [
      floatConstant('coefficients', [...WEIGHTS, ...Array(width - 4).fill(0)], [width, 1]),
      floatConstant('intercept', [BIAS], [1]),
    ],
  });
}

describe('families', () => {
  it('lists the six families with their hyperparameter schemas', async () => {
    const { families } = dataOf(await t.as('viewer')(FamiliesDocument));
    const byId = Object.fromEntries(families.map((family) => [family.id, family]));
    expect(Object.keys(byId).sort()).toEqual(['lightgbm', 'nhits', 'patchtst', 'rl_meta_strategy', 'rl_position_sizing', 'xgboost']);
    expect(byId.lightgbm).toMatchObject({ kind: 'TABULAR', importFormats: ['lightgbm-text', 'onnx'], supportsUpdate: true });
    expect(byId.lightgbm.description).toMatch(/Trained by XGBoost 1\.7's engine .*grow_policy lossguide/);
    expect(byId.xgboost.importFormats).toEqual(['xgboost-json', 'onnx']);
    const properties = (id: string) => Object.keys((byId[id].hyperparameterSchema as { properties: Record<string, unknown> }).properties);
    expect(properties('lightgbm')).toEqual(
      expect.arrayContaining([
        'num_leaves',
        'min_data_in_leaf',
        'min_sum_hessian_in_leaf',
        'feature_fraction',
        'bagging_fraction',
        'bagging_freq',
        'lambda_l1',
        'lambda_l2',
        'learning_rate',
        'num_iterations',
      ]),
    );
    for (const id of ['rl_meta_strategy', 'rl_position_sizing']) {
      expect(byId[id]).toMatchObject({ kind: 'POLICY', supportsUpdate: true });
      expect(properties(id)).toEqual(expect.arrayContaining(['learningRate', 'discount', 'epsilon', 'epsilonDecay']));
    }
    expect(properties('rl_meta_strategy')).toContain('temperature');
  });
});

describeWithShared('a real LightGBM model over HTTP', () => {
  it('is imported from model.txt and serves LightGBM’s probabilities within 1e-5', async () => {
    const expected = readSharedJson<{ feature_names: string[]; rows: (number | null)[][]; prediction: number[] }>(
      'fixtures/lightgbm/binary.expected.json',
    );
    const imported = dataOf(
      await t.as('operator')(ImportModelDocument, {
        input: {
          name: 'lgbm-binary',
          family: 'lightgbm',
          format: 'lightgbm-text',
          files: [{ path: 'model.txt', contentBase64: base64(readSharedText('fixtures/lightgbm/binary.txt')) }],
          featureNames: expected.feature_names,
          activate: true,
        },
      }),
    ).importModel;
    expect(imported).toMatchObject({ version: 1, status: 'ACTIVE', source: 'IMPORTED', family: 'lightgbm', format: 'lightgbm-text' });
    expect(imported.artifacts.map((file) => file.path).sort()).toEqual(['model.onnx', 'model.txt']);
    const batch = dataOf(await t.as('trader')(PredictBatchDocument, { input: { model: 'lgbm-binary', rows: expected.rows } })).predictBatch;
    batch.forEach((prediction, r) => expect(Math.abs(prediction.value! - expected.prediction[r])).toBeLessThan(1e-5));
  });
});

describe('a model exported to ONNX by another framework', () => {
  const featureColumns = ['f0', 'f1', 'f2', 'f3'];

  it('is registered, served, shadowed and promoted like a version trained here', async () => {
    dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'lgbm-rows', rows: syntheticRows(500, 5) } }));
    dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'lgbm-trend', family: 'lightgbm' } }));
    const job = dataOf(
      await t.as('operator')(TrainModelDocument, {
        input: {
          model: 'lgbm-trend',
          dataset: 'lgbm-rows',
          targetColumn: 'y',
          featureColumns,
          orderColumn: 't',
          hyperparameters: { num_leaves: 8, num_iterations: 30, min_data_in_leaf: 10 },
          activate: true,
        },
      }),
    ).trainModel;
    const trained = await waitForJob(t, job.id);
    expect(trained).toMatchObject({ status: 'COMPLETED', modelVersion: { version: 1, status: 'ACTIVE' } });

    const imported = dataOf(
      await t.as('operator')(ImportModelDocument, {
        input: {
          name: 'lgbm-trend',
          family: 'lightgbm',
          format: 'onnx',
          files: [{ path: 'model.onnx', contentBase64: base64(foreignRegressor()) }],
          featureNames: featureColumns,
        },
      }),
    ).importModel;
    expect(imported).toMatchObject({ version: 2, status: 'SHADOW', source: 'IMPORTED', format: 'onnx' });

    const row = [0.4, -1.2, 0.3, 0.9];
    const expectedForeign = row.reduce((sum, x, j) => sum + x * WEIGHTS[j], BIAS);
    const answer = dataOf(
      await t.as('trader')(PredictDocument, { input: { model: 'lgbm-trend', features: row, requestId: 'onnx-req-1' } }),
    ).predict;
    expect(answer.modelVersion.version).toBe(1);
    let shadow: { version: number; outputs: number[] }[] = [];
    for (let attempt = 0; attempt < 50 && shadow.length === 0; attempt++) {
      shadow = await t.dataSource.query(
        `SELECT v.version, p.outputs FROM predictions p JOIN model_versions v ON v.id = p.model_version_id WHERE p.request_id = 'onnx-req-1' AND p.role = 'SHADOW'`,
      );
      if (shadow.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(shadow).toHaveLength(1);
    expect(shadow[0].version).toBe(2);
    expect(Math.abs(shadow[0].outputs[0] - expectedForeign)).toBeLessThan(1e-6);

    dataOf(await t.as('operator')(PromoteModelDocument, { input: { model: 'lgbm-trend', version: 2 } }));
    const promoted = dataOf(await t.as('trader')(PredictDocument, { input: { model: 'lgbm-trend', features: row } })).predict;
    expect(promoted.modelVersion).toMatchObject({ version: 2, status: 'ACTIVE' });
    expect(promoted.outputs.map((output) => output.name)).toEqual(['variable']);
    expect(Math.abs(promoted.value! - expectedForeign)).toBeLessThan(1e-6);
  });

  it('can be imported under the xgboost family too', async () => {
    const imported = dataOf(
      await t.as('operator')(ImportModelDocument, {
        input: {
          name: 'xgb-onnx',
          family: 'xgboost',
          format: 'onnx',
          files: [{ path: 'model.onnx', contentBase64: base64(foreignRegressor()) }],
          featureNames: featureColumns,
          activate: true,
        },
      }),
    ).importModel;
    expect(imported).toMatchObject({ status: 'ACTIVE', family: 'xgboost', format: 'onnx' });
    const answer = dataOf(await t.as('trader')(PredictDocument, { input: { model: 'xgb-onnx', features: [1, 1, 1, 1] } })).predict;
    expect(answer.value).toBeCloseTo(0.8 - 0.5 + 0.05 + BIAS, 5);
  });
});

describe('bad model files are refused with nothing written', () => {
  async function refusedImport(input: {
    family: string;
    format: string;
    path: string;
    content: Uint8Array | string;
    featureNames: string[];
  }) {
    const before = { models: await count('registered_models'), versions: await count('model_versions'), events: await count('events') };
    const error = errorOf(
      await t.as('operator')(ImportModelDocument, {
        input: {
          name: `refused-${input.format}`,
          family: input.family,
          format: input.format,
          files: [{ path: input.path, contentBase64: base64(input.content) }],
          featureNames: input.featureNames,
        },
      }),
    );
    expect(error.code).toBe('BAD_USER_INPUT');
    expect({ models: await count('registered_models'), versions: await count('model_versions'), events: await count('events') }).toEqual(
      before,
    );
    return error;
  }

  it('an ONNX file whose input width differs from the declared features', async () => {
    const error = await refusedImport({
      family: 'lightgbm',
      format: 'onnx',
      path: 'model.onnx',
      content: foreignRegressor(6),
      featureNames: ['f0', 'f1', 'f2', 'f3'],
    });
    expect(error.message).toBe(
      'expects an input width of 4 (one per feature name), but the model declares inputs (input: float[batch, 6])',
    );
    expect(error.extensions?.field).toBe('file');
  });

  it('an ONNX file that is not ONNX', async () => {
    const error = await refusedImport({
      family: 'xgboost',
      format: 'onnx',
      path: 'model.onnx',
      content: '{"learner": "not a protobuf"}',
      featureNames: ['a'],
    });
    expect(error.message).toMatch(/^expects an ONNX model/);
  });

  describeWithShared('LightGBM text files', () => {
    const names = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7'];

    it('with linear trees', async () => {
      const linear = readSharedText('fixtures/lightgbm/regression.txt').replace('is_linear=0', 'is_linear=1');
      const error = await refusedImport({
        family: 'lightgbm',
        format: 'lightgbm-text',
        path: 'model.txt',
        content: linear,
        featureNames: names,
      });
      expect(error.message).toMatch(
        /tree 0 is a linear tree \(is_linear=1, trained with linear_tree=true\); retrain with linear_tree=false/,
      );
      expect(error.extensions?.field).toBe('model.txt');
    });

    it('with a truncated tree block', async () => {
      const text = readSharedText('fixtures/lightgbm/regression.txt');
      const cut = text.indexOf('right_child=', text.indexOf('Tree=12'));
      const truncated = text.slice(0, cut) + text.slice(text.indexOf('\n\n', cut));
      const error = await refusedImport({
        family: 'lightgbm',
        format: 'lightgbm-text',
        path: 'model.txt',
        content: truncated,
        featureNames: names,
      });
      expect(error.message).toBe('expects 15 leaf_value entries in tree 12, but got 0 (is the tree block truncated?)');
    });
  });
});
