/**
 * Materializing a feature dataset from stored bars: 10 symbols × 5,000 daily bars → 15 named
 * features and a 5-bar forward-return label per row, stored as an immutable hashed dataset
 * (`createDataset` with a bars spec). Shown beside its parts in the same run: reading the bars,
 * computing the table in memory (the baseline: no database, no storage) and serializing it.
 * Median of 5 runs each.
 *
 *   node -r @swc-node/register bench/materialize-dataset.ts      (DATABASE_URL: a Postgres server to use)
 */
import { serializeTable } from '../src/lib/dataset-table';
import { buildFeatureTable } from '../src/market/feature-table';
import { STABLE_HISTORY_BARS } from '../src/market/features';
import { generateSyntheticMarket } from '../src/lib/synthetic-market';
import type { Bar } from '../src/lib/bars';
import { startBenchApp } from './lib/bench-app';
import { printTable, writeResults, type Row } from './lib/report';
import { runBench } from './lib/entry';

const SYMBOLS = Array.from({ length: 10 }, (_, i) => `SYN_${String(i).padStart(2, '0')}`);
const BARS = 5_000;
const RUNS = 5;
const LABEL = { kind: 'forward_return', horizon: 5 } as const;

async function median(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
}

async function main(): Promise<void> {
  const bench = await startBenchApp();
  try {
    const { bars, features } = bench.app.services;
    const market = generateSyntheticMarket({
      seed: 'bench:materialize',
      symbols: SYMBOLS,
      regimes: [
        { name: 'TRENDING', bars: 3_000, momentum: 0.1, volatility: 0.01, drift: 0.0004, volumeLevel: 1 },
        { name: 'VOLATILE', bars: BARS - 3_000, momentum: -0.15, volatility: 0.022, drift: -0.0002, volumeLevel: 1.6 },
      ],
    });
    for (const symbol of SYMBOLS) await bars.upsertBatch(market.bars[symbol]);

    const from = market.bars[SYMBOLS[0]][0].timestamp;
    let run = 0;
    const spec = { symbols: SYMBOLS, timeframe: '1d', from, label: LABEL };
    const load = async () => {
      const bySymbol: Record<string, Bar[]> = {};
      for (const symbol of SYMBOLS)
        bySymbol[symbol] = await bars.loadSeries({ symbol, timeframe: '1d', from, lookback: STABLE_HISTORY_BARS });
      return bySymbol;
    };
    const loaded = await load();
    const table = buildFeatureTable(loaded, LABEL, { from });

    const rows: Row[] = [];
    const add = (label: string, ms: number, note: string) =>
      rows.push({ case: label, rows: table.rowCount, median_ms: ms, rows_per_second: Math.round(table.rowCount / (ms / 1000)), note });
    add(
      'createDataset (bars spec), end to end',
      await median(() => features.materializeBarsDataset({ name: `bench-${run++}`, spec })),
      'read + features + labels + gzip + store + row',
    );
    add('  read the bars (10 series)', await median(load), `${SYMBOLS.length} queries`);
    add(
      '  feature table in memory (baseline)',
      await median(async () => buildFeatureTable(loaded, LABEL, { from })),
      'trading-signals indicators, no I/O',
    );
    add(
      '  serialize (JSON + gzip)',
      await median(async () => serializeTable(table)),
      `${(serializeTable(table).length / 1e6).toFixed(1)} MB`,
    );
    printTable(
      `Feature dataset of ${SYMBOLS.length} symbols × ${BARS.toLocaleString('en')} daily bars (${table.columns.length} columns), median of ${RUNS}`,
      rows,
    );
    console.log(`\nwrote ${writeResults('materialize-dataset', { symbols: SYMBOLS.length, barsPerSymbol: BARS, rows })}`);
  } finally {
    await bench.close();
  }
}

runBench(main);
