import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where the shadow scorer on the workers (services/shadow-scoring.service.ts) has got to in the
 * predictions log, per SHADOW version: the (created_at, id) of the last ACTIVE prediction of its
 * model that it scored. A worker scores a version's next batch while holding its row's lock, and
 * moves the row in the transaction that writes the batch's shadow rows. A batch reads its rows
 * through predictions_model_created (no index of its own: every prediction insert would pay for it).
 */
export class ShadowScoringCursors1795301800000 implements MigrationInterface {
  name = 'ShadowScoringCursors1795301800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE shadow_scoring_cursors (
        model_version_id uuid PRIMARY KEY REFERENCES model_versions(id),
        registered_model_id uuid NOT NULL REFERENCES registered_models(id),
        scored_through_at timestamptz NOT NULL,
        scored_through_id uuid NOT NULL,
        scored_rows bigint NOT NULL DEFAULT 0 CHECK (scored_rows >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE shadow_scoring_cursors`);
  }
}
