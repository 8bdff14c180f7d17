import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The orchestrator's interface: market bars, trades (execution and outcome), the realised value of
 * each prediction request (request_outcomes), and the learning counter that queues an incremental
 * update every `policy.learning.min_trades_for_update` completed trades.
 *
 * Number checks use `x < 'Infinity'` as well as a lower bound because Postgres orders NaN above every
 * number: the pair refuses NaN and ±Infinity.
 */
export class TradingInterface1795300500000 implements MigrationInterface {
  name = 'TradingInterface1795300500000';

  async up(db: QueryRunner): Promise<void> {
    // A bar series is one (symbol, timeframe); bars are keyed by its small integer id, whose index is
    // about twice as fast to fill as one on (symbol, timeframe, ts). No foreign key from bars: a
    // row-level check per bar would slow bulk ingestion again; BarsService commits the series first.
    await db.query(`
      CREATE TABLE bar_series (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        symbol text NOT NULL,
        timeframe text NOT NULL CHECK (timeframe IN ('1m','5m','15m','30m','1h','4h','1d','1w')),
        CONSTRAINT bar_series_symbol_timeframe_key UNIQUE (symbol, timeframe)
      )`);
    await db.query(`
      CREATE TABLE bars (
        series_id integer NOT NULL,
        ts timestamptz NOT NULL,
        open double precision NOT NULL,
        high double precision NOT NULL,
        low double precision NOT NULL,
        close double precision NOT NULL,
        volume double precision NOT NULL,
        PRIMARY KEY (series_id, ts),
        CONSTRAINT bars_values_valid CHECK (
          open > 0 AND open < 'Infinity' AND high > 0 AND high < 'Infinity' AND
          low > 0 AND low < 'Infinity' AND close > 0 AND close < 'Infinity' AND
          volume >= 0 AND volume < 'Infinity' AND
          high >= greatest(open, close, low) AND low <= least(open, close, high)
        )
      )`);
    await db.query(`
      CREATE TABLE trades (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        client_trade_id text NOT NULL CONSTRAINT trades_client_trade_id_key UNIQUE,
        symbol text NOT NULL,
        side text NOT NULL CHECK (side IN ('LONG','SHORT')),
        quantity double precision NOT NULL CHECK (quantity > 0 AND quantity < 'Infinity'),
        entry_price double precision NOT NULL CHECK (entry_price > 0 AND entry_price < 'Infinity'),
        entry_time timestamptz NOT NULL,
        strategy text,
        model_confidence double precision CHECK (model_confidence >= 0 AND model_confidence <= 1),
        prediction_ids uuid[] NOT NULL DEFAULT '{}',
        features jsonb,
        decision jsonb,
        status text NOT NULL CHECK (status IN ('OPEN','CLOSED')),
        exit_price double precision CHECK (exit_price > 0 AND exit_price < 'Infinity'),
        exit_time timestamptz,
        exit_reason text,
        fees double precision CHECK (fees >= 0 AND fees < 'Infinity'),
        pnl double precision,
        realized_return double precision,
        holding_period_seconds double precision,
        success boolean,
        max_drawdown double precision CHECK (max_drawdown >= 0 AND max_drawdown < 'Infinity'),
        take_profit_hit boolean,
        stop_loss_hit boolean,
        learning_cycle integer,
        learning_count integer,
        learning_triggered boolean,
        learning_threshold integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz,
        CONSTRAINT trades_exit_not_before_entry CHECK (exit_time >= entry_time),
        CONSTRAINT trades_closed_has_outcome CHECK (
          (status = 'CLOSED') = (exit_price IS NOT NULL AND exit_time IS NOT NULL AND pnl IS NOT NULL AND
                                 realized_return IS NOT NULL AND success IS NOT NULL AND closed_at IS NOT NULL)
        )
      )`);
    await db.query(`CREATE INDEX trades_symbol_entry ON trades (symbol, entry_time DESC, id DESC)`);
    await db.query(`CREATE INDEX trades_entry ON trades (entry_time DESC, id DESC)`);
    await db.query(`CREATE INDEX trades_closed ON trades (closed_at) WHERE status = 'CLOSED'`);
    await db.query(`CREATE INDEX trades_learning_cycle ON trades (learning_cycle) WHERE learning_cycle IS NOT NULL`);
    await db.query(`
      CREATE TABLE request_outcomes (
        registered_model_id uuid NOT NULL REFERENCES registered_models(id),
        request_id text NOT NULL,
        actual double precision NOT NULL CHECK (actual > '-Infinity' AND actual < 'Infinity'),
        source text NOT NULL CHECK (source IN ('TRADE','RECORDED')),
        trade_id uuid REFERENCES trades(id),
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (registered_model_id, request_id),
        CONSTRAINT request_outcomes_trade_source CHECK ((source = 'TRADE') = (trade_id IS NOT NULL))
      )`);
    await db.query(`CREATE INDEX request_outcomes_model_recorded ON request_outcomes (registered_model_id, recorded_at)`);
    await db.query(`CREATE INDEX request_outcomes_trade ON request_outcomes (trade_id) WHERE trade_id IS NOT NULL`);
    // One row: the count of completed trades since the last trigger, updated under its row lock.
    await db.query(`
      CREATE TABLE learning_counter (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        cycle integer NOT NULL DEFAULT 1 CHECK (cycle >= 1),
        trades_since_trigger integer NOT NULL DEFAULT 0 CHECK (trades_since_trigger >= 0),
        completed_trades bigint NOT NULL DEFAULT 0,
        last_triggered_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`INSERT INTO learning_counter DEFAULT VALUES`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['learning_counter', 'request_outcomes', 'trades', 'bars', 'bar_series']) await db.query(`DROP TABLE ${table}`);
  }
}
