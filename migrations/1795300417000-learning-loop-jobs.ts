import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The continuous-learning loop's jobs: a heartbeat per running job (so a dead worker is noticed in
 * seconds, not at the time limit), the job's current queue entry (a lost attempt is re-queued under a
 * fresh one), the scheduled kinds DRIFT_CHECK and ARCHIVE, and the learning log.
 */
export class LearningLoopJobs1795300417000 implements MigrationInterface {
  name = 'LearningLoopJobs1795300417000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE jobs ADD COLUMN heartbeat_at timestamptz`);
    await db.query(`ALTER TABLE jobs ADD COLUMN queue_entry_id uuid`);
    await db.query(`CREATE INDEX jobs_running_heartbeat ON jobs (heartbeat_at) WHERE status = 'RUNNING'`);
    await db.query(`ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check`);
    await db.query(
      `ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('TRAIN','FULL','PARTIAL','INCREMENTAL','RL_MAINTENANCE','TUNING','DRIFT_CHECK','ARCHIVE'))`,
    );
    await db.query(`
      CREATE TABLE learning_events (
        id bigserial PRIMARY KEY,
        registered_model_id uuid NOT NULL REFERENCES registered_models(id),
        job_id uuid REFERENCES jobs(id),
        kind text NOT NULL CHECK (kind IN ('FULL','PARTIAL','INCREMENTAL')),
        trigger text NOT NULL,
        reason text NOT NULL DEFAULT '',
        dataset_id uuid REFERENCES datasets(id),
        rows_used integer NOT NULL CHECK (rows_used >= 0),
        data_start jsonb,
        data_end jsonb,
        version_before_id uuid REFERENCES model_versions(id),
        version_after_id uuid NOT NULL REFERENCES model_versions(id),
        metrics_before jsonb NOT NULL DEFAULT '{}'::jsonb,
        metrics_after jsonb NOT NULL DEFAULT '{}'::jsonb,
        metric_change jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX learning_events_model_id ON learning_events (registered_model_id, id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE learning_events');
    await db.query(`ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check`);
    await db.query(`ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('TRAIN','FULL','PARTIAL','INCREMENTAL','RL_MAINTENANCE','TUNING'))`);
    await db.query('DROP INDEX jobs_running_heartbeat');
    await db.query('ALTER TABLE jobs DROP COLUMN queue_entry_id');
    await db.query('ALTER TABLE jobs DROP COLUMN heartbeat_at');
  }
}
