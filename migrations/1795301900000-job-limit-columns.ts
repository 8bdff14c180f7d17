import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A job's time and retry limits become columns of its row, written when it is queued from the policy
 * (src/platform/jobs/job-limits.ts) and read from there by the worker, the reaper and the API. They
 * were keys of the payload (timeLimitSeconds, retryLimit), which readers defaulted each on their own;
 * existing rows take them from there — where a row lacks one, the value the worker acted on (2700 s,
 * no retry) — and the keys leave the payload.
 */
export class JobLimitColumns1795301900000 implements MigrationInterface {
  name = 'JobLimitColumns1795301900000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE jobs ADD COLUMN time_limit_seconds integer, ADD COLUMN retry_limit integer`);
    await db.query(`
      UPDATE jobs SET
        time_limit_seconds = CASE WHEN jsonb_typeof(payload -> 'timeLimitSeconds') = 'number' THEN greatest(1, round((payload ->> 'timeLimitSeconds')::numeric)::integer) ELSE 2700 END,
        retry_limit = CASE WHEN jsonb_typeof(payload -> 'retryLimit') = 'number' THEN greatest(0, round((payload ->> 'retryLimit')::numeric)::integer) ELSE 0 END,
        payload = payload - 'timeLimitSeconds' - 'retryLimit'`);
    await db.query(`
      ALTER TABLE jobs
        ALTER COLUMN time_limit_seconds SET NOT NULL,
        ALTER COLUMN retry_limit SET NOT NULL,
        ADD CONSTRAINT jobs_time_limit_seconds_positive CHECK (time_limit_seconds >= 1),
        ADD CONSTRAINT jobs_retry_limit_not_negative CHECK (retry_limit >= 0)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`UPDATE jobs SET payload = payload || jsonb_build_object('timeLimitSeconds', time_limit_seconds, 'retryLimit', retry_limit)`);
    await db.query(`ALTER TABLE jobs DROP COLUMN time_limit_seconds, DROP COLUMN retry_limit`);
  }
}
