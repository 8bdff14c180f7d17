import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Closed trades are counted towards learning after their close commits, by counting passes that look
 * for the closed trades without a place in the count (services/learning-trigger.service.ts). This
 * partial index holds exactly those, in the order a pass counts them, so a pass reads only its own
 * few rows however many trades the log holds.
 */
export class TradesUncounted1795301700000 implements MigrationInterface {
  name = 'TradesUncounted1795301700000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX trades_uncounted ON trades (closed_at, id) WHERE status = 'CLOSED' AND learning_cycle IS NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX trades_uncounted`);
  }
}
