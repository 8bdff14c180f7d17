/**
 * Market data over HTTP: bulk, idempotent bar ingestion (bars and CSV), its refusals (nothing
 * written), and datasets materialized from the stored bars — with the leakage check at that level:
 * changing later bars in the database changes no feature at an earlier time.
 */
import type { Bar } from '../../../src/lib/bars';
import { FEATURE_NAMES, computeFeatures } from '../../../src/market/features';
import { generateSyntheticMarket } from '../../../src/lib/synthetic-market';
import { CreateMaterializedDatasetDocument, IngestBarsDocument, type BarInput } from '../../generated/graphql';
import { startTestApp, type TestApp } from '../../helpers/app';
import { dataOf, errorOf } from '../../helpers/graphql';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ worker: false });
});
afterAll(async () => {
  await t?.close();
});

const market = generateSyntheticMarket({ seed: 'market-data', symbols: ['SYN_A', 'SYN_B'] });
const toInput = (bar: Bar): BarInput => ({ ...bar, timestamp: new Date(bar.timestamp).toISOString() });
const iso = (ms: number) => new Date(ms).toISOString();

async function count(table: string): Promise<number> {
  const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`);
  return n;
}

async function storedClose(symbol: string, timestamp: number): Promise<number> {
  const [{ close }] = await t.dataSource.query(
    `SELECT b.close FROM bars b JOIN bar_series s ON s.id = b.series_id WHERE s.symbol = $1 AND b.ts = $2`,
    [symbol, new Date(timestamp)],
  );
  return close;
}

describe('ingestBars', () => {
  it('inserts new bars, answers the same bars again as unchanged, and rewrites only changed ones', async () => {
    const bars = [...market.bars.SYN_A, ...market.bars.SYN_B].map(toInput);
    const first = dataOf(await t.as('operator')(IngestBarsDocument, { input: { bars } })).ingestBars;
    expect(first).toEqual({
      received: 1500,
      inserted: 1500,
      updated: 0,
      unchanged: 0,
      symbols: ['SYN_A', 'SYN_B'],
      from: iso(market.bars.SYN_A[0].timestamp),
      to: iso(market.bars.SYN_A[749].timestamp),
    });
    expect(await count('bars')).toBe(1500);

    const again = dataOf(await t.as('operator')(IngestBarsDocument, { input: { bars } })).ingestBars;
    expect(again).toMatchObject({ received: 1500, inserted: 0, updated: 0, unchanged: 1500 });

    // Five bars of SYN_B with a close moved within their range, and two bars that are new.
    const changed = market.bars.SYN_B.slice(100, 105).map((bar) => ({ ...bar, close: (bar.high + bar.low) / 2 }));
    const last = market.bars.SYN_B[749];
    const added = [1, 2].map((k) => ({ ...last, timestamp: last.timestamp + k * 86_400_000 }));
    const third = dataOf(await t.as('operator')(IngestBarsDocument, { input: { bars: [...changed, ...added].map(toInput) } })).ingestBars;
    expect(third).toMatchObject({ received: 7, inserted: 2, updated: 5, unchanged: 0, symbols: ['SYN_B'] });
    expect(await storedClose('SYN_B', changed[2].timestamp)).toBe(changed[2].close);
    expect(await storedClose('SYN_A', market.bars.SYN_A[102].timestamp)).toBe(market.bars.SYN_A[102].close);
    expect(await count('bars')).toBe(1502);
  });

  it('takes CSV text, with the symbol and timeframe given for rows without them', async () => {
    const csv = [
      'date,open,high,low,close,volume',
      '2021-01-04,10,11,9.5,10.5,1000',
      '2021-01-05,10.5,10.8,10.1,10.2,1200',
      '2021-01-06,10.2,10.4,9.9,10.3,900',
    ].join('\n');
    const result = dataOf(await t.as('operator')(IngestBarsDocument, { input: { csv, symbol: 'CSV_X', timeframe: '1d' } })).ingestBars;
    expect(result).toEqual({
      received: 3,
      inserted: 3,
      updated: 0,
      unchanged: 0,
      symbols: ['CSV_X'],
      from: '2021-01-04T00:00:00.000Z',
      to: '2021-01-06T00:00:00.000Z',
    });
    expect(await storedClose('CSV_X', Date.UTC(2021, 0, 5))).toBe(10.2);
  });

  const good = market.bars.SYN_A.slice(0, 3).map((bar) => ({ ...bar, symbol: 'BAD_CASE' }));
  it.each([
    [
      'a negative price',
      { bars: [...good, { ...good[2], timestamp: good[2].timestamp + 86_400_000, open: -1 }].map(toInput) },
      'row 3: expects open to be a finite price > 0, but got -1',
      'open',
    ],
    [
      'a high below the close',
      { bars: [{ ...good[0], high: good[0].close / 2 }].map(toInput) },
      /^row 0: expects high ≥ max\(open, close, low\), but got high=/,
      'high',
    ],
    [
      'a negative volume',
      { bars: [{ ...good[0], volume: -5 }].map(toInput) },
      'row 0: expects volume to be a finite number ≥ 0, but got -5',
      'volume',
    ],
    [
      'an unknown timeframe',
      { bars: [{ ...toInput(good[0]), timeframe: '2d' }] },
      "row 0: expects timeframe to be one of 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w, but got '2d'",
      'timeframe',
    ],
    [
      'timestamps out of order',
      { bars: [good[1], good[0]].map(toInput) },
      `row 1: expects timestamps strictly increasing within BAD_CASE 1d, but ${iso(good[0].timestamp)} follows ${iso(good[1].timestamp)}`,
      'timestamp',
    ],
    [
      'NaN in a CSV',
      { csv: 'date,open,high,low,close,volume\n2021-01-04,10,11,9,10,5\n2021-01-05,10,11,9,NaN,5', symbol: 'BAD_CASE', timeframe: '1d' },
      "line 3, column 'close': expects a decimal number, but got 'NaN'",
      'close',
    ],
    [
      'a negative price in a CSV',
      { csv: 'date,open,high,low,close,volume\n2021-01-04,10,11,9,10,5\n2021-01-05,-10,11,9,10,5', symbol: 'BAD_CASE', timeframe: '1d' },
      'line 3: expects open to be a finite price > 0, but got -10',
      'open',
    ],
    [
      'a CSV without a volume column',
      { csv: 'date,open,high,low,close\n2021-01-04,10,11,9,10', symbol: 'BAD_CASE', timeframe: '1d' },
      "line 1: expects a 'volume' column, but the header has 'date', 'open', 'high', 'low', 'close'",
      'volume',
    ],
    ['both bars and csv', { bars: [toInput(good[0])], csv: 'date' }, 'expects exactly one of bars or csv', 'bars'],
  ])('refuses %s, naming it, and writes nothing', async (_case, input, message, field) => {
    const before = await count('bars');
    const error = errorOf(await t.as('operator')(IngestBarsDocument, { input }));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(message);
    expect(error.extensions?.field).toBe(field);
    expect(await count('bars')).toBe(before);
    expect(await count(`bar_series WHERE symbol = 'BAD_CASE'`)).toBe(0);
  });

  it('is for operators', async () => {
    const error = errorOf(await t.as('trader')(IngestBarsDocument, { input: { bars: [toInput(good[0])] } }));
    expect(error).toMatchObject({
      code: 'FORBIDDEN',
      message: 'ingestBars requires the operator role, but this API key has the trader role',
    });
  });
});

describe('createDataset from bars', () => {
  const bars = market.bars.SYN_A;
  const from = bars[300].timestamp;
  const to = bars[600].timestamp;
  const label = { kind: 'FORWARD_RETURN' as const, horizon: 5 };

  async function materialize(name: string, spec: { from?: string; to?: string }) {
    const dataset = dataOf(
      await t.as('operator')(CreateMaterializedDatasetDocument, {
        input: { name, bars: { symbols: ['SYN_A', 'SYN_B'], timeframe: '1d', label, ...spec } },
      }),
    ).createDataset;
    const table = await t.app.services.datasets.loadTable(await t.app.services.datasets.getDataset(dataset.id));
    return { dataset, table, column: (name: string) => table.data[table.columns.findIndex((c) => c.name === name)] };
  }

  it('materializes the named features and the label for the symbols and range, reading no bar after `to`', async () => {
    const { dataset, table, column } = await materialize('syn-a-b-returns-5', { from: iso(from), to: iso(to) });
    expect(dataset).toMatchObject({ source: 'BARS', rowCount: 2 * 301 });
    expect(dataset.columns.map((c) => c.name)).toEqual(['symbol', 'timestamp', ...FEATURE_NAMES, 'forward_return_5']);
    expect(dataset.spec).toMatchObject({
      symbols: ['SYN_A', 'SYN_B'],
      timeframe: '1d',
      from: iso(from),
      to: iso(to),
      label: { kind: 'forward_return', horizon: 5 },
      labelColumn: 'forward_return_5',
      firstRow: iso(from),
      lastRow: iso(to),
    });

    // SYN_A's rows (the first 301) against the features of its whole series, computed in memory.
    const full = computeFeatures(bars);
    const width = FEATURE_NAMES.length;
    for (const row of [0, 1, 150, 300]) {
      const index = 300 + row;
      expect(column('symbol')[row]).toBe('SYN_A');
      expect(column('timestamp')[row]).toBe(bars[index].timestamp);
      FEATURE_NAMES.forEach((name, j) => expect(column(name)[row]).toBeCloseTo(full.values[index * width + j], 6));
    }
    const labels = column('forward_return_5');
    expect(labels[0]).toBeCloseTo(bars[305].close / bars[300].close - 1, 6);
    expect(labels[295]).toBeCloseTo(bars[600].close / bars[595].close - 1, 6);
    // t + 5 lies after `to` for the last five rows of each symbol: no label, though the bars exist.
    expect(labels.slice(296, 301)).toEqual([null, null, null, null, null]);
    expect(table.rowCount).toBe(602);
  });

  it('shifts nothing at an earlier time when later bars change in the database (no look-ahead)', async () => {
    const before = await materialize('syn-leak-before', { from: iso(from) });
    const cut = 500;
    const shifted = [...market.bars.SYN_A.slice(cut), ...market.bars.SYN_B.slice(cut)].map((bar) => ({
      ...bar,
      open: bar.open * 1.3,
      high: bar.high * 1.3,
      low: bar.low * 1.3,
      close: bar.close * 1.3,
      volume: bar.volume * 2,
    }));
    const rewritten = dataOf(await t.as('operator')(IngestBarsDocument, { input: { bars: shifted.map(toInput) } })).ingestBars;
    expect(rewritten.updated).toBe(500);
    const after = await materialize('syn-leak-after', { from: iso(from) });

    const t0 = bars[cut].timestamp;
    const timestamps = before.column('timestamp') as number[];
    expect(after.column('timestamp')).toEqual(timestamps);
    let earlier = 0;
    for (let row = 0; row < timestamps.length; row++) {
      if (timestamps[row] >= t0) continue;
      earlier++;
      for (const name of FEATURE_NAMES) expect([row, name, after.column(name)[row]]).toEqual([row, name, before.column(name)[row]]);
      if (timestamps[row] + 5 * 86_400_000 < t0) expect(after.column('forward_return_5')[row]).toBe(before.column('forward_return_5')[row]);
    }
    expect(earlier).toBe(2 * (cut - 300));
    // …while the shift does show from t0 on: the one-bar return at the jump.
    const jump = timestamps.indexOf(t0);
    expect(after.column('ret_1')[jump]).not.toBeCloseTo(before.column('ret_1')[jump] as number, 3);
  });

  it.each([
    [
      'an unknown symbol',
      { symbols: ['NOPE'], label },
      'expects bars of NOPE 1d between the start and the end, but the store has none',
      'bars.symbols',
    ],
    [
      'a horizon of 0',
      { symbols: ['SYN_A'], label: { ...label, horizon: 0 } },
      'expects bars.label.horizon to be a whole number of bars from 1 to 1000, but got 0',
      'bars.label.horizon',
    ],
    [
      'from after to',
      { symbols: ['SYN_A'], label, from: iso(to), to: iso(from) },
      `expects bars.from not after bars.to, but got ${iso(to)} > ${iso(from)}`,
      'bars.from',
    ],
    ['a symbol twice', { symbols: ['SYN_A', 'SYN_A'], label }, 'expects each symbol once, but "SYN_A" appears twice', 'bars.symbols'],
    ['no symbols', { symbols: [], label }, 'expects bars.symbols to list at least one symbol, but got none', 'bars.symbols'],
  ])('refuses %s with nothing written', async (_case, spec, message, field) => {
    const before = await count('datasets');
    const error = errorOf(await t.as('operator')(CreateMaterializedDatasetDocument, { input: { name: 'refused', bars: spec } }));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', message, extensions: expect.objectContaining({ field }) });
    expect(await count('datasets')).toBe(before);
  });

  it('refuses rows together with a bars spec', async () => {
    const error = errorOf(
      await t.as('operator')(CreateMaterializedDatasetDocument, {
        input: { name: 'two', rows: [{ a: 1 }], bars: { symbols: ['SYN_A'], label } },
      }),
    );
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', message: 'expects exactly one of rows, csv, bars, series or trades' });
  });
});
