import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The EVALUATE job kind: `evaluateModel`'s backtest of a version (monitoring/evaluation.service.ts). */
export class EvaluationJobs1795302400000 implements MigrationInterface {
  name = 'EvaluationJobs1795302400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check`);
    await db.query(
      `ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('TRAIN','FULL','PARTIAL','INCREMENTAL','RL_MAINTENANCE','TUNING','DRIFT_CHECK','ARCHIVE','EVALUATE'))`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM jobs WHERE kind = 'EVALUATE'`);
    await db.query(`ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check`);
    await db.query(
      `ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('TRAIN','FULL','PARTIAL','INCREMENTAL','RL_MAINTENANCE','TUNING','DRIFT_CHECK','ARCHIVE'))`,
    );
  }
}
