/**
 * Migration JobLimitColumns1795301900000: the jobs queued before it kept their time and retry limits
 * in their payload; they move into the columns (the worker's old defaults where a row had none) and
 * leave the payload.
 */
import { JobLimitColumns1795301900000 } from '../../../migrations/1795301900000-job-limit-columns';
import { startTestApp, type TestApp } from '../../helpers/app';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ worker: false });
}, 60_000);

afterAll(async () => {
  await t?.close();
});

it('moves the limits of existing jobs from their payload into the columns', async () => {
  const runner = t.dataSource.createQueryRunner();
  try {
    await new JobLimitColumns1795301900000().down(runner);
    await runner.query(
      `INSERT INTO jobs (id, kind, status, trigger, payload) VALUES
         ('00000000-0000-4000-8000-000000000001', 'INCREMENTAL', 'QUEUED', 'TRADES',
          '{"model": "m", "learningCycle": 3, "timeLimitSeconds": 300, "retryLimit": 2}'),
         ('00000000-0000-4000-8000-000000000002', 'ARCHIVE', 'COMPLETED', 'SCHEDULE', '{"olderThanDays": 90}')`,
    );
    await new JobLimitColumns1795301900000().up(runner);
  } finally {
    await runner.release();
  }
  const rows = await t.dataSource.query(
    `SELECT kind, time_limit_seconds, retry_limit, payload FROM jobs WHERE id::text LIKE '00000000-0000-4000-8000-00000000000_' ORDER BY id`,
  );
  expect(rows).toEqual([
    { kind: 'INCREMENTAL', time_limit_seconds: 300, retry_limit: 2, payload: { model: 'm', learningCycle: 3 } },
    { kind: 'ARCHIVE', time_limit_seconds: 2700, retry_limit: 0, payload: { olderThanDays: 90 } },
  ]);
  // The old row's leftover key does not stop its handler: unknown keys are dropped when a payload is parsed.
  const job = await t.app.services.jobs.getJob('00000000-0000-4000-8000-000000000001');
  expect(job).toMatchObject({ timeLimitSeconds: 300, retryLimit: 2 });
  await expect(
    t.dataSource.query(`UPDATE jobs SET time_limit_seconds = 0 WHERE id = '00000000-0000-4000-8000-000000000002'`),
  ).rejects.toThrow(/jobs_time_limit_seconds_positive/);
  await expect(t.dataSource.query(`INSERT INTO jobs (kind, status, trigger) VALUES ('ARCHIVE', 'QUEUED', 'MANUAL')`)).rejects.toThrow(
    /time_limit_seconds/,
  );
});
