/**
 * tuneModel over HTTP: a TUNING job searches the family's hyperparameters around the ACTIVE version's
 * training, ranks the trials by validation loss, and registers the best as a SHADOW version whose
 * parent is the ACTIVE one. Bad requests are refused with nothing queued.
 */
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  CreateRlAgentDocument,
  JobsDocument,
  ModelVersionDocument,
  TrainModelDocument,
  TuneModelDocument,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { syntheticRows, waitForJob } from '../../helpers/fixtures';
import { dataOf, errorOf } from '../../helpers/graphql';

jest.setTimeout(180_000);

const FEATURES = ['f0', 'f1', 'f2', 'f3'];
/** Deliberately weak: shallow, few rounds, a small learning rate — room for the search to do better. */
const ACTIVE_PARAMS = { num_boost_round: 30, max_depth: 2, eta: 0.03, early_stopping_rounds: 0, seed: 5 };

let t: TestApp;
let activeVersionId: string;

beforeAll(async () => {
  t = await startTestApp();
  dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'tuning-rows', rows: syntheticRows(3_000, 21) } }));
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'tuned', family: 'xgboost' } }));
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'untrained', family: 'xgboost' } }));
  const job = dataOf(
    await t.as('operator')(TrainModelDocument, {
      input: {
        model: 'tuned',
        dataset: 'tuning-rows',
        targetColumn: 'y',
        featureColumns: FEATURES,
        orderColumn: 't',
        hyperparameters: ACTIVE_PARAMS,
        activate: true,
      },
    }),
  ).trainModel;
  const trained = await waitForJob(t, job.id);
  activeVersionId = trained.modelVersion!.id;
});

afterAll(async () => {
  await t?.close();
});

interface TuningResult {
  metric: string;
  version: number;
  best: { trial: number; loss: number; hyperparameters: Record<string, unknown> };
  trials: { trial: number; sampled: Record<string, unknown>; loss: number; metrics: Record<string, number> }[];
}

it('searches around the ACTIVE version, ranks trials by validation loss, and registers the best as a SHADOW child', async () => {
  const queued = dataOf(await t.as('operator')(TuneModelDocument, { input: { model: 'tuned', trials: 5, seed: 3 } })).tuneModel;
  expect(queued).toMatchObject({ kind: 'TUNING', status: 'QUEUED', trigger: 'MANUAL', reason: 'tune tuned over 5 trials (seed 3)' });
  const done = await waitForJob(t, queued.id, 120_000);
  expect(done).toMatchObject({ status: 'COMPLETED', progress: 1, modelVersion: { version: 2, status: 'SHADOW' } });

  const result = done.result as unknown as TuningResult;
  expect(result.metric).toBe('rmse');
  expect(result.trials.map((trial) => trial.trial)).toEqual([1, 2, 3, 4, 5]);
  expect(result.trials[0].sampled).toEqual({}); // trial 1: the ACTIVE version's own hyperparameters
  for (const trial of result.trials.slice(1))
    expect(Object.keys(trial.sampled).sort()).toEqual([
      'alpha',
      'colsample_bytree',
      'eta',
      'gamma',
      'lambda',
      'max_depth',
      'min_child_weight',
      'subsample',
    ]);
  for (const trial of result.trials) expect(trial.loss).toBe(trial.metrics.rmse);
  const lowest = Math.min(...result.trials.map((trial) => trial.loss));
  expect(result.best.loss).toBe(lowest);
  expect(result.trials[result.best.trial - 1].loss).toBe(lowest);
  console.info(
    `tuning: validation rmse by trial ${result.trials.map((trial) => trial.loss.toFixed(4)).join(', ')}; best trial ${result.best.trial}`,
  );

  const version = dataOf(await t.as('viewer')(ModelVersionDocument, { id: done.modelVersion!.id })).modelVersion!;
  expect(version.parent).toMatchObject({ id: activeVersionId });
  expect(version.hyperparameters).toEqual(result.best.hyperparameters);
  // Trained again with the best trial's hyperparameters on the same rows, it validates the same.
  expect(version.metrics.rmse).toBeCloseTo(result.best.loss, 6);
  const active = dataOf(await t.as('viewer')(ModelVersionDocument, { id: activeVersionId })).modelVersion!;
  expect(version.metrics.rmse).toBeLessThan(active.metrics.rmse as number); // the ACTIVE hyperparameters are deliberately weak
});

it('refuses requests it cannot run, naming the field, and queues nothing', async () => {
  const tuningJobs = async () => dataOf(await t.as('viewer')(JobsDocument, { filter: { kind: ['TUNING'] } })).jobs.nodes.length;
  const before = await tuningJobs();
  const refusal = async (input: { model: string; trials?: number; seed?: number }) =>
    errorOf(await t.as('operator')(TuneModelDocument, { input }));

  expect(await refusal({ model: 'tuned', trials: 1 })).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: expect.stringContaining('expects trials to be a whole number from 2 to 100, but got 1'),
  });
  expect(await refusal({ model: 'tuned', trials: 101 })).toMatchObject({
    code: 'BAD_USER_INPUT',
    extensions: expect.objectContaining({ field: 'trials' }),
  });
  expect(await refusal({ model: 'tuned', seed: -1 })).toMatchObject({
    code: 'BAD_USER_INPUT',
    extensions: expect.objectContaining({ field: 'seed' }),
  });
  expect(await refusal({ model: 'nope' })).toMatchObject({ code: 'NOT_FOUND' });
  expect(await refusal({ model: 'untrained' })).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: expect.stringContaining('it has no ACTIVE version to retrain from'),
  });

  dataOf(await t.as('operator')(CreateRlAgentDocument, { input: { name: 'meta-agent', family: 'rl_meta_strategy' } }));
  expect(await refusal({ model: 'meta-agent' })).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: expect.stringContaining(
      'expects a model of a tabular or sequence family with a search space, but "meta-agent" is rl_meta_strategy (policy)',
    ),
  });
  expect(errorOf(await t.as('trader')(TuneModelDocument, { input: { model: 'tuned' } }))).toMatchObject({ code: 'FORBIDDEN' });
  expect(await tuningJobs()).toBe(before);
});
