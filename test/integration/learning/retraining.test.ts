/**
 * The retraining orchestrator end to end: triggerRetraining FULL, PARTIAL and INCREMENTAL over HTTP
 * (and an INCREMENTAL job queued the way the trades work queues one), each training the model from
 * its ACTIVE version into a SHADOW version, re-materializing datasets built from a spec, and writing
 * the learning log that `learningEvents` reads. Bad requests are refused with nothing queued.
 */
import { ModelVersionEntity } from '../../../src/entities/model-version.entity';
import type { DatasetEntity } from '../../../src/entities/dataset.entity';
import { tableFromRows } from '../../../src/lib/dataset-table';
import { parseXGBoostModel } from '../../../src/plugins/base/xgboost-engine/model-json';
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  JobDetailDocument,
  LearningEventsDocument,
  PredictBatchDocument,
  TrainModelDocument,
  TriggerRetrainingDocument,
  type TriggerRetrainingInput,
} from '../../generated/graphql';
import { GATE_OFF, startTestApp, type TestApp } from '../../helpers/app';
import { syntheticRows, waitForJob } from '../../helpers/fixtures';
import { dataOf, errorOf } from '../../helpers/graphql';

const FEATURES = ['f0', 'f1', 'f2', 'f3'];
const PARAMS = { num_boost_round: 40, max_depth: 3, early_stopping_rounds: 0, update_rounds: 5, seed: 4 };

let t: TestApp;

/**
 * Datasets of `syntheticRows` described by their spec, as a bars or trade-log materializer describes
 * its datasets: each rebuild holds 300 more rows of the same seeded series (the first rows unchanged).
 */
function syntheticMaterializer(app: TestApp) {
  let rebuilds = 0;
  return {
    async rematerialize(dataset: DatasetEntity): Promise<DatasetEntity | null> {
      const spec = dataset.spec as { kind?: string; seed: number; rows: number; base?: string } | null;
      if (spec?.kind !== 'synthetic-rows') return null;
      const rows = spec.rows + 300;
      const base = spec.base ?? dataset.name;
      return app.app.services.datasets.saveTable({
        name: `${base}-r${++rebuilds}`,
        source: 'ROWS',
        table: tableFromRows(syntheticRows(rows, spec.seed)),
        spec: { kind: 'synthetic-rows', seed: spec.seed, rows, base },
      });
    },
  };
}

async function trainActive(model: string, dataset: string): Promise<void> {
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: model, family: 'xgboost' } }));
  const job = dataOf(
    await t.as('operator')(TrainModelDocument, {
      input: { model, dataset, targetColumn: 'y', featureColumns: FEATURES, orderColumn: 't', hyperparameters: PARAMS, activate: true },
    }),
  ).trainModel;
  expect(await waitForJob(t, job.id)).toMatchObject({ status: 'COMPLETED', modelVersion: { version: 1, status: 'ACTIVE' } });
}

async function trigger(input: TriggerRetrainingInput) {
  return t.as('operator')(TriggerRetrainingDocument, { input });
}

async function learningEvents(model: string) {
  return dataOf(await t.as('viewer')(LearningEventsDocument, { filter: { model } })).learningEvents.nodes;
}

async function version(model: string, number: number): Promise<ModelVersionEntity> {
  const rows = await t.dataSource.query(
    'SELECT v.id FROM model_versions v JOIN registered_models m ON m.id = v.registered_model_id WHERE m.name = $1 AND v.version = $2',
    [model, number],
  );
  return t.dataSource.getRepository(ModelVersionEntity).findOneByOrFail({ id: rows[0].id });
}

async function treeCount(model: string, number: number): Promise<number> {
  const artifact = await t.app.services.registry.loadArtifact(await version(model, number));
  return parseXGBoostModel(artifact.files['model.json']).trees.length;
}

async function jobCount(): Promise<number> {
  const [{ count }] = await t.dataSource.query('SELECT count(*)::int AS count FROM jobs');
  return count;
}

beforeAll(async () => {
  t = await startTestApp({ policy: GATE_OFF });
  t.app.services.retraining.addMaterializer(syntheticMaterializer(t));
  dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'alpha-rows', rows: syntheticRows(600, 21) } }));
  await trainActive('alpha', 'alpha-rows');
  await t.app.services.datasets.saveTable({
    name: 'gamma-rows',
    source: 'ROWS',
    table: tableFromRows(syntheticRows(600, 22)),
    spec: { kind: 'synthetic-rows', seed: 22, rows: 600 },
  });
  await trainActive('gamma', 'gamma-rows');
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'empty', family: 'xgboost' } }));
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('FULL retraining', () => {
  it('retrains every model with an ACTIVE version into a SHADOW version and logs what it learned', async () => {
    const plan = dataOf(await trigger({ kind: 'FULL', reason: 'weekly refresh' })).triggerRetraining;
    expect(plan.skipped).toEqual([{ model: 'empty', reason: 'it has no ACTIVE version to retrain from' }]);
    expect(
      plan.jobs.map((job) => [job.registeredModel?.name, job.kind, job.trigger, job.reason, job.timeLimitSeconds, job.retryLimit]),
    ).toEqual([
      ['alpha', 'FULL', 'MANUAL', 'weekly refresh', 2700, 1],
      ['gamma', 'FULL', 'MANUAL', 'weekly refresh', 2700, 1],
    ]);
    const [alphaJob, gammaJob] = await Promise.all(plan.jobs.map((job) => waitForJob(t, job.id)));
    expect(alphaJob).toMatchObject({ status: 'COMPLETED', modelVersion: { version: 2, status: 'SHADOW' } });
    expect(gammaJob).toMatchObject({ status: 'COMPLETED', modelVersion: { version: 2, status: 'SHADOW' } });

    const [v1, v2] = [await version('alpha', 1), await version('alpha', 2)];
    expect(v2).toMatchObject({
      status: 'SHADOW',
      source: 'TRAINED',
      parentVersionId: v1.id,
      datasetId: v1.datasetId,
      hyperparameters: v1.hyperparameters,
    });
    expect(v2.trainingSpec).toMatchObject({
      targetColumn: 'y',
      featureColumns: FEATURES,
      orderColumn: 't',
      rows: 600,
      dataStart: 0,
      dataEnd: 599,
    });
    expect(alphaJob.result).toMatchObject({ version: 2, parentVersionId: v1.id, rows: 600 });

    const [event] = await learningEvents('alpha');
    expect(event).toMatchObject({
      kind: 'FULL',
      trigger: 'MANUAL',
      reason: 'weekly refresh',
      rowsUsed: 600,
      dataStart: 0,
      dataEnd: 599,
      job: { id: alphaJob.id, kind: 'FULL' },
      dataset: { name: 'alpha-rows' },
      versionBefore: { version: 1, status: 'ACTIVE' },
      versionAfter: { version: 2, status: 'SHADOW', source: 'TRAINED' },
    });
    expect(event.metricsAfter).toEqual(v2.metrics);
    expect(event.metricChange.rmse).toBeCloseTo(Number(event.metricsAfter.rmse) - Number(event.metricsBefore.rmse), 12);

    // "Before" is the ACTIVE version scored on the rows the new version held out: the latest 20%.
    const tail = syntheticRows(600, 21).slice(480);
    const served = dataOf(
      await t.as('trader')(PredictBatchDocument, { input: { model: 'alpha', rows: tail.map((row) => FEATURES.map((name) => row[name])) } }),
    ).predictBatch;
    expect(served.every((prediction) => prediction.modelVersion.version === 1)).toBe(true);
    const rmse = Math.sqrt(served.reduce((sum, prediction, i) => sum + (prediction.value! - tail[i].y!) ** 2, 0) / tail.length);
    expect(event.metricsBefore.rmse).toBeCloseTo(rmse, 4);
  }, 120_000);
});

describe('PARTIAL retraining', () => {
  it('re-materializes a dataset built from a spec and trains on the fresh rows', async () => {
    // The FULL retraining above rebuilt gamma's dataset once already (gamma-rows-r1).
    const plan = dataOf(await trigger({ kind: 'PARTIAL', models: ['gamma'], reason: 'drift MEDIUM on f0' })).triggerRetraining;
    expect(plan.jobs).toHaveLength(1);
    const job = await waitForJob(t, plan.jobs[0].id);
    expect(job).toMatchObject({ status: 'COMPLETED', kind: 'PARTIAL', modelVersion: { version: 3, status: 'SHADOW' } });
    const [event] = await learningEvents('gamma');
    expect(event).toMatchObject({
      kind: 'PARTIAL',
      rowsUsed: 900,
      dataStart: 0,
      dataEnd: 899,
      dataset: { name: 'gamma-rows-r2' },
      versionBefore: { version: 1 },
    });
    expect((await version('gamma', 3)).datasetId).toBe((await t.app.services.datasets.getDataset('gamma-rows-r2')).id);
    expect((await t.app.services.datasets.getDataset('gamma-rows-r2')).spec).toEqual({
      kind: 'synthetic-rows',
      seed: 22,
      rows: 900,
      base: 'gamma-rows',
    });
  }, 120_000);

  it('refuses a request it cannot carry out, naming the field, and queues nothing', async () => {
    const before = await jobCount();
    expect(errorOf(await trigger({ kind: 'PARTIAL', reason: 'x' }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'expects the models to retrain for PARTIAL, but got none',
      extensions: expect.objectContaining({ field: 'models' }),
    });
    expect(errorOf(await trigger({ kind: 'PARTIAL', models: ['alpha', 'empty'], reason: 'x' }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'expects models that can be retrained (PARTIAL), but "empty" cannot: it has no ACTIVE version to retrain from',
      extensions: expect.objectContaining({ field: 'models' }),
    });
    expect(errorOf(await trigger({ kind: 'PARTIAL', models: ['nobody'], reason: 'x' }))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'no registered model named "nobody"',
    });
    expect(errorOf(await trigger({ kind: 'PARTIAL', models: ['nobody', 'noone'], reason: 'x' }))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'no registered model named "nobody" or "noone"',
    });
    expect(
      errorOf(
        await t.as('operator')(TrainModelDocument, {
          input: { model: 'unregistered', dataset: 'alpha-rows', targetColumn: 'y', featureColumns: FEATURES, orderColumn: 't' },
        }),
      ),
    ).toMatchObject({
      code: 'NOT_FOUND',
      message:
        'no registered model named "unregistered"; register it first with createRegisteredModel(input: { name: "unregistered", family: "xgboost" }) (trainable families: xgboost, lightgbm, nhits, patchtst), then call trainModel again',
      extensions: expect.objectContaining({ field: 'model' }),
    });
    expect(errorOf(await trigger({ kind: 'FULL', dataset: 'alpha-rows', reason: 'x' }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      extensions: expect.objectContaining({ field: 'dataset' }),
    });
    expect(errorOf(await trigger({ kind: 'INCREMENTAL', models: ['gamma'], targetColumn: 'ret', reason: 'x' }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: "expects targetColumn only for INCREMENTAL with a dataset (INCREMENTAL retrains on the ACTIVE version's own dataset)",
      extensions: expect.objectContaining({ field: 'targetColumn' }),
    });
    dataOf(
      await t.as('operator')(CreateDatasetDocument, {
        input: {
          name: 'no-features',
          rows: [
            { t: 1, y: 1 },
            { t: 2, y: 2 },
          ],
        },
      }),
    );
    expect(errorOf(await trigger({ kind: 'INCREMENTAL', models: ['gamma'], dataset: 'no-features', reason: 'x' }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining('dataset "no-features" lacks the columns f0, f1, f2, f3'),
    });
    expect(errorOf(await t.as('trader')(TriggerRetrainingDocument, { input: { kind: 'FULL', reason: 'x' } }))).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await jobCount()).toBe(before);
  });

  it('queues a keyed request once, however often it is made', async () => {
    const request = {
      kind: 'PARTIAL' as const,
      models: ['alpha'],
      trigger: 'DRIFT' as const,
      reason: 'drift HIGH',
      singletonKey: 'drift:alpha:42',
    };
    const [first, second] = await Promise.all([
      t.app.services.retraining.requestRetraining(request),
      t.app.services.retraining.requestRetraining(request),
    ]);
    expect(first.jobs.map((job) => job.id)).toEqual(second.jobs.map((job) => job.id));
    const keyed = await t.dataSource.query(`SELECT singleton_key FROM jobs WHERE singleton_key LIKE 'drift:alpha:42%'`);
    expect(keyed).toEqual([{ singleton_key: 'drift:alpha:42:alpha' }]);
    expect(await waitForJob(t, first.jobs[0].id)).toMatchObject({ status: 'COMPLETED' });
  }, 120_000);
});

describe('INCREMENTAL updates', () => {
  it('continue the ACTIVE version on the rows after its data ended, recording it as the parent', async () => {
    const plan = dataOf(await trigger({ kind: 'INCREMENTAL', models: ['gamma'], reason: 'new bars' })).triggerRetraining;
    expect(plan.jobs[0]).toMatchObject({ kind: 'INCREMENTAL', timeLimitSeconds: 300 });
    const job = await waitForJob(t, plan.jobs[0].id);
    expect(job).toMatchObject({ status: 'COMPLETED', modelVersion: { version: 4, status: 'SHADOW' } });
    const [v1, v4] = [await version('gamma', 1), await version('gamma', 4)];
    expect(v4).toMatchObject({ source: 'UPDATED', parentVersionId: v1.id });
    expect(v4.trainingSpec).toMatchObject({ rows: 300, dataStart: 600, dataEnd: 899 });
    // The update kept the ACTIVE version's trees and added update_rounds more.
    expect(await treeCount('gamma', 4)).toBe((await treeCount('gamma', 1)) + PARAMS.update_rounds);
    const [event] = await learningEvents('gamma');
    expect(event).toMatchObject({
      kind: 'INCREMENTAL',
      rowsUsed: 300,
      dataStart: 600,
      dataEnd: 899,
      versionBefore: { version: 1 },
      versionAfter: { version: 4, source: 'UPDATED' },
    });
    expect(Object.keys(event.metricChange).sort()).toEqual(expect.arrayContaining(['mae', 'rmse']));
  }, 120_000);

  it('learn from a named dataset such as the trade log, with its own target and order columns', async () => {
    const trades = syntheticRows(200, 23).map((row, i) => ({
      entry: 1000 + i,
      ret: row.y,
      f0: row.f0,
      f1: row.f1,
      f2: row.f2,
      f3: row.f3,
    }));
    dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'gamma-trades', rows: trades } }));
    const plan = dataOf(
      await trigger({
        kind: 'INCREMENTAL',
        models: ['gamma'],
        dataset: 'gamma-trades',
        targetColumn: 'ret',
        orderColumn: 'entry',
        reason: 'trade log',
      }),
    ).triggerRetraining;
    const job = await waitForJob(t, plan.jobs[0].id);
    expect(job).toMatchObject({ status: 'COMPLETED', modelVersion: { version: 5 } });
    expect((await version('gamma', 5)).trainingSpec).toMatchObject({
      targetColumn: 'ret',
      orderColumn: 'entry',
      featureColumns: FEATURES,
      rows: 200,
      dataStart: 1000,
      dataEnd: 1199,
    });
  }, 120_000);

  it('run when queued directly by the trades work, and log the trigger', async () => {
    const gamma = await t.app.services.registry.getRegisteredModel('gamma');
    const job = await t.app.services.jobs.enqueue({
      kind: 'INCREMENTAL',
      trigger: 'TRADES',
      reason: '10 completed trades since the last update',
      registeredModelId: gamma.id,
      modelName: gamma.name,
      payload: { model: 'gamma' },
    });
    expect(await waitForJob(t, job.id)).toMatchObject({ status: 'COMPLETED', modelVersion: { version: 6, status: 'SHADOW' } });
    const [event] = await learningEvents('gamma');
    expect(event).toMatchObject({
      kind: 'INCREMENTAL',
      trigger: 'TRADES',
      reason: '10 completed trades since the last update',
      versionAfter: { version: 6 },
    });
  }, 120_000);

  it('complete without a version when no rows came after the ACTIVE version’s data', async () => {
    const eventsBefore = (await learningEvents('alpha')).length;
    const plan = dataOf(await trigger({ kind: 'INCREMENTAL', models: ['alpha'], reason: 'nothing new' })).triggerRetraining;
    const job = await waitForJob(t, plan.jobs[0].id);
    expect(job).toMatchObject({
      status: 'COMPLETED',
      modelVersion: null,
      result: { skipped: true, rows: 0, reason: 'no rows after 599 in dataset alpha-rows' },
    });
    expect(await learningEvents('alpha')).toHaveLength(eventsBefore);
    const detail = dataOf(await t.as('viewer')(JobDetailDocument, { id: job.id })).job;
    expect(detail.progress).toBe(1);
  }, 120_000);

  it('queue the models named that exist and list the unknown ones under skipped', async () => {
    const plan = dataOf(
      await trigger({ kind: 'INCREMENTAL', models: ['nobody', 'alpha'], reason: 'one name is a typo' }),
    ).triggerRetraining;
    expect(plan.skipped).toEqual([{ model: 'nobody', reason: 'no registered model named "nobody"' }]);
    expect(plan.jobs.map((job) => job.kind)).toEqual(['INCREMENTAL']);
    expect(await waitForJob(t, plan.jobs[0].id)).toMatchObject({ status: 'COMPLETED' });
  }, 120_000);
});
