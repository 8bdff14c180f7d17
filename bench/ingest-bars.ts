/**
 * Bulk bar ingestion: 1,000,000 bars (20 symbols × 50,000 hourly bars) through BarsService — the
 * path of `ingestBars` and `kybernet ingest-bars` — in transactions of 10,000 bars (binary COPY into a
 * staging table, then one insert or upsert), then the same bars again (all unchanged: the idempotent
 * path), then the CLI path from a CSV file (parsing included). Baselines in the same run on the same bars: a multi-row
 * VALUES upsert (1,000 rows per statement, the usual ORM bulk insert) and row-by-row upserts (on a
 * 20,000-bar sample, rows/s extrapolated).
 *
 *   node -r @swc-node/register bench/ingest-bars.ts      (DATABASE_URL: a Postgres server to use)
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Client } from 'pg';
import seedrandom from 'seedrandom';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../src/db/data-source';
import { TIMEFRAME_MS, type Bar } from '../src/lib/bars';
import { BarsService } from '../src/market/bars.service';
import { printTable, writeResults, type Row } from './lib/report';
import { runBench } from './lib/entry';

const SYMBOLS = 20;
const BARS_PER_SYMBOL = 50_000;
const BATCH = 10_000;
const VALUES_ROWS = 1_000;
const ROW_BY_ROW_SAMPLE = 20_000;
const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function generateBars(): Bar[] {
  const random = seedrandom('bench:ingest-bars');
  const start = Date.UTC(2015, 0, 1);
  const bars: Bar[] = [];
  for (let s = 0; s < SYMBOLS; s++) {
    const symbol = `SYM${String(s).padStart(2, '0')}`;
    let close = 50 + 100 * random();
    for (let t = 0; t < BARS_PER_SYMBOL; t++) {
      const open = close;
      close = open * Math.exp(0.004 * (random() + random() + random() - 1.5));
      const high = Math.max(open, close) * (1 + 0.002 * random());
      const low = Math.min(open, close) * (1 - 0.002 * random());
      bars.push({
        symbol,
        timeframe: '1h',
        timestamp: start + t * TIMEFRAME_MS['1h'],
        open,
        high,
        low,
        close,
        volume: Math.round(1e4 * (1 + random())),
      });
    }
  }
  return bars;
}

async function writeCsv(bars: Bar[], path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('symbol,timeframe,timestamp,open,high,low,close,volume\n');
  for (const bar of bars) {
    const line = `${bar.symbol},${bar.timeframe},${new Date(bar.timestamp).toISOString()},${bar.open},${bar.high},${bar.low},${bar.close},${bar.volume}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const UPSERT_SET = `ON CONFLICT (series_id, ts) DO UPDATE SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume`;

/** The baselines write into the same table, with the series ids BarsService gave the series. */
function barParams(bar: Bar, seriesIds: Map<string, number>): unknown[] {
  return [seriesIds.get(bar.symbol), new Date(bar.timestamp), bar.open, bar.high, bar.low, bar.close, bar.volume];
}

/** Baseline: INSERT … VALUES ($1..$8), ($9..$16), … ON CONFLICT, VALUES_ROWS rows per statement, BATCH rows per transaction. */
async function multiValues(dataSource: DataSource, bars: Bar[], seriesIds: Map<string, number>): Promise<void> {
  for (let start = 0; start < bars.length; start += BATCH) {
    const batch = bars.slice(start, start + BATCH);
    await dataSource.transaction(async (tx) => {
      for (let i = 0; i < batch.length; i += VALUES_ROWS) {
        const rows = batch.slice(i, i + VALUES_ROWS);
        const tuples = rows.map((_, r) => `(${Array.from({ length: 7 }, (_, c) => `$${r * 7 + c + 1}`).join(', ')})`).join(', ');
        await tx.query(
          `INSERT INTO bars (series_id, ts, open, high, low, close, volume) VALUES ${tuples} ${UPSERT_SET}`,
          rows.flatMap((bar) => barParams(bar, seriesIds)),
        );
      }
    });
  }
}

/** Baseline: one INSERT … ON CONFLICT per bar, BATCH rows per transaction. */
async function rowByRow(dataSource: DataSource, bars: Bar[], seriesIds: Map<string, number>): Promise<void> {
  for (let start = 0; start < bars.length; start += BATCH) {
    await dataSource.transaction(async (tx) => {
      for (const bar of bars.slice(start, start + BATCH)) {
        await tx.query(
          `INSERT INTO bars (series_id, ts, open, high, low, close, volume) VALUES ($1, $2, $3, $4, $5, $6, $7) ${UPSERT_SET}`,
          barParams(bar, seriesIds),
        );
      }
    });
  }
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const name = `kybernet_bench_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const dataSource = await openDatabase(url.toString(), { applicationName: 'kybernet-bench' });
  const folder = mkdtempSync(join(tmpdir(), 'kybernet-bench-bars-'));
  const service = new BarsService(dataSource);
  const rows: Row[] = [];
  const count = async () => Number((await dataSource.query('SELECT count(*) AS n FROM bars'))[0].n);
  const measure = async (label: string, bars: number, run: () => Promise<unknown>, note = '') => {
    const started = performance.now();
    await run();
    const seconds = (performance.now() - started) / 1000;
    rows.push({ case: label, bars, seconds, bars_per_second: Math.round(bars / seconds), rows_in_table: await count(), note });
    console.error(`${label}: ${seconds.toFixed(2)} s`);
  };
  try {
    const bars = generateBars();
    const csv = join(folder, 'bars.csv');
    await writeCsv(bars, csv);
    const batches = (run: (batch: Bar[]) => Promise<unknown>) => async () => {
      for (let start = 0; start < bars.length; start += BATCH) await run(bars.slice(start, start + BATCH));
    };

    await measure(
      'BarsService.upsertBatch (binary COPY), new bars',
      bars.length,
      batches((batch) => service.upsertBatch(batch)),
      `${BATCH} bars per transaction`,
    );
    await measure(
      'BarsService.upsertBatch, same bars again',
      bars.length,
      batches((batch) => service.upsertBatch(batch)),
      'all unchanged: nothing written',
    );
    await dataSource.query('TRUNCATE bars');
    await measure(
      'ingestCsv (CLI path: CSV parse + upsert)',
      bars.length,
      () => service.ingestCsv(createReadStream(csv), { batchSize: BATCH }),
      `${BATCH} bars per transaction`,
    );
    const series: { id: number; symbol: string }[] = await dataSource.query('SELECT id, symbol FROM bar_series');
    const seriesIds = new Map(series.map((row) => [row.symbol, row.id]));
    await dataSource.query('TRUNCATE bars');
    await measure(
      'baseline: multi-row VALUES upsert',
      bars.length,
      () => multiValues(dataSource, bars, seriesIds),
      `${VALUES_ROWS} rows per statement`,
    );
    await dataSource.query('TRUNCATE bars');
    await measure(
      'baseline: row-by-row upsert',
      ROW_BY_ROW_SAMPLE,
      () => rowByRow(dataSource, bars.slice(0, ROW_BY_ROW_SAMPLE), seriesIds),
      'a sample; rate extrapolates',
    );

    printTable(
      `Ingest of ${bars.length.toLocaleString('en')} bars (${SYMBOLS} symbols × ${BARS_PER_SYMBOL.toLocaleString('en')} hourly bars)`,
      rows,
    );
    console.log(`\nwrote ${writeResults('ingest-bars', { symbols: SYMBOLS, barsPerSymbol: BARS_PER_SYMBOL, batch: BATCH, rows })}`);
  } finally {
    await dataSource.destroy();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    rmSync(folder, { recursive: true, force: true });
  }
}

runBench(main);
