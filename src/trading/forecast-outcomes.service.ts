/**
 * Forecast outcomes filled in from stored bars (the rule: trading/forecast-outcomes.ts).
 *
 * 1. `track` (serving's forecastsDidLog, after a forecast or forecastBatch with `asOf` is logged): when
 *    the ACTIVE version that answered was trained on a SERIES dataset, each forecast is written to
 *    `forecast_requests` with what filling it takes (the dataset's symbols and timeframe, the targets'
 *    symbol and field, levels or returns, the horizon). Any other model's forecasts are not tracked.
 * 2. `fill` (BarsService's barsDidCommit, after each ingested batch): the waiting forecasts of the
 *    ingested symbols and timeframes, oldest asOf first, FILL_BATCH at a time; one statement reads
 *    every symbol's bars around each one's asOf (BarsService.barWindows), and those whose horizon bars
 *    are all stored get their outcome: one statement per batch inserts the request_outcomes rows (source
 *    SERIES; a request that has an outcome keeps it) and deletes the settled forecast_requests rows.
 *
 * Idempotent and safe to run in several processes at once: a second fill of the same forecast inserts
 * nothing (ON CONFLICT DO NOTHING) and finds no row to delete. The insert NOTIFYs kybernet_outcomes (a
 * trigger), so the shadow tester and health hear of the outcomes as of any other.
 *
 * A forecast stays waiting while its dataset's symbols have fewer than `horizon` common bar times
 * after its asOf among the first horizon + WINDOW_SLACK_BARS bars of each (so a symbol far out of step
 * with the others keeps it waiting), and while its bars are ingested only by `kybernet ingest-bars`
 * (another process, without this hook: the next ingestion of one of its symbols through the API fills
 * it). One whose return cannot be taken (a value that is not positive) is dropped with a log line.
 */
import type { DataSource } from 'typeorm';
import { DatasetEntity } from '../entities/dataset.entity';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import { InvalidInputError } from '../lib/errors';
import type { ReturnKind } from '../lib/market-vocabulary';
import type { SeriesChannel } from '../market/series-table';
import type { BarsService } from '../market/bars.service';
import { BASE_TIMES, forecastShapeOf, realisedForecast, seriesOutcomePlan, type SeriesOutcomePlan } from './forecast-outcomes';

/** Waiting forecasts settled per statement. */
const FILL_BATCH = 200;
/**
 * Bars read past the horizon per symbol, and before asOf beyond the base times: room for times at which
 * some symbol of a multi-symbol dataset has no bar (a step is a time at which every one has one).
 */
const WINDOW_SLACK_BARS = 16;

interface WaitingRow {
  registered_model_id: string;
  request_id: string;
  as_of: Date;
  horizon: number;
  symbols: string[];
  targets: SeriesChannel[];
  return_kind: ReturnKind | null;
}

export class ForecastOutcomesService {
  /** By version id: how its forecasts are filled, null for none (a version's dataset never changes). */
  private readonly plans = new Map<string, Promise<SeriesOutcomePlan | null>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly bars: BarsService,
    private readonly log: (message: string) => void,
  ) {}

  /** Records the forecasts `version` answered with an asOf as waiting for their bars, if its dataset is a SERIES one. */
  async track(version: ModelVersionEntity, forecasts: { requestId: string; asOf: Date }[]): Promise<void> {
    const plan = await this.planOf(version);
    if (!plan || forecasts.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO forecast_requests
         (registered_model_id, request_id, model_version_id, as_of, timeframe, horizon, symbols, targets, return_kind)
       SELECT $1, u.request_id, $2, u.as_of, $3, $4, $5::text[], $6::jsonb, $7
       FROM unnest($8::text[], $9::timestamptz[]) AS u(request_id, as_of)
       ON CONFLICT (registered_model_id, request_id) DO NOTHING`,
      [
        version.registeredModelId,
        version.id,
        plan.timeframe,
        plan.horizon,
        plan.symbols,
        JSON.stringify(plan.targets),
        plan.returnKind,
        forecasts.map((forecast) => forecast.requestId),
        forecasts.map((forecast) => forecast.asOf),
      ],
    );
  }

  /** Fills the waiting forecasts of `series` whose horizon bars are all stored now; returns how many got their outcome. */
  async fill(series: readonly { symbol: string; timeframe: string }[]): Promise<number> {
    const byTimeframe = new Map<string, Set<string>>();
    for (const { symbol, timeframe } of series)
      (byTimeframe.get(timeframe) ?? byTimeframe.set(timeframe, new Set()).get(timeframe)!).add(symbol);
    let filled = 0;
    for (const [timeframe, symbols] of byTimeframe) {
      // Oldest first; each batch settles (deletes) the ones it can and steps past the others.
      let after: WaitingRow | null = null;
      for (;;) {
        const waiting: WaitingRow[] = await this.dataSource.query(
          `SELECT registered_model_id, request_id, as_of, horizon, symbols, targets, return_kind FROM forecast_requests
           WHERE timeframe = $1 AND symbols && $2::text[]
             AND ($3::timestamptz IS NULL OR (as_of, registered_model_id, request_id) > ($3, $4::uuid, $5::text))
           ORDER BY as_of, registered_model_id, request_id LIMIT ${FILL_BATCH}`,
          [timeframe, [...symbols], after?.as_of ?? null, after?.registered_model_id ?? null, after?.request_id ?? null],
        );
        if (waiting.length > 0) filled += await this.settle(timeframe, waiting);
        if (waiting.length < FILL_BATCH) break;
        after = waiting[waiting.length - 1];
      }
    }
    return filled;
  }

  /** Computes the outcomes of the waiting forecasts that can have theirs, and writes them in one statement. */
  private async settle(timeframe: string, waiting: WaitingRow[]): Promise<number> {
    const queries = waiting.flatMap((row) =>
      row.symbols.map((symbol) => ({
        symbol,
        timeframe,
        at: row.as_of.getTime(),
        before: BASE_TIMES + WINDOW_SLACK_BARS,
        after: row.horizon + WINDOW_SLACK_BARS,
      })),
    );
    const windows = await this.bars.barWindows(queries);
    const outcomes: { registeredModelId: string; requestId: string; actuals: number[] }[] = [];
    const dropped: WaitingRow[] = [];
    let next = 0;
    for (const row of waiting) {
      const around = new Map(row.symbols.map((symbol) => [symbol, windows[next++]]));
      const plan = { symbols: row.symbols, timeframe, returnKind: row.return_kind, targets: row.targets, horizon: row.horizon };
      try {
        const actuals = realisedForecast(plan, row.as_of.getTime(), around);
        // As the float32 the column stores (Postgres would refuse a value that underflows it rather than round it to 0).
        if (actuals)
          outcomes.push({ registeredModelId: row.registered_model_id, requestId: row.request_id, actuals: actuals.map(Math.fround) });
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        this.log(`forecast outcomes: request "${row.request_id}" cannot be filled from bars and is no longer waiting: ${error.message}`);
        dropped.push(row);
      }
    }
    if (outcomes.length === 0 && dropped.length === 0) return 0;
    const settled = [...outcomes, ...dropped.map((row) => ({ registeredModelId: row.registered_model_id, requestId: row.request_id }))];
    const [{ filled }]: { filled: number }[] = await this.dataSource.query(
      `WITH filled AS (
         INSERT INTO request_outcomes (registered_model_id, request_id, actual, actuals, source)
         SELECT u.m, u.r, (u.a::real[])[1], u.a::real[], 'SERIES' FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(m, r, a)
         ON CONFLICT (registered_model_id, request_id) DO NOTHING
         RETURNING request_id
       ), settled AS (
         DELETE FROM forecast_requests f USING unnest($4::uuid[], $5::text[]) AS d(m, r)
         WHERE f.registered_model_id = d.m AND f.request_id = d.r
       )
       SELECT count(*)::int AS filled FROM filled`,
      [
        outcomes.map((outcome) => outcome.registeredModelId),
        outcomes.map((outcome) => outcome.requestId),
        outcomes.map((outcome) => `{${outcome.actuals.join(',')}}`),
        settled.map((one) => one.registeredModelId),
        settled.map((one) => one.requestId),
      ],
    );
    return filled;
  }

  private planOf(version: ModelVersionEntity): Promise<SeriesOutcomePlan | null> {
    let plan = this.plans.get(version.id);
    if (!plan) {
      const shape = forecastShapeOf(version.signature);
      plan =
        shape && version.datasetId
          ? this.dataSource
              .getRepository(DatasetEntity)
              .findOneBy({ id: version.datasetId })
              .then((dataset) => seriesOutcomePlan(dataset, shape))
          : Promise.resolve(null);
      this.plans.set(version.id, plan);
      plan.catch(() => this.plans.delete(version.id));
    }
    return plan;
  }
}
