import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `tuning_trials`: every trial of a TUNING search (learning/tuning.service.ts), one row per trial, written
 * as each rung of its successive halving finishes: the sampled and full hyperparameters, the loss of each
 * validation fold and their mean at the rung it reached, the budget (boosting rounds or epochs) of that
 * rung, whether it was pruned there, and the time its trainings took.
 */
export class TuningTrials1795302500000 implements MigrationInterface {
  name = 'TuningTrials1795302500000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE tuning_trials (
        job_id uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        trial integer NOT NULL CHECK (trial >= 1),
        registered_model_id uuid NOT NULL REFERENCES registered_models(id) ON DELETE CASCADE,
        sampled jsonb NOT NULL,
        hyperparameters jsonb NOT NULL,
        fold_losses double precision[] NOT NULL,
        loss double precision NOT NULL,
        rung integer NOT NULL CHECK (rung >= 0),
        budget integer,
        pruned boolean NOT NULL,
        duration_ms integer NOT NULL CHECK (duration_ms >= 0),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, trial)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE tuning_trials`);
  }
}
