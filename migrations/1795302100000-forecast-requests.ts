import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Forecasts waiting for their outcome from stored bars (trading/forecast-outcomes.service.ts): one row
 * per forecast answered with `asOf` by a version trained on a SERIES dataset, holding what filling it
 * takes (the dataset's symbols and timeframe, the targets' symbol and bar field, levels or returns, the
 * horizon), so that a fill reads no dataset. When bars are ingested, every row of the ingested symbols
 * whose horizon bars are all stored gets its request_outcomes row (source SERIES) and is deleted in the
 * same statement; request_outcomes.source gains SERIES for them.
 */
export class ForecastRequests1795302100000 implements MigrationInterface {
  name = 'ForecastRequests1795302100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE forecast_requests (
        registered_model_id uuid NOT NULL REFERENCES registered_models(id),
        request_id text NOT NULL,
        model_version_id uuid NOT NULL,
        as_of timestamptz NOT NULL,
        timeframe text NOT NULL,
        horizon integer NOT NULL CHECK (horizon > 0),
        symbols text[] NOT NULL CHECK (cardinality(symbols) > 0),
        targets jsonb NOT NULL CHECK (jsonb_typeof(targets) = 'array' AND jsonb_array_length(targets) > 0),
        return_kind text CHECK (return_kind IN ('simple', 'log')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (registered_model_id, request_id)
      )`);
    // A fill looks for the waiting forecasts of the ingested symbols in one timeframe.
    await db.query(`CREATE INDEX forecast_requests_waiting ON forecast_requests USING gin (symbols)`);
    await db.query(`ALTER TABLE request_outcomes DROP CONSTRAINT request_outcomes_source_check`);
    await db.query(`ALTER TABLE request_outcomes ADD CONSTRAINT request_outcomes_source_check CHECK (source IN ('TRADE', 'RECORDED', 'SERIES'))`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM request_outcomes WHERE source = 'SERIES'`);
    await db.query(`ALTER TABLE request_outcomes DROP CONSTRAINT request_outcomes_source_check`);
    await db.query(`ALTER TABLE request_outcomes ADD CONSTRAINT request_outcomes_source_check CHECK (source IN ('TRADE', 'RECORDED'))`);
    await db.query(`DROP TABLE forecast_requests`);
  }
}
