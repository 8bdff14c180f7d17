/**
 * The spine end to end over real HTTP and graphql-ws: import a real XGBoost model, serve it, train
 * new versions from a dataset, promote, roll back and retire — and hear it all on subscriptions.
 */
import {
  CompareModelsDocument,
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  EventsDocument,
  FamiliesDocument,
  ImportModelDocument,
  JobDocument,
  ModelVersionDocument,
  PredictBatchDocument,
  PredictDocument,
  PromoteModelDocument,
  PromotionAlertsDocument,
  RegisteredModelDocument,
  RetireModelDocument,
  RollbackModelDocument,
  TrainModelDocument,
} from '../../generated/graphql';
import { GATE_OFF, startTestApp, type TestApp } from '../../helpers/app';
import { collect, dataOf, errorOf } from '../../helpers/graphql';
import { describeWithShared, readSharedJson, readSharedText } from '../../helpers/shared';
import { syntheticRows, waitForJob } from '../../helpers/fixtures';

interface ExpectedOutputs {
  feature_names: string[];
  rows: (number | null)[][];
  margin: number[];
  prediction: number[];
}

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ policy: GATE_OFF });
});
afterAll(async () => {
  await t?.close();
});

describeWithShared('an imported XGBoost 1.7.4 model', () => {
  it('is registered with hashed artifacts and serves the engine’s predictions over HTTP within 1e-5', async () => {
    const expected = readSharedJson<ExpectedOutputs>('fixtures/xgboost/regression.expected.json');
    const imported = dataOf(
      await t.as('operator')(ImportModelDocument, {
        input: {
          name: 'spy-regression',
          family: 'xgboost',
          format: 'xgboost-json',
          files: [
            { path: 'model.json', contentBase64: Buffer.from(readSharedText('fixtures/xgboost/regression.json')).toString('base64') },
          ],
          featureNames: expected.feature_names,
          activate: true,
        },
      }),
    ).importModel;
    expect(imported).toMatchObject({ version: 1, status: 'ACTIVE', source: 'IMPORTED', format: 'xgboost-json' });
    expect(imported.artifacts.map((file) => file.path).sort()).toEqual(['model.json', 'model.onnx']);
    expect(imported.artifacts.every((file) => /^[0-9a-f]{64}$/.test(file.sha256))).toBe(true);

    for (const r of [0, 1, 4, 57, 199]) {
      const prediction = dataOf(
        await t.as('trader')(PredictDocument, { input: { model: 'spy-regression', features: expected.rows[r] } }),
      ).predict;
      expect(prediction.value).toBeCloseTo(expected.prediction[r], 5);
      expect(Math.abs(prediction.value! - expected.prediction[r])).toBeLessThan(1e-5);
      expect(prediction.modelVersion).toMatchObject({ version: 1, status: 'ACTIVE' });
    }
    const batch = dataOf(
      await t.as('trader')(PredictBatchDocument, { input: { model: 'spy-regression', rows: expected.rows } }),
    ).predictBatch;
    expect(batch).toHaveLength(200);
    batch.forEach((prediction, r) => expect(Math.abs(prediction.value! - expected.prediction[r])).toBeLessThan(1e-5));
    const [{ count }] = await t.dataSource.query(
      `SELECT count(*)::int AS count FROM predictions p JOIN model_versions v ON v.id = p.model_version_id WHERE v.version = 1`,
    );
    expect(count).toBe(205);
  });
});

describe('training, promotion, rollback and retirement', () => {
  const featureColumns = ['f0', 'f1', 'f2', 'f3'];

  it('lists the xgboost family with its hyperparameter schema', async () => {
    const { families } = dataOf(await t.as('viewer')(FamiliesDocument));
    const xgboost = families.find((family) => family.id === 'xgboost');
    expect(xgboost).toMatchObject({ kind: 'TABULAR', importFormats: ['xgboost-json', 'onnx'], supportsUpdate: true });
    expect((xgboost!.hyperparameterSchema as { properties: Record<string, unknown> }).properties).toHaveProperty('max_depth');
  });

  it('trains versions from a dataset, promotes, rolls back and retires them, and reports it on promotionAlerts', async () => {
    const dataset = dataOf(
      await t.as('operator')(CreateDatasetDocument, { input: { name: 'trend-rows', rows: syntheticRows(600, 11) } }),
    ).createDataset;
    expect(dataset).toMatchObject({ rowCount: 600, source: 'ROWS' });
    dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'trend', family: 'xgboost' } }));
    // Subscribed once the model exists (a subscription to an unknown model is refused at once).
    const subscriber = t.ws('viewer');
    const alerts = collect(subscriber, PromotionAlertsDocument, { model: 'trend' }, (items) =>
      items.some((item) => item.promotionAlerts.type === 'model.retired' && item.promotionAlerts.payload.reason === 'end of test'),
    );

    const train = (activate: boolean, seed: number) =>
      t.as('operator')(TrainModelDocument, {
        input: {
          model: 'trend',
          dataset: 'trend-rows',
          targetColumn: 'y',
          featureColumns,
          orderColumn: 't',
          hyperparameters: { num_boost_round: 30, max_depth: 3, seed },
          activate,
        },
      });
    const first = dataOf(await train(true, 1)).trainModel;
    expect(first.status).toBe('QUEUED');
    const firstDone = await waitForJob(t, first.id);
    expect(firstDone).toMatchObject({ status: 'COMPLETED', kind: 'TRAIN', modelVersion: { version: 1, status: 'ACTIVE' } });
    expect(firstDone.result).toMatchObject({ version: 1, rows: 600 });

    const second = await waitForJob(t, dataOf(await train(false, 2)).trainModel.id);
    expect(second.modelVersion).toMatchObject({ version: 2, status: 'SHADOW' });

    const v2 = dataOf(await t.as('viewer')(ModelVersionDocument, { id: second.modelVersion!.id })).modelVersion;
    expect(v2.dataset?.name).toBe('trend-rows');
    expect(v2.trainingSpec).toMatchObject({ targetColumn: 'y', orderColumn: 't' });
    expect(v2.metrics).toHaveProperty('rmse');
    expect(v2.featureImportance.length).toBeGreaterThan(0);
    const [{ reference }] = await t.dataSource.query('SELECT reference FROM model_versions WHERE id = $1', [v2.id]);
    expect(reference.features.map((feature: { name: string }) => feature.name)).toEqual(featureColumns);

    // A prediction is answered by v1 and shadowed by v2 under the same request id.
    const answer = dataOf(
      await t.as('trader')(PredictDocument, { input: { model: 'trend', features: [0.1, -0.2, 0.3, null], requestId: 'req-1' } }),
    ).predict;
    expect(answer.modelVersion.version).toBe(1);
    let rows: { role: string; version: number }[] = [];
    for (let attempt = 0; attempt < 50 && rows.length < 2; attempt++) {
      rows = await t.dataSource.query(
        `SELECT p.role, v.version FROM predictions p JOIN model_versions v ON v.id = p.model_version_id WHERE p.request_id = 'req-1' ORDER BY v.version`,
      );
      if (rows.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(rows).toEqual([
      { role: 'ACTIVE', version: 1 },
      { role: 'SHADOW', version: 2 },
    ]);

    const comparison = dataOf(
      await t.as('viewer')(CompareModelsDocument, { a: firstDone.modelVersion!.id, b: v2.id, dataset: 'trend-rows' }),
    ).compareModels;
    expect(comparison.metrics.map((metric) => metric.name)).toContain('rmse');
    expect(comparison.agreement).toMatchObject({ dataset: 'trend-rows', rows: 600 });
    expect(comparison.agreement!.agreementRate).toBeGreaterThan(0.5);

    const promoted = dataOf(await t.as('operator')(PromoteModelDocument, { input: { model: 'trend', version: 2 } })).promoteModel;
    expect(promoted).toMatchObject({ version: 2, status: 'ACTIVE' });
    const afterPromotion = dataOf(
      await t.as('trader')(PredictDocument, { input: { model: 'trend', features: [0.1, -0.2, 0.3, 0.4] } }),
    ).predict;
    expect(afterPromotion.modelVersion.version).toBe(2);

    const rolledBack = dataOf(await t.as('operator')(RollbackModelDocument, { input: { model: 'trend' } })).rollbackModel;
    expect(rolledBack).toMatchObject({ version: 1, status: 'ACTIVE' });
    const model = dataOf(await t.as('viewer')(RegisteredModelDocument, { name: 'trend' })).registeredModel;
    expect(model.activeVersion?.version).toBe(1);
    expect(model.versions.nodes.map((version) => [version.version, version.status])).toEqual([
      [2, 'RETIRED'],
      [1, 'ACTIVE'],
    ]);

    dataOf(await t.as('operator')(RetireModelDocument, { input: { model: 'trend', reason: 'end of test' } }));
    expect(errorOf(await t.as('trader')(PredictDocument, { input: { model: 'trend', features: [0, 0, 0, 0] } }))).toMatchObject({
      code: 'CONFLICT',
      extensions: expect.objectContaining({ reason: 'MODEL_NOT_READY' }),
    });

    const heard = (await alerts).map((item) => [item.promotionAlerts.type, item.promotionAlerts.payload.version]);
    expect(heard).toEqual([
      ['model.promoted', 1],
      ['model.retired', 1],
      ['model.promoted', 2],
      ['model.retired', 2],
      ['model.rolled_back', 1],
      ['model.retired', 1],
    ]);
    await subscriber.dispose();

    // A client reconnecting with `after` replays what it missed, from the table, in order.
    const all = dataOf(await t.as('viewer')(EventsDocument, { model: 'trend' })).events;
    const promotedEvent = all.find((event) => event.type === 'model.promoted' && event.payload.version === 2)!;
    const replayClient = t.ws('viewer');
    const replayed = await collect(
      replayClient,
      PromotionAlertsDocument,
      { model: 'trend', after: promotedEvent.id },
      (items) => items.length === 3,
    );
    expect(replayed.map((item) => item.promotionAlerts.type)).toEqual(['model.retired', 'model.rolled_back', 'model.retired']);
    await replayClient.dispose();

    const registered = all.filter((event) => event.type === 'model.registered').map((event) => event.payload.version);
    expect(registered).toEqual([1, 2]);
    const job = dataOf(await t.as('viewer')(JobDocument, { id: first.id })).job;
    expect(job.durationMs).toBeGreaterThan(0);
  });
});
