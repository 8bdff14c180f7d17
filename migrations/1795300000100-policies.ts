import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Policies1795300000100 implements MigrationInterface {
  name = 'Policies1795300000100';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE policies (
        version integer PRIMARY KEY CHECK (version > 0),
        document jsonb NOT NULL,
        api_key_id uuid REFERENCES api_keys(id),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE policies');
  }
}
