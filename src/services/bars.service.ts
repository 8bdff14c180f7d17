/**
 * Market bars: bulk, idempotent ingestion and reads by series.
 *
 * A series (symbol, timeframe) gets a small integer id once (`bar_series`), and bars are keyed by
 * (series id, timestamp). Writes send each series' columns as arrays, expanded server-side with
 * unnest, so 20,000 bars are one round trip. A writer holds the series' advisory lock for its
 * transaction; when the series has no bar in the batch's time range (new data) the bars are inserted
 * plainly, otherwise upserted: a bar whose key exists is rewritten only when a value differs, so
 * re-ingesting a file changes nothing and reports every bar `unchanged`.
 *
 * Durability: each batch of `ingestCsv` is one transaction, acknowledged (onBatch) only after its
 * commit. A process killed mid-ingest leaves exactly the committed batches: none partially, and every
 * acknowledged one.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { readBarBatches, validateBars, type Bar, type BarCsvOptions, type CsvSource, type Timeframe } from '../lib/bars';
import { InvalidInputError } from '../lib/errors';

export interface UpsertCounts {
  received: number;
  inserted: number;
  /** Existing bars whose values changed. */
  updated: number;
  /** Existing bars sent again with the same values. */
  unchanged: number;
}

export interface IngestSummary extends UpsertCounts {
  batches: number;
  symbols: string[];
  /** Earliest and latest bar timestamp ingested (UTC epoch ms); null when nothing was. */
  from: number | null;
  to: number | null;
}

export interface CommittedBatch extends UpsertCounts {
  /** 1-based. */
  batch: number;
  /** Bars committed so far, this batch included. */
  totalBars: number;
}

export interface SeriesQuery {
  symbol: string;
  timeframe: Timeframe;
  /** UTC epoch ms, inclusive. */
  from?: number;
  to?: number;
  /** Also this many bars before `from` (warm-up history). */
  lookback?: number;
}

/** Bars per request of `ingestBars`; larger files go through the CLI (`kybernet ingest-bars`). */
export const MAX_INGEST_BARS = 500_000;
/** Bars per statement inside one transaction. */
const STATEMENT_ROWS = 20_000;
/** First key of the transaction-scoped advisory lock a writer of a series holds (the second is the series id). */
const SERIES_LOCK_SPACE = 0x62617273; // "bars"

const BAR_ROWS = `FROM unnest($2::float8[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::float8[]) AS t(ms, o, h, l, c, v)`;
const BAR_VALUES = `$1, timestamptz 'epoch' + t.ms * interval '1 millisecond', t.o, t.h, t.l, t.c, t.v`;

/** A plain insert: for bars whose series has no bar in their time range (the writer holds the series lock). */
const INSERT_SQL = `INSERT INTO bars (series_id, ts, open, high, low, close, volume) SELECT ${BAR_VALUES} ${BAR_ROWS}`;

/** An upsert that rewrites a bar only when a value differs, counting new and changed bars. */
const UPSERT_SQL = `
  WITH upserted AS (
    INSERT INTO bars AS b (series_id, ts, open, high, low, close, volume)
    SELECT ${BAR_VALUES} ${BAR_ROWS}
    ON CONFLICT (series_id, ts) DO UPDATE
      SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume
      WHERE (b.open, b.high, b.low, b.close, b.volume) IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
    RETURNING (xmax = 0) AS inserted
  )
  SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM upserted`;

const SELECT_BARS = `
  SELECT s.symbol, s.timeframe, (extract(epoch FROM b.ts) * 1000)::float8 AS timestamp, b.open, b.high, b.low, b.close, b.volume
  FROM bars b JOIN bar_series s ON s.id = b.series_id`;

/** A float8[] literal; the values are validated finite numbers, whose shortest decimal form round-trips exactly. */
function floatArray(values: number[]): string {
  return `{${values.join(',')}}`;
}

function seriesKey(symbol: string, timeframe: string): string {
  return `${symbol}\u0000${timeframe}`;
}

function groupBySeries(bars: readonly Bar[]): Bar[][] {
  const groups = new Map<string, Bar[]>();
  for (const bar of bars) {
    const key = seriesKey(bar.symbol, bar.timeframe);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(bar);
  }
  return [...groups.values()];
}

function emptySummary(): IngestSummary {
  return { received: 0, inserted: 0, updated: 0, unchanged: 0, batches: 0, symbols: [], from: null, to: null };
}

function addToSummary(summary: IngestSummary, bars: readonly Bar[], counts: UpsertCounts, symbols: Set<string>): void {
  summary.received += counts.received;
  summary.inserted += counts.inserted;
  summary.updated += counts.updated;
  summary.unchanged += counts.unchanged;
  summary.batches += 1;
  for (const bar of bars) {
    symbols.add(bar.symbol);
    if (summary.from === null || bar.timestamp < summary.from) summary.from = bar.timestamp;
    if (summary.to === null || bar.timestamp > summary.to) summary.to = bar.timestamp;
  }
  summary.symbols = [...symbols].sort();
}

export class BarsService {
  /** Series ids by seriesKey; a series row, once committed, never changes or goes away. */
  private readonly seriesIds = new Map<string, number>();

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Validates every bar (each bar, and strictly increasing timestamps within each series), then
   * upserts them all in one transaction: a bad bar is refused, naming its row, with nothing written.
   */
  async ingestBars(bars: readonly Bar[]): Promise<IngestSummary> {
    if (bars.length === 0) throw new InvalidInputError('expects at least one bar, but got none', { field: 'bars' });
    if (bars.length > MAX_INGEST_BARS) {
      throw new InvalidInputError(`expects at most ${MAX_INGEST_BARS} bars per request, but got ${bars.length}; ingest larger files with \`kybernet ingest-bars\``, { field: 'bars' });
    }
    validateBars(bars);
    const counts = await this.upsertBatch(bars);
    const summary = emptySummary();
    addToSummary(summary, bars, counts, new Set());
    return summary;
  }

  /**
   * Reads a CSV (see lib/bars.ts `readBarBatches`) completely and validates it before writing, then
   * ingests it like `ingestBars`: a bad line is refused, naming the line and column, with nothing written.
   */
  async ingestCsvText(csv: string, options: Pick<BarCsvOptions, 'symbol' | 'timeframe'>): Promise<IngestSummary> {
    const bars: Bar[] = [];
    for await (const batch of readBarBatches(csv, { ...options, batchSize: STATEMENT_ROWS })) {
      bars.push(...batch);
      if (bars.length > MAX_INGEST_BARS) {
        throw new InvalidInputError(`expects at most ${MAX_INGEST_BARS} bars per request; ingest larger files with \`kybernet ingest-bars\``, { field: 'csv' });
      }
    }
    return this.ingestBars(bars);
  }

  /**
   * Streams a CSV into the store, one transaction per batch of `batchSize` bars, calling `onBatch`
   * after each commit. A bad line stops the ingest with an error naming it; the batches before it
   * stay committed (they were acknowledged). While a batch is written the next one is parsed.
   */
  async ingestCsv(source: CsvSource, options: BarCsvOptions & { onBatch?: (batch: CommittedBatch) => void }): Promise<IngestSummary> {
    const summary = emptySummary();
    const symbols = new Set<string>();
    const batches = readBarBatches(source, options);
    let next = batches.next();
    try {
      for (;;) {
        const { value: bars, done } = await next;
        if (done) break;
        next = batches.next();
        next.catch(() => undefined); // awaited on the next turn; the catch only keeps it from being reported as unhandled meanwhile
        const counts = await this.upsertBatch(bars);
        addToSummary(summary, bars, counts, symbols);
        options.onBatch?.({ ...counts, batch: summary.batches, totalBars: summary.received });
      }
    } finally {
      await batches.return(undefined);
    }
    return summary;
  }

  /** Upserts already validated bars (strictly increasing timestamps within each series) in one transaction. */
  async upsertBatch(bars: readonly Bar[]): Promise<UpsertCounts> {
    await this.ensureSeries(bars);
    return this.dataSource.transaction((tx) => this.upsert(tx, bars));
  }

  /** The bars of one series in time order, within [from, to] and with `lookback` bars before `from`. */
  async loadSeries(query: SeriesQuery): Promise<Bar[]> {
    const to = query.to === undefined ? null : new Date(query.to);
    const series = `s.symbol = $1 AND s.timeframe = $2`;
    if (query.from === undefined) {
      return this.dataSource.query(`${SELECT_BARS} WHERE ${series} AND ($3::timestamptz IS NULL OR b.ts <= $3) ORDER BY b.ts`, [query.symbol, query.timeframe, to]);
    }
    const from = new Date(query.from);
    const history: Bar[] = query.lookback
      ? await this.dataSource.query(`${SELECT_BARS} WHERE ${series} AND b.ts < $3 ORDER BY b.ts DESC LIMIT $4`, [query.symbol, query.timeframe, from, query.lookback])
      : [];
    const range: Bar[] = await this.dataSource.query(`${SELECT_BARS} WHERE ${series} AND b.ts >= $3 AND ($4::timestamptz IS NULL OR b.ts <= $4) ORDER BY b.ts`, [
      query.symbol,
      query.timeframe,
      from,
      to,
    ]);
    return [...history.reverse(), ...range];
  }

  /** The last `count` bars of a series at or before `asOf` (default: the latest), in time order. */
  async latestBars(symbol: string, timeframe: Timeframe, count: number, asOf?: number): Promise<Bar[]> {
    const rows: Bar[] = await this.dataSource.query(
      `${SELECT_BARS} WHERE s.symbol = $1 AND s.timeframe = $2 AND ($3::timestamptz IS NULL OR b.ts <= $3) ORDER BY b.ts DESC LIMIT $4`,
      [symbol, timeframe, asOf === undefined ? null : new Date(asOf), count],
    );
    return rows.reverse();
  }

  /** Creates the series of `bars` that do not exist yet, committed before any bar refers to them. */
  private async ensureSeries(bars: readonly Bar[]): Promise<void> {
    const missing = new Map<string, Pick<Bar, 'symbol' | 'timeframe'>>();
    for (const bar of bars) {
      const key = seriesKey(bar.symbol, bar.timeframe);
      if (!this.seriesIds.has(key)) missing.set(key, bar);
    }
    if (missing.size === 0) return;
    const wanted = [...missing.values()];
    const symbols = wanted.map((series) => series.symbol);
    const timeframes = wanted.map((series) => series.timeframe);
    await this.dataSource.query(`INSERT INTO bar_series (symbol, timeframe) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`, [symbols, timeframes]);
    const rows: { id: number; symbol: string; timeframe: string }[] = await this.dataSource.query(
      `SELECT s.id, s.symbol, s.timeframe FROM bar_series s JOIN unnest($1::text[], $2::text[]) AS w(symbol, timeframe) USING (symbol, timeframe)`,
      [symbols, timeframes],
    );
    for (const row of rows) this.seriesIds.set(seriesKey(row.symbol, row.timeframe), row.id);
  }

  /**
   * Writes each series' bars under its advisory lock: a plain insert when the series has no bar in
   * their time range (the common case of new data), else the upsert that compares values.
   */
  private async upsert(tx: EntityManager, bars: readonly Bar[]): Promise<UpsertCounts> {
    const counts: UpsertCounts = { received: bars.length, inserted: 0, updated: 0, unchanged: 0 };
    for (const series of groupBySeries(bars)) {
      const seriesId = this.seriesIds.get(seriesKey(series[0].symbol, series[0].timeframe))!;
      await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [SERIES_LOCK_SPACE, seriesId]);
      const [{ overlaps }] = await tx.query(
        `SELECT EXISTS (SELECT 1 FROM bars WHERE series_id = $1 AND ts BETWEEN timestamptz 'epoch' + $2 * interval '1 millisecond' AND timestamptz 'epoch' + $3 * interval '1 millisecond') AS overlaps`,
        [seriesId, series[0].timestamp, series[series.length - 1].timestamp],
      );
      for (let start = 0; start < series.length; start += STATEMENT_ROWS) {
        const chunk = series.slice(start, start + STATEMENT_ROWS);
        const parameters = [
          seriesId,
          floatArray(chunk.map((bar) => bar.timestamp)),
          floatArray(chunk.map((bar) => bar.open)),
          floatArray(chunk.map((bar) => bar.high)),
          floatArray(chunk.map((bar) => bar.low)),
          floatArray(chunk.map((bar) => bar.close)),
          floatArray(chunk.map((bar) => bar.volume)),
        ];
        if (overlaps) {
          const [row] = await tx.query(UPSERT_SQL, parameters);
          counts.inserted += row.inserted;
          counts.updated += row.updated;
        } else {
          await tx.query(INSERT_SQL, parameters);
          counts.inserted += chunk.length;
        }
      }
    }
    counts.unchanged = counts.received - counts.inserted - counts.updated;
    return counts;
  }
}
