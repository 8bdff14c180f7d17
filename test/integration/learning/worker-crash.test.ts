/**
 * A worker process SIGKILLed (or stopped by SIGTERM) in the middle of a training. The API process (which works no jobs
 * itself) notices the stopped heartbeat within seconds: the attempt's TRAINING version becomes FAILED
 * with the reason, nothing from the attempt is ever registered, and the job is retried by another
 * worker process or failed, as the policy's retraining.retry_limit says.
 */
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  JobDetailDocument,
  TrainModelDocument,
  UpdatePolicyPatchDocument,
} from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { syntheticRows } from '../../helpers/fixtures';
import { dataOf } from '../../helpers/graphql';
import { spawnWorker, stopAll, type KybernetProcess } from '../../helpers/processes';

/**
 * Heartbeats every second; a job silent for 6 s has lost its worker (room for the worker's main thread
 * to load the dataset on a busy machine, during which it cannot beat).
 */
const FAST_REAPER = { KYBERNET_JOB_HEARTBEAT_SECONDS: '1', KYBERNET_JOB_STALE_SECONDS: '6', KYBERNET_JOB_REAPER_SECONDS: '1' };
/** Long enough to be caught mid-way on a fast, idle machine (about 15 s there), short enough to run again in full. */
const SLOW_TRAINING = { num_boost_round: 6000, early_stopping_rounds: 0, max_depth: 6, eta: 0.01, seed: 3 };

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ worker: false, env: FAST_REAPER });
  dataOf(await t.as('operator')(CreateDatasetDocument, { input: { name: 'crash-rows', rows: syntheticRows(20_000, 5) } }));
  dataOf(await t.as('operator')(CreateRegisteredModelDocument, { input: { name: 'crashy', family: 'xgboost' } }));
}, 120_000);

afterEach(async () => {
  await stopAll();
});

afterAll(async () => {
  await t?.close();
});

function worker(): Promise<KybernetProcess> {
  return spawnWorker({ databaseUrl: t.db.url, dataDir: t.dataDir, env: FAST_REAPER });
}

async function setRetryLimit(limit: number): Promise<void> {
  dataOf(await t.as('operator')(UpdatePolicyPatchDocument, { patch: { retraining: { retry_limit: limit } } }));
}

async function queueSlowTraining(): Promise<string> {
  const job = dataOf(
    await t.as('operator')(TrainModelDocument, {
      input: {
        model: 'crashy',
        dataset: 'crash-rows',
        targetColumn: 'y',
        featureColumns: ['f0', 'f1', 'f2', 'f3'],
        orderColumn: 't',
        hyperparameters: SLOW_TRAINING,
      },
    }),
  ).trainModel;
  return job.id;
}

async function jobDetail(id: string) {
  return dataOf(await t.as('viewer')(JobDetailDocument, { id })).job;
}

/** Polls until `done` holds for the job (or fails after the timeout). */
async function waitUntil(id: string, done: (job: Awaited<ReturnType<typeof jobDetail>>) => boolean, what: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await jobDetail(id);
    if (done(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} never became ${what}: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function versionsOfJob(jobId: string): Promise<{ version: number; status: string; error: string | null }[]> {
  return t.dataSource.query('SELECT version, status, error FROM model_versions WHERE job_id = $1 ORDER BY version', [jobId]);
}

/** Each start of the job, in order: [attempt, the pid of the worker that took it]. */
async function startsOfJob(jobId: string): Promise<[number, string][]> {
  const starts: { payload: { attempt: number; worker: string } }[] = await t.dataSource.query(
    `SELECT payload FROM events WHERE type = 'job.started' AND job_id = $1 ORDER BY id`,
    [jobId],
  );
  return starts.map(({ payload }) => [payload.attempt, payload.worker.split(':').pop()!]);
}

async function registeredEventsOfJob(jobId: string): Promise<number> {
  const [{ count }] = await t.dataSource.query(
    `SELECT count(*)::int AS count FROM events WHERE type = 'model.registered' AND job_id = $1`,
    [jobId],
  );
  return count;
}

it('with retry_limit 0, fails the job and its TRAINING version, and registers nothing', async () => {
  await setRetryLimit(0);
  const first = await worker();
  const id = await queueSlowTraining();
  const running = await waitUntil(id, (job) => job.status === 'RUNNING' && job.progress > 0.02, 'RUNNING mid-training');
  expect(running.workerId).toMatch(new RegExp(`:${first.pid}$`));
  expect(running.progress).toBeLessThan(0.9);

  await first.kill('SIGKILL');
  const failed = await waitUntil(id, (job) => job.status === 'FAILED', 'FAILED');
  expect(failed.error).toMatch(new RegExp(`worker \\S+:${first.pid} stopped responding during attempt 1 \\(no heartbeat for over 6 s\\)`));
  expect(failed.attempts).toBe(1);
  expect(await versionsOfJob(id)).toEqual([
    { version: 1, status: 'FAILED', error: 'the worker running this training stopped before it finished' },
  ]);
  expect(await registeredEventsOfJob(id)).toBe(0);
  const [{ count: servable }] = await t.dataSource.query(
    `SELECT count(*)::int AS count FROM model_versions WHERE status IN ('SHADOW', 'ACTIVE')`,
  );
  expect(servable).toBe(0);

  // Once failed, the job stays failed: a fresh worker finds nothing to do.
  const second = await worker();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  expect(await jobDetail(id)).toMatchObject({ status: 'FAILED', attempts: 1 });
  await second.stop();
}, 180_000);

it('with retry_limit 1, hands the job to another worker, which trains it again and registers one SHADOW version', async () => {
  await setRetryLimit(1);
  const first = await worker();
  const id = await queueSlowTraining();
  await waitUntil(id, (job) => job.status === 'RUNNING' && job.progress > 0.02, 'RUNNING mid-training');
  await first.kill('SIGKILL');
  const requeued = await waitUntil(id, (job) => job.status === 'QUEUED', 'QUEUED again');
  expect(requeued.error).toMatch(/stopped responding during attempt 1/);
  expect(await versionsOfJob(id)).toEqual([
    { version: 2, status: 'FAILED', error: 'the worker running this training stopped before it finished' },
  ]);

  const second = await worker();
  const done = await waitUntil(id, (job) => job.status === 'COMPLETED', 'COMPLETED', 120_000);
  expect(done.attempts).toBe(2);
  expect(done.workerId).toMatch(new RegExp(`:${second.pid}$`));
  expect(done.modelVersion).toMatchObject({ version: 3, status: 'SHADOW' });
  expect(await versionsOfJob(id)).toEqual([
    { version: 2, status: 'FAILED', error: 'the worker running this training stopped before it finished' },
    { version: 3, status: 'SHADOW', error: null },
  ]);
  expect(await registeredEventsOfJob(id)).toBe(1);
  expect(await startsOfJob(id)).toEqual([
    [1, String(first.pid)],
    [2, String(second.pid)],
  ]);
  await second.stop();
}, 240_000);

it('a worker stopped by SIGTERM mid-training queues the job again as the same attempt (a shutdown is no failure, even with retry_limit 0), and another worker trains it', async () => {
  await setRetryLimit(0);
  // A 3 s bound: running jobs get 0.9 s of it to finish before they are interrupted.
  const first = await spawnWorker({
    databaseUrl: t.db.url,
    dataDir: t.dataDir,
    env: { ...FAST_REAPER, KYBERNET_SHUTDOWN_TIMEOUT_MS: '3000' },
  });
  const id = await queueSlowTraining();
  await waitUntil(id, (job) => job.status === 'RUNNING' && job.progress > 0.02, 'RUNNING mid-training');
  await first.stop();
  expect(await first.exited).toEqual({ code: 0, signal: null });
  expect(first.output()).toContain(`job ${id}: interrupted by the shutdown of worker`);

  const requeued = await jobDetail(id);
  expect(requeued).toMatchObject({ status: 'QUEUED', attempts: 1 });
  expect(requeued.error).toMatch(new RegExp(`interrupted by the shutdown of worker \\S+:${first.pid}; queued again as the same attempt`));
  const [interrupted] = await versionsOfJob(id);
  expect(interrupted).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/^interrupted by the shutdown of worker/) });

  const second = await worker();
  const done = await waitUntil(id, (job) => job.status === 'COMPLETED', 'COMPLETED', 120_000);
  expect(done.attempts).toBe(1);
  expect(done.workerId).toMatch(new RegExp(`:${second.pid}$`));
  expect(await registeredEventsOfJob(id)).toBe(1);
  expect(await startsOfJob(id)).toEqual([
    [1, String(first.pid)],
    [1, String(second.pid)],
  ]);
  await second.stop();
}, 240_000);
