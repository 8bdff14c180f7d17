import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A forecast's outcome is what the series did over its horizon: `request_outcomes.actuals` holds it
 * (horizon × targets, step-major, as the forecast's outputs), `actual` its first value so that every
 * reader of one realised value still finds one.
 */
export class ForecastOutcomes1795302000000 implements MigrationInterface {
  name = 'ForecastOutcomes1795302000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE request_outcomes ADD COLUMN actuals real[]`);
    await db.query(`ALTER TABLE request_outcomes ADD CONSTRAINT request_outcomes_actuals_finite CHECK (
      actuals IS NULL OR (cardinality(actuals) > 0 AND actuals[1] = actual AND 'NaN'::real <> ALL (actuals)
        AND 'Infinity'::real <> ALL (actuals) AND '-Infinity'::real <> ALL (actuals)))`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE request_outcomes DROP COLUMN actuals`);
  }
}
