/**
 * Schedules across replicas on one database, each running the scheduler: a firing seen by two
 * enqueues once (the slot's singleton key), real interval timers agree on their slots, a policy change
 * re-arms every replica (two in this process and a `kybernet serve` process), and the monthly archive
 * moves old versions' artifacts under archive/.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ModelVersionEntity } from '../../../src/entities/model-version.entity';
import type { ScheduleSlot } from '../../../src/platform/schedules/scheduler';
import {
  CreateDatasetDocument,
  CreateRegisteredModelDocument,
  PredictDocument,
  SchedulesDocument,
  TrainModelDocument,
  UpdatePolicyPatchDocument,
} from '../../generated/graphql';
import { GATE_OFF, startTestApp, type TestApp } from '../../helpers/app';
import { syntheticRows, waitForJob } from '../../helpers/fixtures';
import { dataOf, request } from '../../helpers/graphql';
import { spawnServe, stopAll } from '../../helpers/processes';

const FEATURES = ['f0', 'f1', 'f2', 'f3'];
const SCHEDULING = { KYBERNET_SCHEDULER: 'true' };

let a: TestApp;
let b: TestApp;

async function versionOf(model: string, number: number): Promise<ModelVersionEntity> {
  const [row] = await a.dataSource.query(
    'SELECT v.id FROM model_versions v JOIN registered_models m ON m.id = v.registered_model_id WHERE m.name = $1 AND v.version = $2',
    [model, number],
  );
  return a.dataSource.getRepository(ModelVersionEntity).findOneByOrFail({ id: row.id });
}

/** Weekday, day of month and time of `date` as a clock in `timeZone` shows them. */
function wallClock(date: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(date)
      .map((part) => [part.type, part.value]),
  );
  return `${parts.weekday} ${parts.day} ${parts.hour}:${parts.minute}`;
}

/** The schedules as the API at `url` (any replica) reports them. */
async function schedulesSeenBy(url: string) {
  return Object.fromEntries(
    dataOf(await request(url, a.keys.viewer, SchedulesDocument)).schedules.map((schedule) => [schedule.name, schedule]),
  );
}

beforeAll(async () => {
  // The scheduled FULL retraining of this test learns the same rows again: no better, so the gate is off here.
  a = await startTestApp({ env: SCHEDULING, policy: GATE_OFF });
  b = await startTestApp({ database: a.db, worker: false, env: { ...SCHEDULING, KYBERNET_DATA_DIR: a.dataDir } });
  dataOf(await a.as('operator')(CreateDatasetDocument, { input: { name: 'sched-rows', rows: syntheticRows(400, 31) } }));
  for (const model of ['alpha', 'beta']) {
    dataOf(await a.as('operator')(CreateRegisteredModelDocument, { input: { name: model, family: 'xgboost' } }));
    const job = dataOf(
      await a.as('operator')(TrainModelDocument, {
        input: {
          model,
          dataset: 'sched-rows',
          targetColumn: 'y',
          featureColumns: FEATURES,
          orderColumn: 't',
          hyperparameters: { num_boost_round: 20, max_depth: 3, seed: 1 },
          activate: true,
        },
      }),
    ).trainModel;
    expect(await waitForJob(a, job.id)).toMatchObject({ status: 'COMPLETED', modelVersion: { status: 'ACTIVE' } });
  }
}, 120_000);

afterAll(async () => {
  await stopAll();
  await b?.close();
  await a?.close();
});

it('enqueues a full-retraining firing seen by both replicas once per model', async () => {
  const slot = new Date('2031-03-08T23:00:00.000Z');
  const [fromA, fromB] = (await Promise.all([
    a.app.services.scheduler.fire('full_retraining', slot),
    b.app.services.scheduler.fire('full_retraining', slot),
  ])) as {
    jobs: { id: string }[];
  }[];
  expect(fromA.jobs).toHaveLength(2);
  expect(fromB.jobs.map((job) => job.id)).toEqual(fromA.jobs.map((job) => job.id));
  const again = (await a.app.services.scheduler.fire('full_retraining', slot)) as { jobs: { id: string }[] };
  expect(again.jobs.map((job) => job.id)).toEqual(fromA.jobs.map((job) => job.id));

  const jobs = await a.dataSource.query(`SELECT kind, trigger, singleton_key FROM jobs WHERE kind = 'FULL' ORDER BY singleton_key`);
  expect(jobs).toEqual([
    { kind: 'FULL', trigger: 'SCHEDULE', singleton_key: 'schedule:full_retraining:2031-03-08T23:00:00.000Z:alpha' },
    { kind: 'FULL', trigger: 'SCHEDULE', singleton_key: 'schedule:full_retraining:2031-03-08T23:00:00.000Z:beta' },
  ]);
  const [{ queued }] = await a.dataSource.query(
    `SELECT count(*)::int AS queued FROM events e JOIN jobs j ON j.id = e.job_id WHERE e.type = 'job.queued' AND j.kind = 'FULL'`,
  );
  expect(queued).toBe(2);
  for (const job of fromA.jobs)
    expect(await waitForJob(a, job.id)).toMatchObject({ status: 'COMPLETED', modelVersion: { version: 2, status: 'SHADOW' } });
  const [{ versions }] = await a.dataSource.query('SELECT count(*)::int AS versions FROM model_versions');
  expect(versions).toBe(4);
}, 120_000);

it('fires real interval timers on the same slots in both replicas, and each slot enqueues once', async () => {
  let ticking = true;
  const fired: Record<'a' | 'b', string[]> = { a: [], b: [] };
  const enqueues: Promise<unknown>[] = [];
  const tick = (replica: 'a' | 'b', app: TestApp) => ({
    name: 'test_tick',
    timing: () => (ticking ? { everyHours: 1 / 3600 } : null),
    run: (slot: ScheduleSlot) => {
      fired[replica].push(slot.time.toISOString());
      const enqueued = app.app.services.jobs.enqueue({
        kind: 'ARCHIVE',
        trigger: 'SCHEDULE',
        reason: 'test tick',
        payload: { olderThanDays: 36500 },
        singletonKey: slot.singletonKey,
        limits: { timeLimitSeconds: 60, retryLimit: 0 },
      });
      enqueues.push(enqueued);
      return enqueued;
    },
  });
  a.app.services.scheduler.register(tick('a', a));
  b.app.services.scheduler.register(tick('b', b));
  const deadline = Date.now() + 20_000;
  while (fired.a.filter((slot) => fired.b.includes(slot)).length < 3 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 200));
  ticking = false;
  await Promise.all([a.app.services.scheduler.reschedule(), b.app.services.scheduler.reschedule()]);
  await Promise.all(enqueues);

  const common = fired.a.filter((slot) => fired.b.includes(slot));
  expect(common.length).toBeGreaterThanOrEqual(3);
  for (const slot of [...fired.a, ...fired.b]) expect(Date.parse(slot) % 1000).toBe(0);
  const keyed: { singleton_key: string; count: number }[] = await a.dataSource.query(
    `SELECT singleton_key, count(*)::int AS count FROM jobs WHERE singleton_key LIKE 'schedule:test_tick:%' GROUP BY singleton_key`,
  );
  expect(keyed.every((row) => row.count === 1)).toBe(true);
  expect(keyed.map((row) => row.singleton_key).sort()).toEqual(
    [...new Set([...fired.a, ...fired.b])].map((slot) => `schedule:test_tick:${slot}`).sort(),
  );
  const schedules = await schedulesSeenBy(b.http.url);
  expect(schedules.test_tick).toMatchObject({ enabled: false, nextFiring: null });
}, 60_000);

it('re-arms the schedules of every replica when the policy changes', async () => {
  const child = await spawnServe({ databaseUrl: a.db.url, dataDir: a.dataDir, args: ['--no-worker'], env: SCHEDULING });
  for (const url of [b.http.url, child.url]) {
    const before = await schedulesSeenBy(url);
    expect(before.full_retraining).toMatchObject({ cron: '0 18 * * 6', timezone: 'America/New_York', enabled: true });
    expect(wallClock(new Date(String(before.full_retraining.nextFiring)), 'America/New_York')).toMatch(/^Sat \d+ 18:00$/);
    expect(wallClock(new Date(String(before.archive.nextFiring)), 'America/New_York')).toMatch(/^\w+ 1 03:00$/);
  }

  dataOf(
    await a.as('operator')(UpdatePolicyPatchDocument, {
      patch: { timezone: 'Europe/London', schedule_interval: { full_retraining: '30 9 * * 1' } },
    }),
  );
  for (const url of [b.http.url, child.url]) {
    const deadline = Date.now() + 15_000;
    let after = await schedulesSeenBy(url);
    while (after.full_retraining.cron !== '30 9 * * 1' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await schedulesSeenBy(url);
    }
    expect(after.full_retraining).toMatchObject({ cron: '30 9 * * 1', timezone: 'Europe/London' });
    const next = new Date(String(after.full_retraining.nextFiring));
    expect(wallClock(next, 'Europe/London')).toMatch(/^Mon \d+ 09:30$/);
    expect(next.getTime() - Date.now()).toBeGreaterThan(0);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);
    expect(wallClock(new Date(String(after.archive.nextFiring)), 'Europe/London')).toMatch(/^\w+ 1 03:00$/);
  }
  await child.stop();
}, 120_000);

it('archives versions out of service for longer than the policy allows, moving their artifacts under archive/', async () => {
  const old = await versionOf('alpha', 2);
  const active = await versionOf('alpha', 1);
  await a.dataSource.query(`UPDATE model_versions SET status_changed_at = now() - interval '100 days' WHERE id = ANY($1)`, [
    [old.id, active.id],
  ]);
  const slot = new Date('2031-04-01T02:00:00.000Z');
  const [jobA, jobB] = (await Promise.all([
    a.app.services.scheduler.fire('archive', slot),
    b.app.services.scheduler.fire('archive', slot),
  ])) as { id: string }[];
  expect(jobB.id).toBe(jobA.id);
  const done = await waitForJob(a, jobA.id);
  expect(done).toMatchObject({ status: 'COMPLETED', kind: 'ARCHIVE', trigger: 'SCHEDULE' });
  expect(done.result).toEqual({
    olderThanDays: 90,
    archived: [{ model: 'alpha', version: 2, previousStatus: 'SHADOW', files: old.artifactFiles.length }],
  });

  const archived = await versionOf('alpha', 2);
  expect(archived.status).toBe('ARCHIVED');
  expect(archived.artifactFiles.map((file) => file.key).sort()).toEqual(old.artifactFiles.map((file) => `archive/${file.key}`).sort());
  expect(archived.artifactFiles.map((file) => file.sha256)).toEqual(old.artifactFiles.map((file) => file.sha256));
  for (const file of old.artifactFiles) {
    expect(existsSync(join(a.dataDir, 'artifacts', file.key))).toBe(false);
    expect(existsSync(join(a.dataDir, 'artifacts', 'archive', file.key))).toBe(true);
  }
  const artifact = await a.app.services.registry.loadArtifact(archived);
  expect(Object.keys(artifact.files).sort()).toEqual(old.artifactFiles.map((file) => file.path).sort());
  expect(await versionOf('alpha', 1)).toMatchObject({ status: 'ACTIVE', artifactFiles: active.artifactFiles });
  expect(await versionOf('beta', 2)).toMatchObject({ status: 'SHADOW' });
  const [event] = await a.dataSource.query(`SELECT model_name, model_version_id, payload FROM events WHERE type = 'model.archived'`);
  expect(event).toMatchObject({ model_name: 'alpha', model_version_id: old.id, payload: { version: 2, previousStatus: 'SHADOW' } });

  // Serving drops the archived shadow: a prediction is answered by v1 alone.
  const prediction = dataOf(
    await b.as('trader')(PredictDocument, { input: { model: 'alpha', features: [0.1, 0.2, 0.3, 0.4], requestId: 'after-archive' } }),
  ).predict;
  expect(prediction.modelVersion.version).toBe(1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const rows = await a.dataSource.query(`SELECT role FROM predictions WHERE request_id = 'after-archive'`);
  expect(rows).toEqual([{ role: 'ACTIVE' }]);
}, 120_000);
