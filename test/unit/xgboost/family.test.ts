import { InvalidInputError } from '../../../src/lib/errors';
import { rmse } from '../../../src/lib/metrics';
import type { TabularTrainingSet, TrainedModel } from '../../../src/plugins/contract';
import { xgboostFamily } from '../../../src/plugins/xgboost';
import { Booster, DMatrix } from '../../../src/plugins/base/xgboost-engine/native';
import { xgboostHyperparameters, type XGBoostParams } from '../../../src/plugins/base/xgboost-engine/params';
import { syntheticSet, trainContext } from './synthetic';

const params = (overrides: Partial<XGBoostParams> = {}): XGBoostParams =>
  xgboostHyperparameters.parse({ num_boost_round: 15, max_depth: 4, early_stopping_rounds: 0, ...overrides });

interface JsonTree {
  split_indices: number[];
  split_conditions: number[];
  left_children: number[];
}

function treesOf(trained: TrainedModel): JsonTree[] {
  const json = JSON.parse(new TextDecoder().decode(trained.artifact.files['model.json']));
  return json.learner.gradient_booster.model.trees;
}

function editModelJson(trained: TrainedModel, edit: (json: any) => void): Uint8Array {
  const json = JSON.parse(new TextDecoder().decode(trained.artifact.files['model.json']));
  edit(json);
  return new TextEncoder().encode(JSON.stringify(json));
}

describe('xgboost family', () => {
  const width = 6;
  const data = syntheticSet(1500, width, { seed: 11 });
  let trained: TrainedModel;

  beforeAll(async () => {
    trained = await xgboostFamily.train(data, params(), trainContext());
  });

  it('trains the requested rounds, reporting progress once per round', async () => {
    const ctx = trainContext();
    const model = await xgboostFamily.train(data, params({ num_boost_round: 12 }), ctx);
    expect(treesOf(model)).toHaveLength(12);
    expect(ctx.progressCalls.map((p) => p.fraction)).toEqual(Array.from({ length: 12 }, (_, i) => (i + 1) / 12));
    expect(ctx.progressCalls[11].message).toMatch(/^round 12\/12 valid-rmse=/);
  });

  it('reports validation metrics and a reference summary of the time-ordered split', () => {
    const validationRows = Math.floor(data.rows * 0.2);
    expect(Object.keys(trained.metrics).sort()).toEqual(['directional_accuracy', 'mae', 'r2', 'rmse']);
    expect(trained.metrics.r2).toBeGreaterThan(0.5);
    expect(trained.reference?.rows).toBe(data.rows - validationRows);
    expect(trained.reference?.features.map((f) => f.name)).toEqual(data.featureNames);
    expect(trained.reference?.features[0].missingFraction).toBeGreaterThan(0);
    expect(trained.reference?.predictions?.count).toBe(validationRows);
    expect(trained.reference?.outcomes?.count).toBe(validationRows);
    const tailMean = data.target.subarray(data.rows - validationRows).reduce((a, b) => a + b, 0) / validationRows;
    expect(trained.reference?.outcomes?.mean).toBeCloseTo(tailMean, 5);
  });

  it('trains on every row, without metrics or early stopping, when validation_fraction is 0', async () => {
    const model = await xgboostFamily.train(data, params({ validation_fraction: 0, early_stopping_rounds: 3 }), trainContext());
    expect(model.metrics).toEqual({});
    expect(model.reference?.rows).toBe(data.rows);
    expect(model.reference?.predictions).toBeUndefined();
    expect(treesOf(model)).toHaveLength(15);
  });

  it('scores binary models with logloss, auc and accuracy', async () => {
    const binary = syntheticSet(1500, width, { seed: 12, task: 'binary' });
    const model = await xgboostFamily.train(binary, params({ objective: 'binary:logistic' }), trainContext());
    expect(Object.keys(model.metrics).sort()).toEqual(['accuracy', 'auc', 'logloss']);
    expect(model.metrics.auc).toBeGreaterThan(0.85);
    expect(model.artifact.signature.task).toBe('binary');
  });

  it('passes huber_slope to reg:pseudohubererror', async () => {
    const model = await xgboostFamily.train(data, params({ objective: 'reg:pseudohubererror', huber_slope: 0.3 }), trainContext());
    const json = JSON.parse(new TextDecoder().decode(model.artifact.files['model.json']));
    expect(Number(json.learner.objective.pseudo_huber_param.huber_slope)).toBeCloseTo(0.3, 6);
  });

  it('gives gain importance by feature name, normalised, highest on the informative features', () => {
    const importance = trained.featureImportance!;
    expect(Object.keys(importance)).toEqual(data.featureNames);
    expect(Object.values(importance).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(importance.f0 + importance.f1 + importance.f2).toBeGreaterThan(0.8);
  });

  it('update() keeps the previous trees and adds update_rounds new ones', async () => {
    const newer = syntheticSet(400, width, { seed: 13 });
    const updated = await xgboostFamily.update!(trained.artifact, newer, params({ update_rounds: 5 }), trainContext());
    const before = treesOf(trained);
    const after = treesOf(updated);
    expect(after).toHaveLength(before.length + 5);
    after.slice(0, before.length).forEach((tree, i) => {
      expect(tree.split_indices).toEqual(before[i].split_indices);
      expect(tree.split_conditions).toEqual(before[i].split_conditions);
      expect(tree.left_children).toEqual(before[i].left_children);
    });
    expect(updated.metrics.rmse).toBeGreaterThan(0);
  });

  it('update() refuses rows whose features differ from the previous model', async () => {
    const renamed = { ...syntheticSet(400, width, { seed: 13 }), featureNames: ['a', 'b', 'c', 'd', 'e', 'f'] };
    await expect(xgboostFamily.update!(trained.artifact, renamed, params(), trainContext())).rejects.toMatchObject({
      details: { field: 'featureNames' },
    });
  });

  it('stops at the best validation round with early stopping', async () => {
    const noisy = syntheticSet(600, width, { seed: 14 });
    const overfit = { eta: 0.5, max_depth: 8, min_child_weight: 0, lambda: 0, num_boost_round: 150 };
    const ctx = trainContext();
    const stopped = await xgboostFamily.train(noisy, params({ ...overfit, early_stopping_rounds: 5 }), ctx);
    const kept = treesOf(stopped).length;
    expect(kept).toBeLessThan(150);
    expect(ctx.progressCalls).toHaveLength(kept + 5);
    expect(ctx.logs.some((line) => line.includes('early stopping'))).toBe(true);

    // The same training without early stopping: the kept round must be the best of those it saw.
    const full = await xgboostFamily.train(noisy, params(overfit), trainContext());
    const validationRows = Math.floor(noisy.rows * 0.2);
    const tail = DMatrix.fromDense(noisy.features.subarray((noisy.rows - validationRows) * width), validationRows, width);
    const booster = Booster.fromModel(full.artifact.files['model.json']);
    try {
      const outcomes = noisy.target.subarray(noisy.rows - validationRows);
      const scoreAfter = (rounds: number) => rmse(booster.predict(tail, { iterationEnd: rounds }), outcomes);
      const best = scoreAfter(kept);
      for (let rounds = 1; rounds <= kept + 5; rounds++) expect(best).toBeLessThanOrEqual(scoreAfter(rounds) + 1e-6);
    } finally {
      booster.free();
      tail.free();
    }
    expect(treesOf(full).slice(0, kept)).toEqual(treesOf(stopped));
  });

  it('refit_on_all_rows: validates as the held-out fit does, then trains on every row with the rounds early stopping kept', async () => {
    const noisy = syntheticSet(600, width, { seed: 15 });
    const setting = { eta: 0.5, max_depth: 8, min_child_weight: 0, lambda: 0, num_boost_round: 150, early_stopping_rounds: 5 };
    const held = await xgboostFamily.train(noisy, params(setting), trainContext());
    const ctx = trainContext();
    const refit = await xgboostFamily.train(noisy, params({ ...setting, refit_on_all_rows: true }), ctx);
    const kept = treesOf(held).length;
    expect(kept).toBeLessThan(150);

    // The metrics (and the validation figures of the reference) are the held-out fit's: no rows are left to judge the refit on.
    expect(refit.metrics).toEqual(held.metrics);
    expect(refit.reference?.outcomes).toEqual(held.reference?.outcomes);
    expect(refit.reference?.rows).toBe(noisy.rows);
    // It says it has learned the held-out rows (no row is left to judge it on); the held-out fit does not.
    expect([refit.learnedHeldOutRows, held.learnedHeldOutRows]).toEqual([true, undefined]);
    // The model is the one trained on all 600 rows for the kept rounds, not the held-out one.
    const allRows = await xgboostFamily.train(
      noisy,
      params({ ...setting, num_boost_round: kept, early_stopping_rounds: 0, validation_fraction: 0 }),
      trainContext(),
    );
    expect(treesOf(refit)).toEqual(treesOf(allRows));
    expect(treesOf(refit)).not.toEqual(treesOf(held));
    // One progress scale for both passes: the first fit's rounds in [0, ½], the refit's in (½, 1].
    const fractions = ctx.progressCalls.map((call) => call.fraction);
    expect(fractions.every((fraction, i) => i === 0 || fraction >= fractions[i - 1])).toBe(true);
    expect(fractions.at(-1)).toBe(1);
    expect(ctx.progressCalls.at(-1)!.message).toBe(`refit on all 600 rows: round ${kept}/${kept}`);
  });

  it('stops at the next round when aborted, with an AbortError naming the round', async () => {
    const controller = new AbortController();
    const ctx = trainContext(controller.signal);
    const progress = ctx.progress;
    ctx.progress = (fraction, message) => {
      progress(fraction, message);
      if (ctx.progressCalls.length === 3) controller.abort();
    };
    await expect(xgboostFamily.train(data, params({ num_boost_round: 50 }), ctx)).rejects.toMatchObject({
      name: 'AbortError',
      message: expect.stringContaining('before boosting round 4 of 50'),
    });
    expect(ctx.progressCalls).toHaveLength(3);
  });

  it('lets an abort from a timer arrive while it trains', async () => {
    const controller = new AbortController();
    const ctx = trainContext(controller.signal);
    setTimeout(() => controller.abort(new Error('job cancelled')), 20);
    await expect(xgboostFamily.train(data, params({ num_boost_round: 10_000 }), ctx)).rejects.toMatchObject({
      name: 'AbortError',
      message: expect.stringMatching(/before boosting round \d+ of 10000: job cancelled/),
    });
    expect(ctx.progressCalls.length).toBeLessThan(10_000);
  });

  it.each([
    [{ max_depth: 'deep' }, 'hyperparameters.max_depth'],
    [{ eta: -0.1 }, 'hyperparameters.eta'],
    [{ objective: 'multi:softmax' }, 'hyperparameters.objective'],
    [{ tree_method: 'exact' }, 'hyperparameters.tree_method'],
    [{ max_dpeth: 3 }, 'hyperparameters.max_dpeth'],
  ])('refuses bad hyperparameters %j naming the field', async (bad, field) => {
    const attempt = xgboostFamily.train(data, { ...params(), ...bad } as unknown as XGBoostParams, trainContext());
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toMatchObject({ details: { field } });
  });

  it.each([
    ['features', (d: TabularTrainingSet) => ({ ...d, features: d.features.map((v, i) => (i === 7 ? Infinity : v)) })],
    ['features', (d: TabularTrainingSet) => ({ ...d, features: d.features.subarray(1) })],
    ['target', (d: TabularTrainingSet) => ({ ...d, target: d.target.map((v, i) => (i === 3 ? NaN : v)) })],
    ['featureNames', (d: TabularTrainingSet) => ({ ...d, featureNames: ['f0', 'f0', 'f2', 'f3', 'f4', 'f5'] })],
    ['rows', () => syntheticSet(10, width)],
  ])('refuses a training set with bad %s', async (field, corrupt) => {
    await expect(xgboostFamily.train(corrupt(data), params(), trainContext())).rejects.toMatchObject({
      details: { field },
    });
  });

  it('refuses binary targets other than 0 and 1', async () => {
    await expect(xgboostFamily.train(data, params({ objective: 'binary:logistic' }), trainContext())).rejects.toMatchObject({
      details: { field: 'target' },
      message: expect.stringContaining('0 or 1'),
    });
  });

  describe('importArtifact', () => {
    const importJson = (json: Uint8Array, featureNames = data.featureNames) =>
      xgboostFamily.importArtifact!({ 'model.json': json }, 'xgboost-json', { featureNames });

    it('imports a model JSON and serves the same predictions', async () => {
      const imported = await importJson(trained.artifact.files['model.json']);
      expect(imported.metrics).toEqual({});
      expect(imported.artifact.signature).toEqual(trained.artifact.signature);
      const [a, b] = await Promise.all([xgboostFamily.load(imported.artifact), xgboostFamily.load(trained.artifact)]);
      try {
        const rows = data.features.subarray(0, 50 * width);
        expect(await a.predict(rows, 50)).toEqual(await b.predict(rows, 50));
      } finally {
        await Promise.all([a.dispose(), b.dispose()]);
      }
    });

    it('refuses categorical splits', async () => {
      const json = editModelJson(trained, (m) => {
        const tree = m.learner.gradient_booster.model.trees[2];
        tree.split_type[0] = 1;
        tree.categories_nodes = [0];
        tree.categories = [1, 3];
        tree.categories_segments = [0];
        tree.categories_sizes = [2];
      });
      await expect(importJson(json)).rejects.toThrow(/tree 2 has categorical splits/);
    });

    it('refuses multi-output models, unsupported objectives and a feature count that does not match', async () => {
      const multi = editModelJson(trained, (m) => {
        m.learner.learner_model_param.num_class = '3';
      });
      await expect(importJson(multi)).rejects.toThrow(/single-output model, but got num_class 3/);
      const gamma = editModelJson(trained, (m) => {
        m.learner.objective.name = 'reg:gamma';
      });
      await expect(importJson(gamma)).rejects.toThrow(/objective .* but got "reg:gamma"/);
      await expect(importJson(trained.artifact.files['model.json'], ['a', 'b'])).rejects.toMatchObject({
        details: { field: 'featureNames' },
        message: expect.stringContaining('num_feature 6'),
      });
    });

    it('refuses other formats and files that are not XGBoost JSON', async () => {
      await expect(
        xgboostFamily.importArtifact!({ 'model.json': new Uint8Array() }, 'pmml', { featureNames: data.featureNames }),
      ).rejects.toMatchObject({ details: { field: 'format' } });
      await expect(importJson(new TextEncoder().encode('{"learner": 3}'))).rejects.toBeInstanceOf(InvalidInputError);
      await expect(importJson(new TextEncoder().encode('not json'))).rejects.toThrow(/not JSON/);
      await expect(
        xgboostFamily.importArtifact!({ 'model.bin': new Uint8Array(3) }, 'xgboost-json', { featureNames: data.featureNames }),
      ).rejects.toThrow(/expects an artifact file "model.json"/);
    });
  });
});
