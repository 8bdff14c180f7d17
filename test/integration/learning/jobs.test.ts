/**
 * Jobs through the shared queue between two replicas on one database: an API replica that works no
 * jobs and a worker replica. jobProgress over graphql-ws follows a real training; cancelJob stops a
 * QUEUED and a RUNNING job; the policy's time limit stops a training that runs too long, and a job
 * keeps the limits it was queued with (columns of its row); a payload that does not parse fails its job.
 */
import {
  CancelJobDocument,
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  JobDetailDocument,
  JobProgressDocument,
  TrainModelDocument,
  TriggerRetrainingDocument,
  UpdatePolicyPatchDocument,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { syntheticRows, waitForJob } from '../../helpers/fixtures';
import { collect, dataOf, errorOf } from '../../helpers/graphql';

const FEATURES = ['f0', 'f1', 'f2', 'f3'];
const QUICK = { num_boost_round: 150, early_stopping_rounds: 0, max_depth: 4, eta: 0.05, seed: 1 };
const SLOW = { num_boost_round: 3000, early_stopping_rounds: 0, max_depth: 4, eta: 0.01, seed: 2 };

let api: TestApp;
let worker: TestApp | undefined;

beforeAll(async () => {
  api = await startTestApp({ worker: false });
  dataOf(await api.as('operator')(CreateDatasetDocument, { input: { name: 'job-rows', rows: syntheticRows(20_000, 9) } }));
  dataOf(await api.as('operator')(CreateRegisteredModelDocument, { input: { name: 'jobby', family: 'xgboost' } }));
}, 120_000);

afterAll(async () => {
  await worker?.close();
  await api?.close();
});

async function train(hyperparameters: Record<string, unknown>, activate = false): Promise<string> {
  const response = await api.as('operator')(TrainModelDocument, {
    input: {
      model: 'jobby',
      dataset: 'job-rows',
      targetColumn: 'y',
      featureColumns: FEATURES,
      orderColumn: 't',
      hyperparameters,
      activate,
    },
  });
  return dataOf(response).trainModel.id;
}

async function detail(id: string) {
  return dataOf(await api.as('viewer')(JobDetailDocument, { id })).job;
}

async function untilRunningMidway(id: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const job = await detail(id);
    if (job.status === 'RUNNING' && job.progress > 0.01) return job;
    if (job.status !== 'QUEUED' && job.status !== 'RUNNING')
      throw new Error(`job ended before it could be caught running: ${JSON.stringify(job)}`);
    if (Date.now() > deadline) throw new Error(`job never got going: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function versionsOf(jobId: string): Promise<{ status: string; error: string | null }[]> {
  return api.dataSource.query('SELECT status, error FROM model_versions WHERE job_id = $1', [jobId]);
}

async function eventTypesOf(jobId: string): Promise<string[]> {
  const rows = await api.dataSource.query('SELECT type FROM events WHERE job_id = $1 ORDER BY id', [jobId]);
  return rows.map((row: { type: string }) => row.type);
}

it('cancels a QUEUED job at once, and no worker ever runs it', async () => {
  const id = await train(QUICK);
  const cancelled = dataOf(await api.as('operator')(CancelJobDocument, { id })).cancelJob;
  expect(cancelled).toEqual({ id, status: 'CANCELLED' });

  worker = await startTestApp({ database: api.db, worker: true, env: { KYBERNET_DATA_DIR: api.dataDir } });
  // A job queued after the cancelled one runs, so the worker has passed the cancelled one by.
  const next = await waitForJob(api, await train(QUICK));
  expect(next.status).toBe('COMPLETED');
  expect(await detail(id)).toMatchObject({ status: 'CANCELLED', attempts: 0, startedAt: null });
  expect(await eventTypesOf(id)).toEqual(['job.queued', 'job.cancelled']);
  expect(await versionsOf(id)).toEqual([]);
}, 120_000);

it('follows a real training over graphql-ws with jobProgress, from queued to completed', async () => {
  const subscriber = api.ws('viewer');
  try {
    const id = await train(QUICK);
    const items = await collect(
      subscriber,
      JobProgressDocument,
      { jobId: id, after: '0' },
      (seen) => seen.some((item) => ['job.completed', 'job.failed', 'job.cancelled'].includes(item.jobProgress.type)),
      90_000,
    );
    const events = items.map((item) => item.jobProgress);
    const types = events.map((event) => event.type);
    expect(types[0]).toBe('job.queued');
    expect(types[1]).toBe('job.started');
    expect(types[types.length - 1]).toBe('job.completed');
    const progress = events.filter((event) => event.type === 'job.progress').map((event) => Number(event.payload.progress));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.every((value) => value > 0 && value <= 1)).toBe(true);
    const completed = events[events.length - 1];
    expect(completed.payload).toMatchObject({ kind: 'TRAIN', status: 'COMPLETED', attempt: 1, result: { rows: 20_000, status: 'SHADOW' } });
    expect(Number(completed.payload.durationMs)).toBeGreaterThan(0);
    // Every job event of this job, in order, and no other job's.
    expect(types).toEqual((await eventTypesOf(id)).filter((type) => type.startsWith('job.')));
  } finally {
    await subscriber.dispose();
  }
}, 120_000);

it('stops a RUNNING training on cancelJob: CANCELLED, its version FAILED, nothing registered', async () => {
  const id = await train(SLOW);
  await untilRunningMidway(id);
  const requested = dataOf(await api.as('operator')(CancelJobDocument, { id })).cancelJob;
  expect(requested).toEqual({ id, status: 'RUNNING' });
  const done = await waitForJob(api, id);
  expect(done.status).toBe('CANCELLED');
  expect(done.modelVersion).toMatchObject({ status: 'FAILED' });
  expect(await versionsOf(id)).toEqual([{ status: 'FAILED', error: 'cancelled by request' }]);
  expect(await eventTypesOf(id)).not.toContain('model.registered');

  const again = errorOf(await api.as('operator')(CancelJobDocument, { id }));
  expect(again).toMatchObject({ code: 'CONFLICT', message: `job ${id} already finished (CANCELLED); nothing to cancel` });
  expect(await detail(id)).toMatchObject({ status: 'CANCELLED' });
}, 120_000);

it('stops a training at the time limit the policy sets, without retrying it', async () => {
  dataOf(await api.as('operator')(UpdatePolicyPatchDocument, { patch: { retraining: { full_time_limit_seconds: 1, retry_limit: 1 } } }));
  const id = await train(SLOW);
  expect(await detail(id)).toMatchObject({ timeLimitSeconds: 1, retryLimit: 1 });
  const done = await waitForJob(api, id);
  expect(done).toMatchObject({ status: 'FAILED', attempts: 1, error: 'exceeded its time limit of 1 s' });
  expect(await versionsOf(id)).toEqual([{ status: 'FAILED', error: 'exceeded its time limit of 1 s' }]);
}, 120_000);

it('keeps the limits a job was queued with when the policy changes; the scheduled sweeps have limits of their own', async () => {
  // Queued under the policy of the test before: trainings get 1 s and one retry.
  const id = await train(SLOW);
  dataOf(await api.as('operator')(UpdatePolicyPatchDocument, { patch: { retraining: { full_time_limit_seconds: 2700, retry_limit: 0 } } }));
  expect(await detail(id)).toMatchObject({ timeLimitSeconds: 1, retryLimit: 1 });
  // The worker stops it at the limit on its row, not at the policy's 2700 s.
  expect(await waitForJob(api, id)).toMatchObject({ status: 'FAILED', attempts: 1, error: 'exceeded its time limit of 1 s' });
  const [row] = await api.dataSource.query('SELECT time_limit_seconds, retry_limit, payload FROM jobs WHERE id = $1', [id]);
  expect(row).toMatchObject({ time_limit_seconds: 1, retry_limit: 1 });
  expect(Object.keys(row.payload).sort()).toEqual([
    'activate',
    'datasetId',
    'description',
    'featureColumns',
    'hyperparameters',
    'model',
    'orderColumn',
    'targetColumn',
  ]);

  // Tiny training limits do not reach the sweeps (queued in a transaction rolled back, so nothing runs).
  dataOf(
    await api.as('operator')(UpdatePolicyPatchDocument, {
      patch: { retraining: { full_time_limit_seconds: 1, incremental_time_limit_seconds: 1 } },
    }),
  );
  const { jobs } = api.app.services;
  const limits: unknown[] = [];
  const rolledBack = new Error('rolled back');
  await expect(
    api.dataSource.transaction(async (tx) => {
      for (const queued of [
        await jobs.enqueue({ kind: 'ARCHIVE', trigger: 'SCHEDULE', reason: 'limits', payload: { olderThanDays: 36_500 } }, tx),
        await jobs.enqueue({ kind: 'DRIFT_CHECK', trigger: 'SCHEDULE', reason: 'limits', payload: {} }, tx),
        await jobs.enqueue({ kind: 'RL_MAINTENANCE', trigger: 'SCHEDULE', reason: 'limits', payload: {} }, tx),
        await jobs.enqueue({ kind: 'INCREMENTAL', trigger: 'MANUAL', reason: 'limits', payload: { model: 'jobby' } }, tx),
      ]) {
        limits.push([queued.kind, queued.timeLimitSeconds, queued.retryLimit]);
      }
      throw rolledBack;
    }),
  ).rejects.toBe(rolledBack);
  expect(limits).toEqual([
    ['ARCHIVE', 3600, 0],
    ['DRIFT_CHECK', 900, 0],
    ['RL_MAINTENANCE', 300, 0],
    ['INCREMENTAL', 1, 0],
  ]);
}, 120_000);

it('fails a job whose stored payload does not parse, coded INVALID_JOB_PAYLOAD, without a retry or its handler', async () => {
  dataOf(await api.as('operator')(UpdatePolicyPatchDocument, { patch: { retraining: { full_time_limit_seconds: 2700, retry_limit: 1 } } }));
  const { jobs } = api.app.services;
  const payload = {
    model: 'jobby',
    datasetId: 'job-rows',
    targetColumn: 'y',
    featureColumns: FEATURES,
    orderColumn: 't',
    hyperparameters: QUICK,
  };
  // enqueue refuses such a payload itself (a fault of its caller)…
  await expect(
    jobs.enqueue({ kind: 'TRAIN', trigger: 'MANUAL', reason: 'bad payload', payload: { ...payload, featureColumns: [] } }),
  ).rejects.toMatchObject({
    code: 'INTERNAL_SERVER_ERROR',
    reason: 'INVALID_JOB_PAYLOAD',
    message: expect.stringMatching(/^cannot queue the job: the payload of a TRAIN job does not parse: payload\.featureColumns: /),
  });
  // …so the stored one is spoilt by hand, as a row from an older release might hold it: the queue entry commits with it.
  const id = await api.dataSource.transaction(async (tx) => {
    const job = await jobs.enqueue({ kind: 'TRAIN', trigger: 'MANUAL', reason: 'a payload spoilt by hand', payload }, tx);
    await tx.query(`UPDATE jobs SET payload = jsonb_set(payload, '{datasetId}', '42') WHERE id = $1`, [job.id]);
    return job.id;
  });
  const done = await waitForJob(api, id);
  expect(done).toMatchObject({ status: 'FAILED', attempts: 1, modelVersion: null });
  expect(done.error).toMatch(/^INVALID_JOB_PAYLOAD: the payload of a TRAIN job does not parse: payload\.datasetId: .*expected string/);
  expect(await versionsOf(id)).toEqual([]);
  expect(await eventTypesOf(id)).toEqual(['job.queued', 'job.started', 'job.failed']);
}, 120_000);

it('answers a retraining request for a model that has a QUEUED job of that kind with that job', async () => {
  dataOf(await api.as('operator')(UpdatePolicyPatchDocument, { patch: { retraining: { full_time_limit_seconds: 2700 } } }));
  expect(await waitForJob(api, await train(QUICK, true))).toMatchObject({ status: 'COMPLETED', modelVersion: { status: 'ACTIVE' } });
  await worker!.close();
  worker = undefined;

  const request = { input: { kind: 'PARTIAL' as const, models: ['jobby'], reason: 'health DEGRADED' } };
  const first = dataOf(await api.as('operator')(TriggerRetrainingDocument, request)).triggerRetraining.jobs;
  const second = dataOf(await api.as('operator')(TriggerRetrainingDocument, { input: { ...request.input, reason: 'drift MEDIUM' } }))
    .triggerRetraining.jobs;
  expect(first).toHaveLength(1);
  expect(second.map((job) => [job.id, job.status, job.reason])).toEqual([[first[0].id, 'QUEUED', 'health DEGRADED']]);
  const [{ count }] = await api.dataSource.query(`SELECT count(*)::int AS count FROM jobs WHERE kind = 'PARTIAL'`);
  expect(count).toBe(1);
  dataOf(await api.as('operator')(CancelJobDocument, { id: first[0].id }));
}, 120_000);
