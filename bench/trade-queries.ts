/**
 * Query latency on a trade log of 100,000 closed trades over 50 symbols: the 50 most recent trades of
 * a symbol (`trades(filter: { symbol })`) over HTTP and in the service, and the feature query behind
 * tradePrediction (`featuresAt`: the named features of a symbol's latest bar from its last 250 bars).
 * Baselines in the same run: `{ __typename }` over HTTP (HTTP, GraphQL and auth alone) and the same
 * trades query with the trades' time indexes dropped (a scan and sort of the whole log). Sequential
 * requests, p50 and p99.
 *
 *   node -r @swc-node/register bench/trade-queries.ts      (DATABASE_URL: a Postgres server to use)
 */
import { latencyPercentiles } from '../src/monitoring/performance';
import { generateSyntheticMarket } from '../src/lib/synthetic-market';
import { startBenchApp } from './lib/bench-app';
import { runLoad } from './lib/http-load';
import { printTable, writeResults, type Row } from './lib/report';
import { runBench } from './lib/entry';

const TRADES = 100_000;
const SYMBOLS = 50;
const REQUESTS = 300;

async function timed(run: () => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < 20; i++) await run();
  for (let i = 0; i < REQUESTS; i++) {
    const started = performance.now();
    await run();
    latencies.push(performance.now() - started);
  }
  return latencies;
}

async function main(): Promise<void> {
  const bench = await startBenchApp();
  try {
    const { dataSource, trades, features, bars } = bench.app.services;
    await dataSource.query(
      `INSERT INTO trades (client_trade_id, symbol, side, quantity, entry_price, entry_time, strategy, features, status,
                           exit_price, exit_time, fees, pnl, realized_return, holding_period_seconds, success, closed_at)
       SELECT 'bench-' || i, 'SYM' || (i % ${SYMBOLS}), CASE WHEN i % 2 = 0 THEN 'LONG' ELSE 'SHORT' END, 10, 100,
              timestamptz '2020-01-01' + i * interval '5 minutes', 'trend_follow', jsonb_build_object('ret_1', (i % 13) / 1000.0), 'CLOSED',
              101, timestamptz '2020-01-01' + i * interval '5 minutes' + interval '1 day', 0, 10, 0.01, 86400, true, now()
       FROM generate_series(1, ${TRADES}) AS i`,
    );
    await dataSource.query('ANALYZE trades');
    const market = generateSyntheticMarket({ seed: 'bench:queries', symbols: ['FEAT'] });
    await bars.upsertBatch(market.bars.FEAT);

    const rows: Row[] = [];
    const add = (label: string, latencies: number[], note: string) => {
      const { p50, p99 } = latencyPercentiles(latencies);
      rows.push({ case: label, requests: latencies.length, p50_ms: p50, p99_ms: p99, note });
    };
    const query = (symbol: string) =>
      JSON.stringify({
        query:
          'query($filter: TradeFilter) { trades(filter: $filter) { nodes { id clientTradeId symbol side entryTime exitTime pnl realizedReturn features } pageInfo { endCursor hasNextPage } } }',
        variables: { filter: { symbol, first: 50 } },
      });
    const http = async (body: string) =>
      (await runLoad({ url: bench.http.url, key: bench.keys.viewer, body, concurrency: 1, requests: REQUESTS, warmup: 20 })).latenciesMs;

    add('trades(symbol, first 50) over HTTP', await http(query('SYM7')), `${TRADES.toLocaleString('en')} trades, ${SYMBOLS} symbols`);
    add(
      'searchTrades(symbol, first 50), service',
      await timed(() => trades.searchTrades({ symbol: 'SYM7', first: 50 })),
      'no HTTP, no GraphQL',
    );
    add('featuresAt(latest bar), service', await timed(() => features.featuresAt('FEAT', '1d')), '250 bars read, 15 features');
    add('baseline: { __typename } over HTTP', await http(JSON.stringify({ query: '{ __typename }' })), 'HTTP, GraphQL and auth alone');
    await dataSource.query('DROP INDEX trades_symbol_entry');
    await dataSource.query('DROP INDEX trades_entry');
    add('baseline: trades over HTTP, no indexes', await http(query('SYM7')), 'the same query, scan and sort');

    printTable('Query latency (sequential requests)', rows);
    console.log(`\nwrote ${writeResults('trade-queries', { trades: TRADES, symbols: SYMBOLS, rows })}`);
  } finally {
    await bench.close();
  }
}

runBench(main);
