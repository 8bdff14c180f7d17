import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fewer, better candidates. Each trained version keeps what the gate before SHADOW found when it was
 * registered (monitoring/promotion-gate.ts: its figures against the ACTIVE version, and why it passed
 * or was REJECTED; null for versions registered before the gate, imported ones and RL snapshots). And
 * a SHADOW version replaced by a newer candidate before its verdict becomes SUPERSEDED (policy
 * shadow_testing.max_shadows); an RL snapshot is a SNAPSHOT, no longer a SHADOW nothing judges.
 */
export class GatedCandidates1795302200000 implements MigrationInterface {
  name = 'GatedCandidates1795302200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE model_versions ADD COLUMN gate jsonb CHECK (gate IS NULL OR jsonb_typeof(gate) = 'object')`);
    await db.query(`ALTER TABLE model_versions DROP CONSTRAINT model_versions_status_check`);
    await db.query(`
      ALTER TABLE model_versions ADD CONSTRAINT model_versions_status_check
        CHECK (status IN ('TRAINING','SHADOW','SNAPSHOT','ACTIVE','RETIRED','REJECTED','SUPERSEDED','FAILED','ARCHIVED'))`);
    // RL snapshots registered before are snapshots, not shadows awaiting a verdict nothing would give.
    await db.query(`
      UPDATE model_versions SET status = 'SNAPSHOT'
       WHERE status = 'SHADOW' AND id IN (SELECT model_version_id FROM rl_snapshots WHERE model_version_id IS NOT NULL)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`UPDATE model_versions SET status = 'SHADOW' WHERE status = 'SNAPSHOT'`);
    await db.query(`UPDATE model_versions SET status = 'RETIRED' WHERE status = 'SUPERSEDED'`);
    await db.query(`ALTER TABLE model_versions DROP CONSTRAINT model_versions_status_check`);
    await db.query(`
      ALTER TABLE model_versions ADD CONSTRAINT model_versions_status_check
        CHECK (status IN ('TRAINING','SHADOW','ACTIVE','RETIRED','REJECTED','FAILED','ARCHIVED'))`);
    await db.query(`ALTER TABLE model_versions DROP COLUMN gate`);
  }
}
