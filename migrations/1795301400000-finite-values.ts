import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every number a query returns is finite: a Float that is ±Infinity or NaN cannot be serialised, so
 * one such row used to fail every later `trades { pnl }` or `predictions { value }` query. The
 * services refuse what would compute to one (lib/trade-math.ts, the ONNX predictor); these CHECKs
 * make the database refuse it too.
 *
 * Before adding them, a trade that an earlier version committed CLOSED with a non-finite pnl or
 * realized return — its close was answered INTERNAL_SERVER_ERROR, so the client holds it open — is
 * made OPEN again as the client believes it to be: its outcome fields are cleared and the request
 * outcomes and RL transitions of that close are deleted. A prediction with a non-finite value gets
 * value NULL (could not be scored), and infinite outputs become NaN, as the predictor reports them now.
 */
export class FiniteValues1795301400000 implements MigrationInterface {
  name = 'FiniteValues1795301400000';

  async up(db: QueryRunner): Promise<void> {
    const finite = (column: string) => `(${column} > '-Infinity' AND ${column} < 'Infinity')`;
    const infiniteIn = (array: string) => `('Infinity'::real = ANY (${array}) OR '-Infinity'::real = ANY (${array}))`;
    const infiniteToNaN = (array: string) =>
      `(SELECT array_agg(CASE WHEN v IN ('Infinity', '-Infinity') THEN 'NaN'::real ELSE v END ORDER BY i) FROM unnest(${array}) WITH ORDINALITY AS u(v, i))`;

    await db.query(`
      WITH refused AS (
        SELECT id FROM trades
        WHERE status = 'CLOSED' AND NOT (${finite('pnl')} AND ${finite('realized_return')} AND ${finite('holding_period_seconds')})
      ),
      outcomes AS (DELETE FROM request_outcomes WHERE trade_id IN (SELECT id FROM refused)),
      transitions AS (DELETE FROM rl_transitions WHERE trade_id IN (SELECT id FROM refused))
      UPDATE trades SET status = 'OPEN', exit_price = NULL, exit_time = NULL, exit_reason = NULL, fees = NULL, pnl = NULL,
        realized_return = NULL, holding_period_seconds = NULL, success = NULL, max_drawdown = NULL, take_profit_hit = NULL,
        stop_loss_hit = NULL, closed_at = NULL
      WHERE id IN (SELECT id FROM refused)`);
    await db.query(`
      ALTER TABLE trades ADD CONSTRAINT trades_results_finite CHECK (
        (pnl IS NULL OR ${finite('pnl')}) AND
        (realized_return IS NULL OR ${finite('realized_return')}) AND
        (holding_period_seconds IS NULL OR ${finite('holding_period_seconds')})
      )`);

    await db.query(`
      UPDATE predictions SET
        value = CASE WHEN ${finite('value')} THEN value END,
        outputs = CASE WHEN ${infiniteIn('outputs')} THEN ${infiniteToNaN('outputs')} ELSE outputs END,
        features = CASE WHEN ${infiniteIn('features')} THEN ${infiniteToNaN('features')} ELSE features END
      WHERE NOT ${finite('value')} OR ${infiniteIn('outputs')} OR ${infiniteIn('features')}`);
    // NOT VALID, then VALIDATE: the check of the existing rows does not block writers.
    await db.query(`
      ALTER TABLE predictions ADD CONSTRAINT predictions_values_finite CHECK (
        (value IS NULL OR ${finite('value')}) AND NOT ${infiniteIn('outputs')} AND NOT ${infiniteIn('features')}
      ) NOT VALID`);
    await db.query('ALTER TABLE predictions VALIDATE CONSTRAINT predictions_values_finite');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE predictions DROP CONSTRAINT predictions_values_finite');
    await db.query('ALTER TABLE trades DROP CONSTRAINT trades_results_finite');
  }
}
