/**
 * tuneModel over HTTP: a TUNING job searches the family's hyperparameters around the ACTIVE version's
 * training, scores each trial per fold of a walk-forward (policy retraining.tuning_scheme, or the
 * request's scheme) and averages the folds' losses, prunes the worse half of each rung of the successive
 * halving over num_boost_round, keeps every trial in tuning_trials (tuningTrials(jobId)), and registers the
 * best as a SHADOW version whose parent is the ACTIVE one. Bad requests are refused with nothing queued.
 */
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  CreateRlAgentDocument,
  JobsDocument,
  ModelVersionDocument,
  TrainModelDocument,
  TuneModelDocument,
  TuningTrialsDocument,
  TriggerRetrainingDocument,
  UpdatePolicyPatchDocument,
  type FoldSchemeInput,
} from '../../generated/graphql';
import type { TuningSearch } from '../../../src/learning/tuning.service';
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

/** A TUNING job's result, as tuning.service.ts writes it (the scheme as JSON). */
type TuningResult = Omit<TuningSearch, 'scheme'> & { version: number; scheme: Record<string, unknown> };

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

it('searches around the ACTIVE version, ranks trials by their mean walk-forward loss, prunes by successive halving, and registers the best as a SHADOW child', async () => {
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
  // Scored by the policy's default scheme, an expanding walk-forward of 3 folds: the loss is the folds' mean.
  expect(result.scheme).toEqual({ kind: 'expanding', folds: 3, gap: 0, testFraction: 0.5 });
  expect(result.folds).toBe(3);
  for (const trial of result.trials) {
    expect(trial.foldLosses).toHaveLength(3);
    expect(trial.loss).toBeCloseTo(mean(trial.foldLosses), 12);
  }
  // Successive halving over num_boost_round (30): 5 trials at 8 rounds, the better 3 at 15, the better 2 at 30.
  expect(result.budgetParameter).toBe('num_boost_round');
  expect(result.rungs).toEqual([
    { rung: 0, trials: 5 },
    { rung: 1, trials: 3 },
    { rung: 2, trials: 2 },
  ]);
  expect(result.trials.filter((trial) => trial.pruned)).toHaveLength(3);
  for (const trial of result.trials) {
    expect(trial.budget).toBe([8, 15, 30][trial.rung]);
    expect(trial.pruned).toBe(trial.rung < 2);
  }
  const finalists = result.trials.filter((trial) => trial.rung === 2);
  const lowest = Math.min(...finalists.map((trial) => trial.loss));
  expect(result.best.loss).toBe(lowest);
  expect(result.trials[result.best.trial - 1].loss).toBe(lowest);
  expect(result.best.hyperparameters).toEqual(result.trials[result.best.trial - 1].hyperparameters);
  console.info(
    `tuning: mean walk-forward rmse by trial ${result.trials.map((trial) => `${trial.loss.toFixed(4)}@${trial.rung}`).join(', ')}; best trial ${result.best.trial}`,
  );

  const version = dataOf(await t.as('viewer')(ModelVersionDocument, { id: done.modelVersion!.id })).modelVersion!;
  expect(version.parent).toMatchObject({ id: activeVersionId });
  expect(version.hyperparameters).toEqual(result.best.hyperparameters);
  // (Its validation rmse is no longer the trial's loss: a trial is scored by the walk-forward's folds, the version on its own tail.)
  const active = dataOf(await t.as('viewer')(ModelVersionDocument, { id: activeVersionId })).modelVersion!;
  expect(version.metrics.rmse).toBeLessThan(active.metrics.rmse as number); // the ACTIVE hyperparameters are deliberately weak
});

it('gives the same trials for the same seed and scheme, and keeps every trial in tuning_trials', async () => {
  const scheme = { kind: 'EXPANDING' as FoldSchemeInput['kind'], folds: 2, gap: 1, testFraction: 0.4 };
  const run = async () => {
    const queued = dataOf(await t.as('operator')(TuneModelDocument, { input: { model: 'tuned', trials: 4, seed: 7, scheme } })).tuneModel;
    const done = await waitForJob(t, queued.id, 120_000);
    expect(done.status).toBe('COMPLETED');
    return { id: queued.id, result: done.result as unknown as TuningResult };
  };
  const first = await run();
  const second = await run();
  expect(first.result.scheme).toEqual({ ...scheme, kind: 'expanding' });
  expect(first.result.rungs).toEqual([
    { rung: 0, trials: 4 },
    { rung: 1, trials: 2 },
  ]);
  const comparable = (result: TuningResult) =>
    result.trials.map(({ trial, sampled, foldLosses, rung, budget, pruned }) => ({ trial, sampled, foldLosses, rung, budget, pruned }));
  expect(comparable(second.result)).toEqual(comparable(first.result));
  expect(second.result.best).toEqual(first.result.best);
  expect(first.result.trials.filter((trial) => trial.pruned).map((trial) => trial.rung)).toEqual([0, 0]);

  // The table, through tuningTrials(jobId), holds each trial as the job's result reports it.
  const rows = dataOf(await t.as('viewer')(TuningTrialsDocument, { jobId: first.id })).tuningTrials;
  expect(rows.map((row) => row.trial)).toEqual([1, 2, 3, 4]);
  for (const row of rows) {
    const reported = first.result.trials[row.trial - 1];
    expect(row).toMatchObject({
      jobId: first.id,
      sampled: reported.sampled,
      hyperparameters: reported.hyperparameters,
      foldLosses: reported.foldLosses,
      loss: reported.loss,
      rung: reported.rung,
      budget: reported.budget,
      pruned: reported.pruned,
      durationMs: reported.durationMs,
    });
    expect(row.foldLosses).toHaveLength(2);
  }
  expect(errorOf(await t.as('viewer')(TuningTrialsDocument, { jobId: '00000000-0000-0000-0000-000000000000' }))).toMatchObject({
    code: 'NOT_FOUND',
  });
});

it('refuses requests it cannot run, naming the field, and queues nothing', async () => {
  const tuningJobs = async () => dataOf(await t.as('viewer')(JobsDocument, { filter: { kind: ['TUNING'] } })).jobs.nodes.length;
  const before = await tuningJobs();
  const refusal = async (input: { model: string; trials?: number; seed?: number; scheme?: FoldSchemeInput }) =>
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
  // A scheme whose folds are too small for the ACTIVE version's 3,000 rows, named by its field.
  expect(
    await refusal({ model: 'tuned', scheme: { kind: 'EXPANDING' as FoldSchemeInput['kind'], folds: 100, testFraction: 0.05 } }),
  ).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: expect.stringContaining('scheme.folds expects folds of at least 2 test rows, but 100 folds over the 150 test rows'),
    extensions: expect.objectContaining({ field: 'scheme.folds' }),
  });
  expect(
    await refusal({ model: 'tuned', scheme: { kind: 'PURGED_KFOLD' as FoldSchemeInput['kind'], folds: 2, purge: 2000 } }),
  ).toMatchObject({
    code: 'BAD_USER_INPUT',
    extensions: expect.objectContaining({ field: 'scheme.purge' }),
  });
  expect(await refusal({ model: 'tuned', scheme: { kind: 'HOLDOUT' as FoldSchemeInput['kind'], folds: 3 } })).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: expect.stringContaining('scheme.folds expects no folds for a holdout scheme'),
  });
  // An unknown kind is not a ValidationSchemeKind: GraphQL refuses the variable before it reaches the service.
  expect(await refusal({ model: 'tuned', scheme: { kind: 'walk' as FoldSchemeInput['kind'] } })).toMatchObject({
    code: 'BAD_USER_INPUT',
    message: expect.stringContaining('ValidationSchemeKind'),
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

it('starts no training after the time limit and ranks the trials it scored', async () => {
  dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { retraining: { tuning_time_limit_seconds: 1 } } }));
  try {
    // 100 trials × 3 folds at the first rung (300 trainings) take several seconds even on an idle machine:
    // the search stops inside the first rung.
    const queued = dataOf(await t.as('operator')(TuneModelDocument, { input: { model: 'tuned', trials: 100, seed: 11 } })).tuneModel;
    const done = await waitForJob(t, queued.id, 120_000);
    expect(done.status).toBe('COMPLETED');
    const result = done.result as unknown as TuningResult;
    expect(result.timedOut).toBe(true);
    expect(result.trials.length).toBeGreaterThan(0);
    expect(result.trials.length).toBeLessThan(100);
    expect(result.trials.every((trial) => trial.pruned && trial.rung === 0)).toBe(true);
    expect(result.best.loss).toBe(Math.min(...result.trials.map((trial) => trial.loss)));
    const rows = dataOf(await t.as('viewer')(TuningTrialsDocument, { jobId: queued.id })).tuningTrials;
    expect(rows.map((row) => row.trial)).toEqual(result.trials.map((trial) => trial.trial));
    expect(done.modelVersion).toBeTruthy();
  } finally {
    dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { retraining: { tuning_time_limit_seconds: 1800 } } }));
  }
});

it('tunes a FULL retraining first when policy retraining.tune_on_full is on, and trains the candidate with the best trial', async () => {
  dataOf(
    await t.as('operator')(UpdatePolicyPatchDocument, {
      patch: {
        retraining: { tune_on_full: true, tuning_trials: 3, tuning_scheme: { kind: 'purged_kfold', folds: 3, purge: 1, embargo: 1 } },
      },
    }),
  );
  try {
    const plan = dataOf(
      await t.as('operator')(TriggerRetrainingDocument, { input: { kind: 'FULL', models: ['tuned'], reason: 'weekly, tuned' } }),
    ).triggerRetraining;
    const done = await waitForJob(t, plan.jobs[0].id, 120_000);
    expect(done.status).toBe('COMPLETED');
    const result = done.result as unknown as {
      tuning: { scheme: Record<string, unknown>; trials: number; pruned: number; best: TuningResult['best'] };
    };
    expect(result.tuning).toMatchObject({ scheme: { kind: 'purged_kfold', folds: 3, purge: 1, embargo: 1 }, trials: 3, pruned: 1 });
    const rows = dataOf(await t.as('viewer')(TuningTrialsDocument, { jobId: plan.jobs[0].id })).tuningTrials;
    expect(rows.map((row) => row.trial)).toEqual([1, 2, 3]);
    expect(rows.every((row) => row.foldLosses.length === 3)).toBe(true);
    const version = dataOf(await t.as('viewer')(ModelVersionDocument, { id: done.modelVersion!.id })).modelVersion!;
    expect(version.hyperparameters).toEqual(result.tuning.best.hyperparameters);
    expect(rows[result.tuning.best.trial - 1].hyperparameters).toEqual(result.tuning.best.hyperparameters);
  } finally {
    dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { retraining: { tune_on_full: false } } }));
  }
});
