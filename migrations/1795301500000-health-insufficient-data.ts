import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A model's recorded health may be INSUFFICIENT_DATA: fewer outcomes than policy.health.window_trades
 * and no figure out of bounds yet (lib/model-health.ts), which is neither HEALTHY nor a worsening.
 */
export class HealthInsufficientData1795301500000 implements MigrationInterface {
  name = 'HealthInsufficientData1795301500000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE model_health_states DROP CONSTRAINT model_health_states_status_check');
    await db.query(`ALTER TABLE model_health_states ADD CONSTRAINT model_health_states_status_check CHECK (status IN ('HEALTHY','DEGRADED','CRITICAL','INSUFFICIENT_DATA'))`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`UPDATE model_health_states SET status = 'HEALTHY' WHERE status = 'INSUFFICIENT_DATA'`);
    await db.query('ALTER TABLE model_health_states DROP CONSTRAINT model_health_states_status_check');
    await db.query(`ALTER TABLE model_health_states ADD CONSTRAINT model_health_states_status_check CHECK (status IN ('HEALTHY','DEGRADED','CRITICAL'))`);
  }
}
