import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The kill switch and the circuit breaker of automatic learning (learning/learning-switch.service.ts).
 * `learning_switch`: one row, the pause of all automatic learning by an operator (`pauseLearning`),
 * null while learning runs. `model_learning_states`: per model, the FAILED retraining jobs in a row
 * (reset by a COMPLETED one) and the model's own pause — by the circuit breaker at
 * policy.safety.max_consecutive_failures, or by an operator — until `resumeLearning(model)`.
 */
export class LearningSwitch1795302300000 implements MigrationInterface {
  name = 'LearningSwitch1795302300000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE learning_switch (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        paused_at timestamptz,
        paused_by text,
        reason text,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((paused_at IS NULL) = (reason IS NULL))
      )`);
    await db.query(`INSERT INTO learning_switch (id) VALUES (true)`);
    await db.query(`
      CREATE TABLE model_learning_states (
        registered_model_id uuid PRIMARY KEY REFERENCES registered_models(id) ON DELETE CASCADE,
        consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
        failed_job_ids uuid[] NOT NULL DEFAULT '{}',
        paused_at timestamptz,
        paused_by text,
        paused_reason text,
        paused_job_ids uuid[] NOT NULL DEFAULT '{}',
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((paused_at IS NULL) = (paused_reason IS NULL))
      )`);
    // The gates ask "which of these models are paused?" on every automatic request.
    await db.query(`CREATE INDEX model_learning_states_paused ON model_learning_states (registered_model_id) WHERE paused_at IS NOT NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE model_learning_states`);
    await db.query(`DROP TABLE learning_switch`);
  }
}
