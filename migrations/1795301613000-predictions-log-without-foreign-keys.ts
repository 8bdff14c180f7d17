import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The predictions log keeps its model and version ids without foreign keys. A foreign key is checked
 * by a query per row and key: for a 10,000-row predictBatch that was two lookups per row, more than
 * the rows' own insert and index work (about 150 ms of the 280 ms a batch spent in Postgres on a
 * 2-core machine). The references hold by construction: predictions are written only by serving and
 * the shadow scorer, with the ids of versions they loaded from `model_versions`, and no version or
 * registered model is ever deleted (a version leaves service by status: RETIRED, REJECTED, ARCHIVED).
 */
export class PredictionsLogWithoutForeignKeys1795301613000 implements MigrationInterface {
  name = 'PredictionsLogWithoutForeignKeys1795301613000';

  async up(db: QueryRunner): Promise<void> {
    const keys: { name: string }[] = await db.query(`SELECT conname AS name FROM pg_constraint WHERE conrelid = 'predictions'::regclass AND contype = 'f'`);
    for (const { name } of keys) await db.query(`ALTER TABLE predictions DROP CONSTRAINT "${name}"`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE predictions ADD FOREIGN KEY (registered_model_id) REFERENCES registered_models(id)`);
    await db.query(`ALTER TABLE predictions ADD FOREIGN KEY (model_version_id) REFERENCES model_versions(id)`);
  }
}
