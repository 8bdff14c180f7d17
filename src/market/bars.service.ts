/**
 * Market bars: bulk, idempotent ingestion and reads by series.
 *
 * A series (symbol, timeframe) gets a small integer id once (`bar_series`), and bars are keyed by
 * (series id, timestamp). A batch travels in Postgres' binary COPY format (db/bar-copy.ts) into a
 * transaction-scoped temporary table, then into `bars` in at most two statements. The writer holds
 * each series' advisory lock for its transaction: bars of series with no bar in the batch's time range
 * (new data, the common case) are inserted plainly, the others upserted — a bar whose key exists is
 * rewritten only when a value differs, so re-ingesting a file changes nothing and reports every bar
 * `unchanged`.
 *
 * Durability: each batch of `ingestCsv` is one transaction, acknowledged (onBatch) only after its
 * commit. A process killed mid-ingest leaves exactly the committed batches: none partially, and every
 * acknowledged one.
 */
import type { PoolClient } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { encodeBarsForCopy } from '../db/bar-copy';
import { copyInto } from '../db/binary-copy';
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

/** One series' bars around a time: the last `before` bars at or before `at` (UTC epoch ms) and the first `after` after it. */
export interface BarWindowQuery {
  symbol: string;
  timeframe: string;
  at: number;
  before: number;
  after: number;
}

/**
 * Extension point, set by server/app.ts. `barsDidCommit` runs after each batch of bars committed
 * (ingestBars, ingestCsvText, ingestCsv), with the series the batch wrote to, and is awaited before the
 * call goes on; it must not throw (the bars are committed either way).
 */
export interface BarsHooks {
  barsDidCommit?(series: { symbol: string; timeframe: string }[]): Promise<void>;
}

/** Bars per request of `ingestBars`; larger files go through the CLI (`kybernet ingest-bars`). */
export const MAX_INGEST_BARS = 500_000;
/** First key of the transaction-scoped advisory lock a writer of a series holds (the second is the series id). */
const SERIES_LOCK_SPACE = 0x62617273; // "bars"

const COLUMNS = 'series_id, ts, open, high, low, close, volume';
/** Where a batch lands first; emptied at every commit or rollback. */
const CREATE_STAGING = `CREATE TEMP TABLE IF NOT EXISTS bars_incoming (LIKE bars) ON COMMIT DELETE ROWS`;
const COPY_INTO_STAGING = `COPY bars_incoming (${COLUMNS}) FROM STDIN (FORMAT binary)`;

/** Series with no bar in their batch's range: a plain insert (their writer holds their locks). */
const INSERT_SQL = `INSERT INTO bars (${COLUMNS}) SELECT ${COLUMNS} FROM bars_incoming WHERE series_id = ANY ($1::int[])`;

/** The others: rewrite a bar only when a value differs, counting new and changed bars. */
const UPSERT_SQL = `
  WITH upserted AS (
    INSERT INTO bars AS b (${COLUMNS})
    SELECT ${COLUMNS} FROM bars_incoming WHERE series_id = ANY ($1::int[])
    ON CONFLICT (series_id, ts) DO UPDATE
      SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume
      WHERE (b.open, b.high, b.low, b.close, b.volume)
            IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
    RETURNING (xmax = 0) AS inserted
  )
  SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM upserted`;

/** Which of the series (ids, with their batch's first and last timestamp in ms) have a bar in that range. */
const OVERLAPS_SQL = `
  SELECT w.id FROM unnest($1::int[], $2::float8[], $3::float8[]) AS w(id, first, last)
  WHERE EXISTS (
    SELECT 1 FROM bars b WHERE b.series_id = w.id
      AND b.ts BETWEEN timestamptz 'epoch' + w.first * interval '1 millisecond' AND timestamptz 'epoch' + w.last * interval '1 millisecond'
  )`;

const BAR_WINDOWS_SQL = `
  SELECT w.i::int AS query_index, s.symbol, s.timeframe, (extract(epoch FROM x.ts) * 1000)::float8 AS timestamp,
         x.open, x.high, x.low, x.close, x.volume
  FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[], $5::int[]) WITH ORDINALITY AS w(symbol, timeframe, at, before, after, i)
  JOIN bar_series s ON s.symbol = w.symbol AND s.timeframe = w.timeframe
  CROSS JOIN LATERAL (
    (SELECT b.ts, b.open, b.high, b.low, b.close, b.volume FROM bars b
     WHERE b.series_id = s.id AND b.ts <= w.at ORDER BY b.ts DESC LIMIT w.before)
    UNION ALL
    (SELECT b.ts, b.open, b.high, b.low, b.close, b.volume FROM bars b
     WHERE b.series_id = s.id AND b.ts > w.at ORDER BY b.ts LIMIT w.after)
  ) x
  ORDER BY w.i, x.ts`;

const SELECT_BARS = `
  SELECT s.symbol, s.timeframe, (extract(epoch FROM b.ts) * 1000)::float8 AS timestamp, b.open, b.high, b.low, b.close, b.volume
  FROM bars b JOIN bar_series s ON s.id = b.series_id`;

function seriesKey(symbol: string, timeframe: string): string {
  return `${symbol}\u0000${timeframe}`;
}

/** The bars of each series, in input order; consecutive bars of one series (the usual case) cost no key. */
function groupBySeries(bars: readonly Bar[]): Bar[][] {
  const groups = new Map<string, Bar[]>();
  let group: Bar[] | undefined;
  for (const bar of bars) {
    if (!group || group[0].symbol !== bar.symbol || group[0].timeframe !== bar.timeframe) {
      const key = seriesKey(bar.symbol, bar.timeframe);
      group = groups.get(key);
      if (!group) groups.set(key, (group = []));
    }
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
  private hooks: BarsHooks = {};

  constructor(private readonly dataSource: DataSource) {}

  setHooks(hooks: BarsHooks): void {
    this.hooks = hooks;
  }

  /**
   * Validates every bar (each bar, and strictly increasing timestamps within each series), then
   * upserts them all in one transaction: a bad bar is refused, naming its row, with nothing written.
   */
  async ingestBars(bars: readonly Bar[]): Promise<IngestSummary> {
    if (bars.length === 0) throw new InvalidInputError('expects at least one bar, but got none', { field: 'bars' });
    if (bars.length > MAX_INGEST_BARS) {
      throw new InvalidInputError(
        `expects at most ${MAX_INGEST_BARS} bars per request, but got ${bars.length}; ingest larger files with \`kybernet ingest-bars\``,
        { field: 'bars' },
      );
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
    for await (const batch of readBarBatches(csv, { ...options, batchSize: 20_000 })) {
      bars.push(...batch);
      if (bars.length > MAX_INGEST_BARS) {
        throw new InvalidInputError(
          `expects at most ${MAX_INGEST_BARS} bars per request; ingest larger files with \`kybernet ingest-bars\``,
          { field: 'csv' },
        );
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
    const series = groupBySeries(bars);
    await this.ensureSeries(series.map((group) => group[0]));
    const counts = await this.dataSource.transaction((tx) => this.upsert(tx, series, bars.length));
    await this.hooks.barsDidCommit?.(series.map((group) => ({ symbol: group[0].symbol, timeframe: group[0].timeframe })));
    return counts;
  }

  /** The bars of each query's window (BarWindowQuery), in time order, read in one statement; a series never ingested has none. */
  async barWindows(queries: readonly BarWindowQuery[]): Promise<Bar[][]> {
    const windows = queries.map((): Bar[] => []);
    if (queries.length === 0) return windows;
    const rows: (Bar & { query_index: number })[] = await this.dataSource.query(BAR_WINDOWS_SQL, [
      queries.map((q) => q.symbol),
      queries.map((q) => q.timeframe),
      queries.map((q) => new Date(q.at)),
      queries.map((q) => q.before),
      queries.map((q) => q.after),
    ]);
    for (const { query_index, ...bar } of rows) windows[query_index - 1].push(bar);
    return windows;
  }

  /** The bars of one series in time order, within [from, to] and with `lookback` bars before `from`. */
  async loadSeries(query: SeriesQuery): Promise<Bar[]> {
    const to = query.to === undefined ? null : new Date(query.to);
    const series = `s.symbol = $1 AND s.timeframe = $2`;
    if (query.from === undefined) {
      return this.dataSource.query(`${SELECT_BARS} WHERE ${series} AND ($3::timestamptz IS NULL OR b.ts <= $3) ORDER BY b.ts`, [
        query.symbol,
        query.timeframe,
        to,
      ]);
    }
    const from = new Date(query.from);
    const history: Bar[] = query.lookback
      ? await this.dataSource.query(`${SELECT_BARS} WHERE ${series} AND b.ts < $3 ORDER BY b.ts DESC LIMIT $4`, [
          query.symbol,
          query.timeframe,
          from,
          query.lookback,
        ])
      : [];
    const range: Bar[] = await this.dataSource.query(
      `${SELECT_BARS} WHERE ${series} AND b.ts >= $3 AND ($4::timestamptz IS NULL OR b.ts <= $4) ORDER BY b.ts`,
      [query.symbol, query.timeframe, from, to],
    );
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

  /** Creates the series that do not exist yet, committed before any bar refers to them. */
  private async ensureSeries(series: readonly Pick<Bar, 'symbol' | 'timeframe'>[]): Promise<void> {
    const missing = new Map<string, Pick<Bar, 'symbol' | 'timeframe'>>();
    for (const one of series) {
      const key = seriesKey(one.symbol, one.timeframe);
      if (!this.seriesIds.has(key)) missing.set(key, one);
    }
    if (missing.size === 0) return;
    const wanted = [...missing.values()];
    const symbols = wanted.map((series) => series.symbol);
    const timeframes = wanted.map((series) => series.timeframe);
    await this.dataSource.query(
      `INSERT INTO bar_series (symbol, timeframe) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
      [symbols, timeframes],
    );
    const rows: { id: number; symbol: string; timeframe: string }[] = await this.dataSource.query(
      `SELECT s.id, s.symbol, s.timeframe FROM bar_series s JOIN unnest($1::text[], $2::text[]) AS w(symbol, timeframe) USING (symbol, timeframe)`,
      [symbols, timeframes],
    );
    for (const row of rows) this.seriesIds.set(seriesKey(row.symbol, row.timeframe), row.id);
  }

  /** Writes validated bars, grouped by series (strictly increasing timestamps within each), in `tx` under their series' locks. */
  private async upsert(tx: EntityManager, groups: readonly Bar[][], received: number): Promise<UpsertCounts> {
    const series = groups
      .map((bars) => ({ seriesId: this.seriesIds.get(seriesKey(bars[0].symbol, bars[0].timeframe))!, bars }))
      .sort((a, b) => a.seriesId - b.seriesId); // one lock order: no deadlock
    const ids = series.map((s) => s.seriesId);
    for (const id of ids) await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [SERIES_LOCK_SPACE, id]);
    const overlapping = new Set(
      (
        (await tx.query(OVERLAPS_SQL, [
          ids,
          series.map((s) => s.bars[0].timestamp),
          series.map((s) => s.bars[s.bars.length - 1].timestamp),
        ])) as { id: number }[]
      ).map((row) => row.id),
    );
    await tx.query(CREATE_STAGING);
    const client = (await tx.queryRunner!.connect()) as PoolClient;
    await copyInto(client, COPY_INTO_STAGING, encodeBarsForCopy(series));

    const counts: UpsertCounts = { received, inserted: 0, updated: 0, unchanged: 0 };
    const fresh = series.filter((s) => !overlapping.has(s.seriesId));
    if (fresh.length) {
      await tx.query(INSERT_SQL, [fresh.map((s) => s.seriesId)]);
      counts.inserted += fresh.reduce((sum, s) => sum + s.bars.length, 0);
    }
    if (overlapping.size) {
      const [row] = await tx.query(UPSERT_SQL, [[...overlapping]]);
      counts.inserted += row.inserted;
      counts.updated += row.updated;
    }
    counts.unchanged = counts.received - counts.inserted - counts.updated;
    return counts;
  }
}
